/**
 * `uploadDataFile` against the sandbox over real HTTP: both upload paths and both token kinds,
 * round trips (listed, downloaded, compared by bytes and md5), idempotent retries, and every
 * validation error, refused before any upstream write.
 */
import { afterAll, beforeAll, beforeEach, describe, expect, it } from 'vitest';
import { findSecrets } from '../helpers/stack.js';
import type { MultipartSpec } from './upload-client.js';
import {
  generatedFile,
  md5Of,
  multipartBody,
  multipartLength,
  sendMultipart,
  someBytes,
} from './upload-client.js';
import type { UploadResult, UploadStack } from './upload-stack.js';
import {
  download,
  listFiles,
  someMember,
  startUploadStack,
  UPLOAD_MUTATION,
  upload,
  uploadResult,
} from './upload-stack.js';

const THRESHOLD = 64 * 1024; // set by startUploadStack
const WRITE_ROUTES = ['D6', 'D7', 'D8', 'S3_PUT'] as const;

let stack: UploadStack;
beforeAll(async () => {
  stack = await startUploadStack({ MAX_UPLOAD_BYTES: String(2 * 1024 * 1024) });
});
afterAll(async () => {
  await stack?.close();
});
beforeEach(() => {
  stack.sandbox.resetCalls();
});

async function collect(chunks: AsyncIterable<Uint8Array>): Promise<Buffer> {
  const all: Uint8Array[] = [];
  for await (const chunk of chunks) all.push(chunk);
  return Buffer.concat(all);
}

const writeCalls = (): number =>
  WRITE_ROUTES.reduce((n, r) => n + (stack.sandbox.calls()[r] ?? 0), 0);

async function expectStoredAndListed(
  token: string,
  memberId: string | undefined,
  result: UploadResult,
  bytes: Buffer,
): Promise<void> {
  expect(result.__typename).toBe('UploadDataFilePayload');
  expect(result.size).toBe(bytes.length);
  expect(result.md5).toBe(md5Of(bytes));
  const listed = await listFiles(stack, token, memberId);
  const file = listed.find((f) => f.databaseId === result.databaseId);
  expect(file, 'the new file is listed').toBeDefined();
  expect(result.dataFile?.databaseId).toBe(result.databaseId);
  const downloaded = await download(file?.downloadUrl ?? '');
  expect(downloaded.equals(bytes)).toBe(true);
  expect(md5Of(downloaded)).toBe(result.md5);
  expect(stack.leftovers()).toEqual([]);
}

