/**
 * Mutations in one request keep each other's results: a failing mutation is null with its error
 * while the earlier ones (which did change data) stay in `data`. A file mapped to two variables
 * is refused before anything runs. An idempotency key reused with another file is a conflict.
 */
import { afterAll, beforeAll, beforeEach, describe, expect, it } from 'vitest';
import { md5Of, sendMultipart, someBytes } from './upload-client.js';
import type { UploadStack } from './upload-stack.js';
import {
  DEFAULT_METADATA,
  listFiles,
  someMember,
  startUploadStack,
  upload,
  uploadResult,
} from './upload-stack.js';

const WRITE_ROUTES = ['D6', 'D7', 'D8', 'D9', 'S3_PUT'] as const;

let stack: UploadStack;
beforeAll(async () => {
  stack = await startUploadStack();
});
afterAll(async () => {
  await stack?.close();
});
beforeEach(() => {
  stack.sandbox.resetCalls();
});

const writeCalls = (): number =>
  WRITE_ROUTES.reduce((n, r) => n + (stack.sandbox.calls()[r] ?? 0), 0);

describe('several mutations in one request', () => {
  it('a later failure leaves the earlier results standing', async () => {
    const member = someMember(stack, 7);
    const other = someMember(stack, 8);
    const stored = uploadResult(
      await upload(stack, { token: member.token, file: someBytes(50), filename: 'cleanup.json' }),
    );
    const res = await stack.execute<Record<string, unknown>>(
      /* GraphQL */ `
        mutation CleanUp($other: String!) {
          deleteDataFiles(input: { basename: "cleanup.json" }) {
            __typename
            ... on DeleteDataFilesPayload { deletedDatabaseIds }
          }
          sendMessage(input: { projectMemberIds: [$other], message: "hello" }) {
            __typename
          }
        }
      `,
      { other: other.projectMemberId },
      { token: member.token },
    );
    // The delete happened upstream and its answer is kept.
    expect(res.data?.deleteDataFiles).toEqual({
      __typename: 'DeleteDataFilesPayload',
      deletedDatabaseIds: [stored.databaseId],
    });
    // A member token may message only itself: FORBIDDEN, on that field only.
    expect(res.data?.sendMessage).toBeNull();
    expect(res.errors).toHaveLength(1);
    expect(res.errors?.[0]?.path).toEqual(['sendMessage']);
    expect(res.errors?.[0]?.extensions?.code).toBe('FORBIDDEN');
    expect(
      (await listFiles(stack, member.token)).some((f) => f.databaseId === stored.databaseId),
    ).toBe(false);
  });
});

describe('one file mapped to two variables', () => {
  it('is refused whole (400, BAD_USER_INPUT) before anything is stored', async () => {
    const member = someMember(stack, 7);
    const before = await listFiles(stack, member.token);
    stack.sandbox.resetCalls();
    const input = { file: null, metadata: DEFAULT_METADATA };
    const res = await sendMultipart(
      stack.baseUrl,
      {
        operations: {
          query: /* GraphQL */ `
            mutation Twice($a: UploadDataFileInput!, $b: UploadDataFileInput!) {
              a: uploadDataFile(input: $a) { __typename }
              b: uploadDataFile(input: $b) { __typename }
            }
          `,
          variables: { a: input, b: input },
        },
        map: { '0': ['variables.a.file', 'variables.b.file'] },
        files: [{ field: '0', filename: 'twice.bin', content: someBytes(100) }],
      },
      { token: member.token },
    );
    expect(res.status).toBe(400);
    expect(res.json?.data).toBeUndefined();
    expect(res.json?.errors?.[0]?.extensions?.code).toBe('BAD_USER_INPUT');
    expect(res.json?.errors?.[0]?.message).toMatch(/mapped to 2 paths/);
    expect(stack.sandbox.calls()).toEqual({});
    expect(await listFiles(stack, member.token)).toEqual(before);
    expect(stack.leftovers()).toEqual([]);
  });

  it('two files, one per variable, are both stored', async () => {
    const member = someMember(stack, 7);
    const res = await sendMultipart(
      stack.baseUrl,
      {
        operations: {
          query: /* GraphQL */ `
            mutation Two($a: UploadDataFileInput!, $b: UploadDataFileInput!) {
              a: uploadDataFile(input: $a) { __typename ... on UploadDataFilePayload { databaseId } }
              b: uploadDataFile(input: $b) { __typename ... on UploadDataFilePayload { databaseId } }
            }
          `,
          variables: {
            a: { file: null, metadata: DEFAULT_METADATA },
            b: { file: null, metadata: DEFAULT_METADATA },
          },
        },
        map: { '0': ['variables.a.file'], '1': ['variables.b.file'] },
        files: [
          { field: '0', filename: 'one.bin', content: someBytes(100) },
          { field: '1', filename: 'two.bin', content: someBytes(100) },
        ],
      },
      { token: member.token },
    );
    const data = res.json?.data as Record<string, { __typename: string; databaseId: number }>;
    expect(data.a?.__typename).toBe('UploadDataFilePayload');
    expect(data.b?.__typename).toBe('UploadDataFilePayload');
    expect(data.a?.databaseId).not.toBe(data.b?.databaseId);
    expect(stack.sandbox.calls().D6).toBe(2);
  });
});

describe('idempotency keys compare the file too', () => {
  const member = () => someMember(stack, 9);

  it('the same key with other bytes is a conflict, and nothing is stored', async () => {
    const args = { token: member().token, file: someBytes(64), idempotencyKey: 'bytes-1' };
    const first = uploadResult(await upload(stack, args));
    expect(first.__typename).toBe('UploadDataFilePayload');
    stack.sandbox.resetCalls();
    const again = uploadResult(await upload(stack, { ...args, file: someBytes(64) }));
    expect(again.__typename).toBe('IdempotencyKeyConflictError');
    expect(again.message).toMatch(/idempotencyKey/);
    expect(writeCalls()).toBe(0);
    expect(stack.leftovers()).toEqual([]);
  });

  it('the same key with the same bytes under another name is a conflict', async () => {
    const bytes = someBytes(64);
    const args = {
      token: member().token,
      file: bytes,
      idempotencyKey: 'name-1',
      filename: 'a.bin',
    };
    uploadResult(await upload(stack, args));
    stack.sandbox.resetCalls();
    const again = uploadResult(await upload(stack, { ...args, filename: 'b.bin' }));
    expect(again.__typename).toBe('IdempotencyKeyConflictError');
    expect(writeCalls()).toBe(0);
  });

  it('the same key with the same file and metadata (md5 given or not) returns the first file', async () => {
    const bytes = someBytes(64);
    const args = { token: member().token, file: bytes, idempotencyKey: 'same-1' };
    const first = uploadResult(await upload(stack, args));
    stack.sandbox.resetCalls();
    const again = uploadResult(
      await upload(stack, { ...args, metadata: { ...DEFAULT_METADATA, md5: md5Of(bytes) } }),
    );
    expect(again.databaseId).toBe(first.databaseId);
    expect(writeCalls()).toBe(0);
  });
});
