/**
 * Large uploads (soak tier, `npm run test:soak`): 256 MiB files generated on the fly go through
 * the gateway on both upstream paths (the direct one spooled, and streamed with a declared size),
 * and one goes client → storage with a handle. The sandbox
 * keeps only size + md5 ('hash' storage), so nothing is held whole anywhere; the stored md5 is
 * the one the sandbox computed from the bytes it received.
 */
import { Readable } from 'node:stream';
import { request } from 'undici';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { generatedFile } from '../mutations/upload-client.js';
import type { UploadStack } from '../mutations/upload-stack.js';
import {
  DEFAULT_METADATA,
  listFiles,
  someMember,
  startUploadStack,
  upload,
  uploadResult,
} from '../mutations/upload-stack.js';

const SIZE = 256 * 1024 * 1024;

function storedMd5(stack: UploadStack, fileId: number): string | null {
  const file = stack.sandbox.store.file(fileId);
  return file ? stack.sandbox.store.md5Of(file) : null;
}

async function roundTrip(
  stack: UploadStack,
  seed: number,
  expectedMethod: string,
  declareSize = false,
): Promise<void> {
  const { projectMemberId } = someMember(stack, 0);
  const file = generatedFile(SIZE, seed);
  const md5 = await file.md5();
  const result = uploadResult(
    await upload(stack, {
      token: stack.sandbox.masterToken,
      projectMemberId,
      file: file.stream,
      filename: `large-${seed}.bin`,
      ...(declareSize ? { size: SIZE } : {}),
    }),
  );
  expect(result).toMatchObject({
    __typename: 'UploadDataFilePayload',
    size: SIZE,
    md5,
    uploadMethod: expectedMethod,
  });
  const id = result.databaseId ?? 0;
  expect(
    (await listFiles(stack, stack.sandbox.masterToken, projectMemberId)).map((f) => f.databaseId),
  ).toContain(id);
  expect(storedMd5(stack, id)).toBe(md5);
  expect(stack.leftovers()).toEqual([]);
  const deleted = await stack.execute<{ deleteDataFiles: { deletedDatabaseIds: number[] } }>(
    'mutation($input: DeleteDataFilesInput!) { deleteDataFiles(input: $input) { ... on DeleteDataFilesPayload { deletedDatabaseIds } } }',
    { input: { projectMemberId, fileId: String(id) } },
    { token: stack.sandbox.masterToken },
  );
  expect(deleted.data?.deleteDataFiles.deletedDatabaseIds).toEqual([id]);
  expect(
    (await listFiles(stack, stack.sandbox.masterToken, projectMemberId)).map((f) => f.databaseId),
  ).not.toContain(id);
}

describe('through the gateway, direct path (D7 → PUT → D8)', () => {
  let stack: UploadStack;
  beforeAll(async () => {
    stack = await startUploadStack(
      { UPLOAD_DIRECT_THRESHOLD_BYTES: String(16 * 1024 * 1024) },
      { storage: 'hash' },
    );
  });
  afterAll(async () => {
    await stack?.close();
  });
  it('256 MiB round trip', () => roundTrip(stack, 11, 'DIRECT'));
  it('256 MiB round trip with a declared size (streamed into the PUT)', () =>
    roundTrip(stack, 14, 'DIRECT', true));

  it('256 MiB sent with a size declared one byte short: refused, nothing completed', async () => {
    const { projectMemberId } = someMember(stack, 0);
    const before = (await listFiles(stack, stack.sandbox.masterToken, projectMemberId)).map(
      (f) => f.databaseId,
    );
    stack.sandbox.resetCalls();
    const file = generatedFile(SIZE, 15);
    const result = uploadResult(
      await upload(stack, {
        token: stack.sandbox.masterToken,
        projectMemberId,
        file: file.stream,
        size: SIZE - 1,
      }),
    );
    expect(result).toMatchObject({ __typename: 'InvalidInputError', field: 'input.size' });
    expect(stack.sandbox.calls().D8).toBeUndefined();
    expect(
      (await listFiles(stack, stack.sandbox.masterToken, projectMemberId)).map((f) => f.databaseId),
    ).toEqual(before);
  });
});

describe('through the gateway, simple path (D6)', () => {
  let stack: UploadStack;
  beforeAll(async () => {
    stack = await startUploadStack(
      { UPLOAD_DIRECT_THRESHOLD_BYTES: String(SIZE) },
      { storage: 'hash' },
    );
  });
  afterAll(async () => {
    await stack?.close();
  });
  it('256 MiB round trip', () => roundTrip(stack, 12, 'SIMPLE'));

  it('256 MiB client → storage with createDataFileUpload / completeDataFileUpload', async () => {
    const { projectMemberId } = someMember(stack, 1);
    const created = await stack.execute<{
      createDataFileUpload: { uploadUrl: string; handle: string; databaseId: number };
    }>(
      'mutation($input: CreateDataFileUploadInput!) { createDataFileUpload(input: $input) { ... on CreateDataFileUploadPayload { uploadUrl handle databaseId } } }',
      { input: { projectMemberId, filename: 'client.bin', metadata: DEFAULT_METADATA } },
      { token: stack.sandbox.masterToken },
    );
    const { uploadUrl, handle, databaseId } = created.data?.createDataFileUpload ?? {
      uploadUrl: '',
      handle: '',
      databaseId: 0,
    };
    const file = generatedFile(SIZE, 13);
    const put = await request(uploadUrl, {
      method: 'PUT',
      headers: { 'content-length': String(SIZE) },
      body: Readable.from(file.stream()),
    });
    await put.body.dump();
    expect(put.statusCode).toBe(200);
    const done = await stack.execute<{ completeDataFileUpload: { size: number } }>(
      'mutation($input: CompleteDataFileUploadInput!) { completeDataFileUpload(input: $input) { ... on CompleteDataFileUploadPayload { size } } }',
      { input: { handle } },
      { token: stack.sandbox.masterToken },
    );
    expect(done.data?.completeDataFileUpload.size).toBe(SIZE);
    expect(storedMd5(stack, databaseId)).toBe(await file.md5());
  });
});