describe('round trips', () => {
  it('a small file with a master token goes the simple way (D6) and comes back byte for byte', async () => {
    const member = someMember(stack, 0);
    const bytes = someBytes(10_000);
    const metadata = {
      description: 'small',
      tags: ['a', 'b'],
      creationDate: '2024-01-02T03:04:05Z',
      extra: { sourceURL: 'x' },
    };
    const result = uploadResult(
      await upload(stack, {
        token: stack.sandbox.masterToken,
        projectMemberId: member.projectMemberId,
        file: bytes,
        filename: 'small.csv',
        metadata,
      }),
    );
    expect(result.uploadMethod).toBe('SIMPLE');
    expect(result.projectMemberId).toBe(member.projectMemberId);
    expect(result.dataFile?.basename).toBe('small.csv');
    expect(result.dataFile?.metadata).toEqual({
      description: 'small',
      tags: ['a', 'b'],
      creation_date: '2024-01-02T03:04:05Z',
      sourceURL: 'x',
      md5: md5Of(bytes),
    });
    expect(stack.sandbox.calls()).toMatchObject({ D6: 1 });
    expect(stack.sandbox.calls().D7).toBeUndefined();
    await expectStoredAndListed(stack.sandbox.masterToken, member.projectMemberId, result, bytes);
  });

  it('a file above the threshold goes D7 → PUT → D8 and comes back byte for byte', async () => {
    const member = someMember(stack, 0);
    const bytes = someBytes(THRESHOLD * 5 + 123);
    const result = uploadResult(
      await upload(stack, {
        token: stack.sandbox.masterToken,
        projectMemberId: member.projectMemberId,
        file: bytes,
      }),
    );
    expect(result.uploadMethod).toBe('DIRECT');
    expect(stack.sandbox.calls()).toMatchObject({ D7: 1, S3_PUT: 1, D8: 1 });
    expect(stack.sandbox.calls().D6).toBeUndefined();
    await expectStoredAndListed(stack.sandbox.masterToken, member.projectMemberId, result, bytes);
  });

  it('a request with a Content-Length (as browsers and curl send a form) streams into the PUT the same way', async () => {
    const member = someMember(stack, 0);
    const file = generatedFile(THRESHOLD * 7 + 5, 7);
    const expected = await collect(file.stream());
    const spec: MultipartSpec = {
      operations: {
        query: UPLOAD_MUTATION,
        variables: {
          input: {
            projectMemberId: member.projectMemberId,
            file: null,
            metadata: { description: 'with a length', tags: [] },
            size: file.size,
          },
        },
      },
      map: { '0': ['variables.input.file'] },
      files: [{ field: '0', filename: 'sized.bin', content: file.stream, size: file.size }],
    };
    // The length the client announces is the length of what it sends (else undici refuses).
    const sent = await collect(multipartBody(spec));
    expect(multipartLength(spec)).toBe(sent.length);
    const res = await sendMultipart(stack.baseUrl, spec, {
      token: stack.sandbox.masterToken,
      withLength: true,
    });
    const result = uploadResult(res);
    expect(result.uploadMethod).toBe('DIRECT');
    expect(stack.sandbox.calls()).toMatchObject({ D7: 1, S3_PUT: 1, D8: 1 });
    await expectStoredAndListed(
      stack.sandbox.masterToken,
      member.projectMemberId,
      result,
      expected,
    );
  });

  it('a member token uploads to its own membership on both paths, without naming it', async () => {
    const member = someMember(stack, 1);
    for (const size of [500, THRESHOLD + 1]) {
      const bytes = someBytes(size);
      const result = uploadResult(await upload(stack, { token: member.token, file: bytes }));
      expect(result.projectMemberId).toBe(member.projectMemberId);
      expect(result.uploadMethod).toBe(size > THRESHOLD ? 'DIRECT' : 'SIMPLE');
      await expectStoredAndListed(member.token, undefined, result, bytes);
    }
  });

  it('a member token may name its own id but not another member (FORBIDDEN, nothing written)', async () => {
    const me = someMember(stack, 1);
    const other = someMember(stack, 2);
    const own = uploadResult(
      await upload(stack, {
        token: me.token,
        projectMemberId: me.projectMemberId,
        file: someBytes(10),
      }),
    );
    expect(own.__typename).toBe('UploadDataFilePayload');
    stack.sandbox.resetCalls();
    const res = await upload(stack, {
      token: me.token,
      projectMemberId: other.projectMemberId,
      file: someBytes(10),
    });
    expect(res.json?.errors?.[0]?.extensions?.code).toBe('FORBIDDEN');
    expect(writeCalls()).toBe(0);
  });

  it('attaches registered data types given by global id or databaseId', async () => {
    const project = await stack.execute<{
      viewer: { project: { registeredDataTypes: Array<{ id: string; databaseId: number }> } };
    }>(
      '{ viewer { project { registeredDataTypes { id databaseId } } } }',
      {},
      { token: stack.sandbox.masterToken },
    );
    const types = project.data?.viewer.project.registeredDataTypes ?? [];
    expect(types.length).toBeGreaterThan(1);
    const [first, second] = types as [
      { id: string; databaseId: number },
      { id: string; databaseId: number },
    ];
    const member = someMember(stack, 0);
    const res = await sendUploadWithTypes(member.projectMemberId, [
      first.id,
      String(second.databaseId),
    ]);
    expect(res.sort()).toEqual([first.databaseId, second.databaseId].sort());
  });

  it('uploads invalidate the cached file list of the member', async () => {
    const member = someMember(stack, 3);
    const before = await listFiles(stack, stack.sandbox.masterToken, member.projectMemberId);
    const calls = stack.sandbox.calls().D3 ?? 0;
    const again = await listFiles(stack, stack.sandbox.masterToken, member.projectMemberId);
    expect(again).toEqual(before);
    expect(stack.sandbox.calls().D3 ?? 0, 'the second listing is served from the token cache').toBe(
      calls,
    );
    const result = uploadResult(
      await upload(stack, {
        token: stack.sandbox.masterToken,
        projectMemberId: member.projectMemberId,
        file: someBytes(100),
      }),
    );
    const after = await listFiles(stack, stack.sandbox.masterToken, member.projectMemberId);
    expect(after.map((f) => f.databaseId)).toContain(result.databaseId);
    expect(after.length).toBe(before.length + 1);
  });

  it('never lets a token reach a response or a log line', async () => {
    const member = someMember(stack, 0);
    const res = await upload(stack, { token: member.token, file: someBytes(THRESHOLD + 10) });
    expect(
      findSecrets([res.text, ...stack.logLines], [member.token, stack.sandbox.masterToken]),
    ).toEqual([]);
  });
});

