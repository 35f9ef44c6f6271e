/**
 * `createDataFileUpload` / `completeDataFileUpload`: the client PUTs straight to storage, and
 * only a handle this gateway signed for the same token can complete the file.
 */
import { Readable } from 'node:stream';
import { request } from 'undici';
import { afterAll, beforeAll, beforeEach, describe, expect, it } from 'vitest';
import { md5Of, someBytes } from './upload-client.js';
import type { UploadStack } from './upload-stack.js';
import {
  DEFAULT_METADATA,
  download,
  listFiles,
  someMember,
  startUploadStack,
} from './upload-stack.js';

const CREATE = /* GraphQL */ `
  mutation($input: CreateDataFileUploadInput!) {
    createDataFileUpload(input: $input) {
      __typename
      ... on CreateDataFileUploadPayload { uploadUrl method requiredHeaders forbiddenHeaders expiresAt handle databaseId projectMemberId }
      ... on InvalidInputError { field message }
    }
  }
`;
const COMPLETE = /* GraphQL */ `
  mutation($input: CompleteDataFileUploadInput!) {
    completeDataFileUpload(input: $input) {
      __typename
      ... on CompleteDataFileUploadPayload { databaseId size dataFile { databaseId basename downloadUrl } }
      ... on InvalidUploadHandleError { reason message }
    }
  }
`;

interface Created {
  __typename: string;
  uploadUrl: string;
  handle: string;
  databaseId: number;
  expiresAt: string;
  field?: string;
  message?: string;
  method: string;
  requiredHeaders: string[];
  forbiddenHeaders: string[];
  projectMemberId: string;
}
interface Completed {
  __typename: string;
  databaseId?: number;
  size?: number;
  reason?: string;
  dataFile?: { databaseId: number; basename: string; downloadUrl: string } | null;
}

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

async function create(token: string, input: Record<string, unknown>): Promise<Created> {
  const res = await stack.execute<{ createDataFileUpload: Created }>(
    CREATE,
    { input: { metadata: DEFAULT_METADATA, filename: 'big.bin', ...input } },
    { token },
  );
  if (!res.data) throw new Error(res.text);
  return res.data.createDataFileUpload;
}

async function complete(
  token: string,
  handle: string,
): Promise<{ result?: Completed; errors?: unknown[] }> {
  const res = await stack.execute<{ completeDataFileUpload: Completed }>(
    COMPLETE,
    { input: { handle } },
    { token },
  );
  return { result: res.data?.completeDataFileUpload, errors: res.errors };
}

/** What a client does with the payload: PUT with Content-Length and no Content-Type. */
async function put(
  url: string,
  bytes: Buffer,
): Promise<{ status: number; etag: string | undefined }> {
  const res = await request(url, {
    method: 'PUT',
    headers: { 'content-length': String(bytes.length) },
    body: Readable.from([bytes]),
  });
  await res.body.dump();
  return { status: res.statusCode, etag: String(res.headers.etag ?? '') || undefined };
}