/** Uploads with data types and returns the data types the new file is listed with. */
async function sendUploadWithTypes(
  projectMemberId: string,
  dataTypeIds: string[],
): Promise<number[]> {
  const query = `mutation($input: UploadDataFileInput!) { uploadDataFile(input: $input) {
    __typename ... on UploadDataFilePayload { dataFile { dataTypes { databaseId } } } ... on UserError { message } } }`;
  const res = await sendMultipart(
    stack.baseUrl,
    {
      operations: {
        query,
        variables: {
          input: {
            projectMemberId,
            file: null,
            metadata: { description: '', tags: [] },
            dataTypeIds,
          },
        },
      },
      map: { '0': ['variables.input.file'] },
      files: [{ field: '0', filename: 'typed.bin', content: someBytes(10) }],
    },
    { token: stack.sandbox.masterToken },
  );
  const result = (
    res.json?.data as
      | { uploadDataFile: { dataFile?: { dataTypes: Array<{ databaseId: number }> } } }
      | undefined
  )?.uploadDataFile;
  if (!result) throw new Error(`upload failed: ${JSON.stringify(res.json)}`);
  return (result.dataFile?.dataTypes ?? []).map((t) => t.databaseId);
}

describe('idempotency', () => {
  it('a retry with the same key returns the first file and stores nothing new', async () => {
    const member = someMember(stack, 4);
    const bytes = someBytes(2_000);
    const args = {
      token: stack.sandbox.masterToken,
      projectMemberId: member.projectMemberId,
      file: bytes,
      idempotencyKey: 'retry-1',
    };
    const first = uploadResult(await upload(stack, args));
    const second = uploadResult(await upload(stack, args));
    expect(second.databaseId).toBe(first.databaseId);
    expect(stack.sandbox.calls().D6).toBe(1);
    const listed = await listFiles(stack, stack.sandbox.masterToken, member.projectMemberId);
    expect(listed.filter((f) => f.databaseId === first.databaseId)).toHaveLength(1);
    expect(stack.leftovers()).toEqual([]);
  });

  it('concurrent retries share one upload', async () => {
    const member = someMember(stack, 4);
    const args = {
      token: stack.sandbox.masterToken,
      projectMemberId: member.projectMemberId,
      file: someBytes(THRESHOLD * 2),
      idempotencyKey: 'concurrent-1',
    };
    const [a, b] = await Promise.all([upload(stack, args), upload(stack, args)]);
    expect(uploadResult(a).databaseId).toBe(uploadResult(b).databaseId);
    expect(stack.sandbox.calls().D7).toBe(1);
  });

  it('keys are per token: another token with the same key stores its own file', async () => {
    const member = someMember(stack, 5);
    const a = uploadResult(
      await upload(stack, {
        token: stack.sandbox.masterToken,
        projectMemberId: member.projectMemberId,
        file: someBytes(10),
        idempotencyKey: 'shared-key',
      }),
    );
    const b = uploadResult(
      await upload(stack, {
        token: member.token,
        file: someBytes(10),
        idempotencyKey: 'shared-key',
      }),
    );
    expect(b.databaseId).not.toBe(a.databaseId);
  });

  it('reusing a key for a different input is refused', async () => {
    const member = someMember(stack, 4);
    const args = {
      token: stack.sandbox.masterToken,
      projectMemberId: member.projectMemberId,
      file: someBytes(10),
      idempotencyKey: 'conflict-1',
    };
    uploadResult(await upload(stack, args));
    stack.sandbox.resetCalls();
    const res = uploadResult(
      await upload(stack, { ...args, metadata: { description: 'other', tags: [] } }),
    );
    expect(res.__typename).toBe('IdempotencyKeyConflictError');
    expect(writeCalls()).toBe(0);
  });
});

describe('validation (before any upstream write, upstream wording)', () => {
  const cases: Array<{
    name: string;
    metadata?: Record<string, unknown>;
    projectMemberId?: string | null;
    file?: Buffer;
    field: string;
    message: string | RegExp;
    typename?: string;
  }> = [
    {
      name: 'bad creationDate',
      metadata: { description: '', tags: [], creationDate: '02/01/2024' },
      field: 'input.metadata.creationDate',
      message: 'Dates must be in ISO 8601 format',
    },
    {
      name: 'impossible startDate',
      metadata: { description: '', tags: [], startDate: '2024-02-30' },
      field: 'input.metadata.startDate',
      message: 'Dates must be in ISO 8601 format',
    },
    {
      name: 'bad endDate',
      metadata: { description: '', tags: [], endDate: 'yesterday' },
      field: 'input.metadata.endDate',
      message: 'Dates must be in ISO 8601 format',
    },
    {
      name: 'bad md5',
      metadata: { description: '', tags: [], md5: 'abc' },
      field: 'input.metadata.md5',
      message: 'Invalid MD5 specified',
    },
    {
      name: 'typed key in extra',
      metadata: { description: '', tags: [], extra: { tags: ['x'] } },
      field: 'input.metadata.extra',
      message: /"tags" belongs in its own metadata field/,
    },
    {
      name: 'missing projectMemberId with a master token',
      projectMemberId: null,
      field: 'input.projectMemberId',
      message: 'projectMemberId is required with a master token.',
    },
    {
      name: 'malformed projectMemberId',
      projectMemberId: '12ab',
      field: 'input.projectMemberId',
      message: 'Project member IDs are always 8 digits long.',
    },
    {
      name: 'empty file',
      file: Buffer.alloc(0),
      field: 'input.file',
      message: 'The submitted file is empty.',
    },
  ];
  for (const c of cases) {
    it(`refuses ${c.name}`, async () => {
      const member = someMember(stack, 0);
      const res = await upload(stack, {
        token: stack.sandbox.masterToken,
        projectMemberId:
          c.projectMemberId === null ? undefined : (c.projectMemberId ?? member.projectMemberId),
        file: c.file ?? someBytes(100),
        metadata: c.metadata,
      });
      const result = uploadResult(res);
      expect(result.__typename).toBe('InvalidInputError');
      expect(result.field).toBe(c.field);
      if (typeof c.message === 'string') expect(result.message).toBe(c.message);
      else expect(result.message).toMatch(c.message);
      expect(writeCalls()).toBe(0);
      expect(stack.leftovers()).toEqual([]);
    });
  }

  it('accepts the ISO 8601 forms Open Humans accepts', async () => {
    const member = someMember(stack, 0);
    const metadata = {
      description: '',
      tags: [],
      creationDate: '2018-06-08 10:07:26+00:00',
      startDate: '2018-06-08',
      endDate: '2018-06-08T10:07:26.123456',
    };
    const result = uploadResult(
      await upload(stack, {
        token: stack.sandbox.masterToken,
        projectMemberId: member.projectMemberId,
        file: someBytes(5),
        metadata,
      }),
    );
    expect(result.__typename).toBe('UploadDataFilePayload');
  });

  it('refuses metadata.md5 that does not match the bytes, and stores nothing', async () => {
    const member = someMember(stack, 0);
    const bytes = someBytes(THRESHOLD + 1);
    const wrong = md5Of(someBytes(3));
    const result = uploadResult(
      await upload(stack, {
        token: stack.sandbox.masterToken,
        projectMemberId: member.projectMemberId,
        file: bytes,
        metadata: { description: '', tags: [], md5: wrong },
      }),
    );
    expect(result).toMatchObject({
      __typename: 'ChecksumMismatchError',
      expectedMd5: wrong,
      actualMd5: md5Of(bytes),
    });
    expect(writeCalls()).toBe(0);
  });

  it('accepts a matching metadata.md5 in upper case', async () => {
    const member = someMember(stack, 0);
    const bytes = someBytes(50);
    const result = uploadResult(
      await upload(stack, {
        token: stack.sandbox.masterToken,
        projectMemberId: member.projectMemberId,
        file: bytes,
        metadata: { description: '', tags: [], md5: md5Of(bytes).toUpperCase() },
      }),
    );
    expect(result.__typename).toBe('UploadDataFilePayload');
  });

  it('refuses a file above MAX_UPLOAD_BYTES while it streams, leaving nothing behind', async () => {
    const member = someMember(stack, 0);
    const result = uploadResult(
      await upload(stack, {
        token: stack.sandbox.masterToken,
        projectMemberId: member.projectMemberId,
        file: someBytes(2 * 1024 * 1024 + 1),
      }),
    );
    expect(result).toMatchObject({ __typename: 'FileTooLargeError', limitBytes: 2 * 1024 * 1024 });
    expect(writeCalls()).toBe(0);
    expect(stack.leftovers()).toEqual([]);
  });

  it('refuses a file name that is a path', async () => {
    const member = someMember(stack, 0);
    const result = uploadResult(
      await upload(stack, {
        token: stack.sandbox.masterToken,
        projectMemberId: member.projectMemberId,
        file: someBytes(5),
        filename: '../',
      }),
    );
    expect(result).toMatchObject({ __typename: 'InvalidInputError', field: 'input.file' });
    expect(writeCalls()).toBe(0);
  });

  it('keeps only the base name of a file name with directories', async () => {
    const member = someMember(stack, 0);
    const result = uploadResult(
      await upload(stack, {
        token: stack.sandbox.masterToken,
        projectMemberId: member.projectMemberId,
        file: someBytes(5),
        filename: 'dir/sub/name.txt',
      }),
    );
    expect(result.dataFile?.basename).toBe('name.txt');
  });

  it('refuses a malformed dataTypeIds entry', async () => {
    const member = someMember(stack, 0);
    const result = uploadResult(
      await upload(stack, {
        token: stack.sandbox.masterToken,
        projectMemberId: member.projectMemberId,
        file: someBytes(5),
        dataTypeIds: ['not-an-id'],
      }),
    );
    expect(result).toMatchObject({ __typename: 'InvalidInputError', field: 'input.dataTypeIds' });
    expect(writeCalls()).toBe(0);
  });

  it("passes the upstream's datatype refusal through with its wording", async () => {
    const member = someMember(stack, 0);
    const result = uploadResult(
      await upload(stack, {
        token: stack.sandbox.masterToken,
        projectMemberId: member.projectMemberId,
        file: someBytes(5),
        dataTypeIds: ['999999'],
      }),
    );
    expect(result).toMatchObject({ __typename: 'InvalidInputError', field: 'input.dataTypeIds' });
    expect(result.message).toMatch(/datatypes/);
  });

  it('an unknown member is NOT_FOUND', async () => {
    const res = await upload(stack, {
      token: stack.sandbox.masterToken,
      projectMemberId: '00000001',
      file: someBytes(5),
    });
    expect(res.json?.errors?.[0]?.extensions?.code).toBe('NOT_FOUND');
    expect(stack.leftovers()).toEqual([]);
  });

  it('no token is UNAUTHENTICATED (TOKEN_MISSING); a bad token TOKEN_INVALID', async () => {
    const none = await upload(stack, {
      token: '',
      projectMemberId: someMember(stack).projectMemberId,
      file: someBytes(5),
    });
    expect(none.json?.errors?.[0]?.extensions).toMatchObject({
      code: 'UNAUTHENTICATED',
      reason: 'TOKEN_MISSING',
    });
    const bad = await upload(stack, {
      token: 'f'.repeat(64),
      projectMemberId: someMember(stack).projectMemberId,
      file: someBytes(5),
    });
    expect(bad.json?.errors?.[0]?.extensions).toMatchObject({
      code: 'UNAUTHENTICATED',
      reason: 'TOKEN_INVALID',
    });
    expect(stack.leftovers()).toEqual([]);
  });

  it('expired tokens of both kinds are UNAUTHENTICATED (TOKEN_EXPIRED), nothing stored', async () => {
    const master = await upload(stack, {
      token: stack.sandbox.expiredMasterToken,
      projectMemberId: someMember(stack).projectMemberId,
      file: someBytes(5),
    });
    expect(master.json?.errors?.[0]?.extensions).toMatchObject({
      code: 'UNAUTHENTICATED',
      reason: 'TOKEN_EXPIRED',
    });
    const member = await upload(stack, {
      token: stack.sandbox.expiredMemberToken,
      file: someBytes(5),
    });
    expect(member.json?.errors?.[0]?.extensions).toMatchObject({
      code: 'UNAUTHENTICATED',
      reason: 'TOKEN_EXPIRED',
    });
    expect(['D8', 'S3_PUT'].some((r) => r in stack.sandbox.calls())).toBe(false);
    expect(stack.leftovers()).toEqual([]);
  });
});