describe('create → PUT → complete', () => {
  it('a master token: the file is completed, listed and downloads byte for byte', async () => {
    const member = someMember(stack, 7);
    const created = await create(stack.sandbox.masterToken, {
      projectMemberId: member.projectMemberId,
    });
    expect(created).toMatchObject({
      __typename: 'CreateDataFileUploadPayload',
      method: 'PUT',
      requiredHeaders: ['Content-Length'],
      forbiddenHeaders: ['Content-Type'],
      projectMemberId: member.projectMemberId,
    });
    expect(new Date(created.expiresAt).getTime()).toBeGreaterThan(Date.now());
    const before = await listFiles(stack, stack.sandbox.masterToken, member.projectMemberId);
    expect(before.map((f) => f.databaseId)).not.toContain(created.databaseId);

    const bytes = someBytes(300_000);
    const stored = await put(created.uploadUrl, bytes);
    expect(stored.status).toBe(200);
    expect(stored.etag?.replace(/"/g, '')).toBe(md5Of(bytes));
    const { result } = await complete(stack.sandbox.masterToken, created.handle);
    expect(result).toMatchObject({
      __typename: 'CompleteDataFileUploadPayload',
      databaseId: created.databaseId,
      size: bytes.length,
    });
    expect(result?.dataFile?.basename).toBe('big.bin');
    const downloaded = await download(result?.dataFile?.downloadUrl ?? '');
    expect(md5Of(downloaded)).toBe(md5Of(bytes));
    expect(stack.sandbox.calls()).toMatchObject({ D7: 1, S3_PUT: 1, D8: 1 });
  });

  it('a member token, for its own membership', async () => {
    const member = someMember(stack, 8);
    const created = await create(member.token, {});
    expect(created.projectMemberId).toBe(member.projectMemberId);
    await put(created.uploadUrl, someBytes(1000));
    const { result } = await complete(member.token, created.handle);
    expect(result).toMatchObject({ __typename: 'CompleteDataFileUploadPayload', size: 1000 });
    const listed = await listFiles(stack, member.token);
    expect(listed.map((f) => f.databaseId)).toContain(created.databaseId);
  });

  it('refuses bad metadata and file names before starting anything upstream', async () => {
    const member = someMember(stack, 7);
    const badDate = await create(stack.sandbox.masterToken, {
      projectMemberId: member.projectMemberId,
      metadata: { description: '', tags: [], endDate: 'soon' },
    });
    expect(badDate).toMatchObject({
      __typename: 'InvalidInputError',
      field: 'input.metadata.endDate',
      message: 'Dates must be in ISO 8601 format',
    });
    const badName = await create(stack.sandbox.masterToken, {
      projectMemberId: member.projectMemberId,
      filename: '..',
    });
    expect(badName).toMatchObject({ __typename: 'InvalidInputError', field: 'input.filename' });
    expect(stack.sandbox.calls()).toEqual({});
  });

  it('completing before the bytes were PUT is refused upstream (BAD_USER_INPUT), and nothing is listed', async () => {
    const member = someMember(stack, 7);
    const created = await create(stack.sandbox.masterToken, {
      projectMemberId: member.projectMemberId,
    });
    const { errors } = await complete(stack.sandbox.masterToken, created.handle);
    expect((errors?.[0] as { extensions?: { code?: string } } | undefined)?.extensions?.code).toBe(
      'BAD_USER_INPUT',
    );
    const listed = await listFiles(stack, stack.sandbox.masterToken, member.projectMemberId);
    expect(listed.map((f) => f.databaseId)).not.toContain(created.databaseId);
  });
});

describe('handles', () => {
  async function started(): Promise<Created> {
    const member = someMember(stack, 9);
    const created = await create(stack.sandbox.masterToken, {
      projectMemberId: member.projectMemberId,
    });
    await put(created.uploadUrl, someBytes(100));
    stack.sandbox.resetCalls();
    return created;
  }

  it('a forged handle (another file id, same signature) is refused without calling complete', async () => {
    const created = await started();
    const [payload, mac] = created.handle.split('.') as [string, string];
    const claims = JSON.parse(Buffer.from(payload, 'base64url').toString('utf8')) as Record<
      string,
      unknown
    >;
    const forged = `${Buffer.from(JSON.stringify({ ...claims, f: 1 })).toString('base64url')}.${mac}`;
    const { result } = await complete(stack.sandbox.masterToken, forged);
    expect(result).toMatchObject({
      __typename: 'InvalidUploadHandleError',
      reason: 'BAD_SIGNATURE',
    });
    expect(stack.sandbox.calls().D8).toBeUndefined();
  });

  it('a handle of another token is refused (member token, other project master token)', async () => {
    const created = await started();
    for (const token of [someMember(stack, 9).token, stack.sandbox.secondProject.masterToken]) {
      const { result } = await complete(token, created.handle);
      expect(result).toMatchObject({
        __typename: 'InvalidUploadHandleError',
        reason: 'OTHER_TOKEN',
      });
    }
    expect(stack.sandbox.calls().D8).toBeUndefined();
    // The rightful token still completes it.
    const { result } = await complete(stack.sandbox.masterToken, created.handle);
    expect(result?.__typename).toBe('CompleteDataFileUploadPayload');
  });

  it('a bare file id or garbage is not a handle', async () => {
    for (const handle of [String((await started()).databaseId), 'a.b.c', '']) {
      const { result } = await complete(stack.sandbox.masterToken, handle);
      expect(result).toMatchObject({ __typename: 'InvalidUploadHandleError', reason: 'MALFORMED' });
    }
    expect(stack.sandbox.calls().D8).toBeUndefined();
  });

  it('no token: UNAUTHENTICATED', async () => {
    const created = await started();
    const res = await stack.execute(COMPLETE, { input: { handle: created.handle } });
    expect(res.errors?.[0]?.extensions).toMatchObject({
      code: 'UNAUTHENTICATED',
      reason: 'TOKEN_MISSING',
    });
  });
});
