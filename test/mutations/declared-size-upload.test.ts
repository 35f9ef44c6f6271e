/**
 * `uploadDataFile` with a declared `size`: above the direct threshold the bytes stream straight
 * into the pre-signed PUT (no spool) and the file is completed (D8) only if the bytes add up to
 * the size and match `metadata.md5`; otherwise nothing is listed and the sandbox holds no
 * completed file. Without a size, or at or below the threshold, the file is spooled as before.
 */
import { connect } from 'node:net';
import { afterAll, beforeAll, beforeEach, describe, expect, it } from 'vitest';
import { BOUNDARY, md5Of, multipartBody, someBytes } from './upload-client.js';
import type { UploadStack } from './upload-stack.js';
import {
  DEFAULT_METADATA,
  download,
  listFiles,
  someMember,
  startUploadStack,
  UPLOAD_MUTATION,
  upload,
  uploadResult,
} from './upload-stack.js';

const THRESHOLD = 64 * 1024; // set by startUploadStack
const MAX = 4 * 1024 * 1024;

let stack: UploadStack;
let memberId: string;
beforeAll(async () => {
  stack = await startUploadStack({ MAX_UPLOAD_BYTES: String(MAX) });
  memberId = someMember(stack, 3).projectMemberId;
});
afterAll(async () => {
  await stack?.close();
});
beforeEach(() => {
  stack.sandbox.resetCalls();
});

const master = (): string => stack.sandbox.masterToken;
const listedIds = async (): Promise<number[]> =>
  (await listFiles(stack, master(), memberId)).map((f) => f.databaseId);

/** Polls until `check` holds (work in another process or later tick). Not a timing assertion. */
async function eventually(check: () => boolean, what: string): Promise<void> {
  for (let i = 0; i < 400; i++) {
    if (check()) return;
    await new Promise((resolve) => setTimeout(resolve, 25));
  }
  throw new Error(`never happened: ${what}`);
}

/**
 * A marker in the sandbox's file ids: files the sandbox creates from now on have larger ids.
 * `created()` lists them, completed or not, so a test sees what D7 left behind.
 */
function newFiles(): {
  created: () => Array<{ id: number; completed: boolean; size: number | null }>;
} {
  const mark = stack.sandbox.store.allocateFileId();
  return {
    created: () => {
      const found: Array<{ id: number; completed: boolean; size: number | null }> = [];
      for (let id = mark + 1; id <= mark + 50; id++) {
        const f = stack.sandbox.store.file(id);
        if (f) found.push({ id: f.id, completed: f.completed, size: f.size });
      }
      return found;
    },
  };
}

/** Sends half of `bytes`, waits until the sandbox has been asked for the PUT, then the rest. */
function sentWhilePutRuns(bytes: Buffer): () => AsyncIterable<Uint8Array> {
  return async function* () {
    const half = Math.floor(bytes.length / 2);
    yield bytes.subarray(0, half);
    await eventually(
      () => (stack.sandbox.calls().S3_PUT ?? 0) === 1,
      'the PUT starts before the client has sent the whole file',
    );
    yield bytes.subarray(half);
  };
}

describe('a declared size above the threshold streams into the PUT', () => {
  it('lands whole with the right md5, is listed, and the PUT started before the file was all sent', async () => {
    const bytes = someBytes(THRESHOLD * 20 + 17);
    const before = newFiles();
    const result = uploadResult(
      await upload(stack, {
        token: master(),
        projectMemberId: memberId,
        file: sentWhilePutRuns(bytes),
        size: bytes.length,
      }),
    );
    expect(result).toMatchObject({
      __typename: 'UploadDataFilePayload',
      uploadMethod: 'DIRECT',
      size: bytes.length,
      md5: md5Of(bytes),
    });
    expect(stack.sandbox.calls()).toMatchObject({ D7: 1, S3_PUT: 1, D8: 1 });
    expect(stack.sandbox.calls().D6).toBeUndefined();
    // No md5 was given, and on this path it is only known once the file is stored.
    expect(result.dataFile?.metadata).toEqual(DEFAULT_METADATA);
    const listed = (await listFiles(stack, master(), memberId)).find(
      (f) => f.databaseId === result.databaseId,
    );
    expect(md5Of(await download(listed?.downloadUrl ?? ''))).toBe(md5Of(bytes));
    expect(before.created()).toEqual([
      { id: result.databaseId, completed: true, size: bytes.length },
    ]);
    expect(stack.leftovers()).toEqual([]);
  });

  it('stores a given metadata.md5 (any case) and checks it', async () => {
    const bytes = someBytes(THRESHOLD * 3);
    const md5 = md5Of(bytes).toUpperCase();
    const result = uploadResult(
      await upload(stack, {
        token: master(),
        projectMemberId: memberId,
        file: bytes,
        size: bytes.length,
        metadata: { ...DEFAULT_METADATA, md5 },
      }),
    );
    expect(result).toMatchObject({ __typename: 'UploadDataFilePayload', md5: md5Of(bytes) });
    expect(result.dataFile?.metadata).toEqual({ ...DEFAULT_METADATA, md5 });
  });

  it('works with a member token too', async () => {
    const member = someMember(stack, 4);
    const bytes = someBytes(THRESHOLD * 2 + 1);
    const result = uploadResult(
      await upload(stack, { token: member.token, file: bytes, size: bytes.length }),
    );
    expect(result).toMatchObject({
      __typename: 'UploadDataFilePayload',
      projectMemberId: member.projectMemberId,
      md5: md5Of(bytes),
    });
    expect((await listFiles(stack, member.token)).map((f) => f.databaseId)).toContain(
      result.databaseId,
    );
  });
});

describe('bytes that do not match the declaration are never completed', () => {
  const cases = [
    {
      name: 'fewer bytes than the declared size',
      sent: THRESHOLD * 4,
      declared: THRESHOLD * 4 + 1,
      message: /has 262144 bytes/,
    },
    {
      name: 'more bytes than the declared size',
      sent: THRESHOLD * 4,
      declared: THRESHOLD * 4 - 1,
      message: /more than 262143/,
    },
    {
      name: 'far fewer bytes (half the declared size)',
      sent: THRESHOLD * 2,
      declared: THRESHOLD * 4,
      message: /has 131072 bytes/,
    },
  ];
  for (const c of cases) {
    it(`${c.name}: InvalidInputError on input.size, no D8, nothing listed or completed`, async () => {
      const before = await listedIds();
      const files = newFiles();
      stack.sandbox.resetCalls();
      const result = uploadResult(
        await upload(stack, {
          token: master(),
          projectMemberId: memberId,
          file: someBytes(c.sent),
          size: c.declared,
        }),
      );
      expect(result).toMatchObject({ __typename: 'InvalidInputError', field: 'input.size' });
      expect(result.message).toMatch(c.message);
      expect(stack.sandbox.calls()).toMatchObject({ D7: 1 });
      expect(stack.sandbox.calls().D8).toBeUndefined();
      // D7 made a file; the PUT never delivered its Content-Length, so storage kept nothing.
      expect(files.created()).toEqual([{ id: expect.any(Number), completed: false, size: null }]);
      expect(await listedIds()).toEqual(before);
      expect(stack.leftovers()).toEqual([]);
    });
  }

  it('a declared md5 that does not match: ChecksumMismatchError, the last bytes are held back, nothing stored', async () => {
    const bytes = someBytes(THRESHOLD * 3);
    const files = newFiles();
    const wrong = md5Of(Buffer.from('something else'));
    const result = uploadResult(
      await upload(stack, {
        token: master(),
        projectMemberId: memberId,
        file: bytes,
        size: bytes.length,
        metadata: { ...DEFAULT_METADATA, md5: wrong },
      }),
    );
    expect(result).toMatchObject({
      __typename: 'ChecksumMismatchError',
      expectedMd5: wrong,
      actualMd5: md5Of(bytes),
    });
    expect(stack.sandbox.calls().D8).toBeUndefined();
    expect(files.created()).toEqual([{ id: expect.any(Number), completed: false, size: null }]);
    expect(stack.sandbox.store.file(files.created()[0]?.id ?? 0)?.content).toEqual({
      kind: 'none',
    });
  });

  it('a client that goes away mid-stream: the PUT is aborted, nothing completed or listed', async () => {
    const before = await listedIds();
    const files = newFiles();
    stack.sandbox.resetCalls();
    const url = new URL(stack.baseUrl);
    const socket = connect(Number(url.port), url.hostname);
    await new Promise<void>((resolve) => socket.once('connect', () => resolve()));
    socket.on('error', () => undefined);
    socket.write(
      'POST /graphql HTTP/1.1\r\n' +
        `Host: ${url.host}\r\n` +
        `Authorization: Bearer ${master()}\r\n` +
        'graphql-preflight: 1\r\n' +
        `Content-Type: multipart/form-data; boundary=${BOUNDARY}\r\n` +
        'Transfer-Encoding: chunked\r\n\r\n',
    );
    const declared = THRESHOLD * 16;
    const spec = {
      operations: {
        query: UPLOAD_MUTATION,
        variables: {
          input: {
            projectMemberId: memberId,
            file: null,
            metadata: DEFAULT_METADATA,
            size: declared,
          },
        },
      },
      map: { '0': ['variables.input.file'] },
      files: [{ field: '0', filename: 'gone.bin', content: someBytes(declared) }],
    };
    let sent = 0;
    for await (const chunk of multipartBody(spec)) {
      const part = chunk.subarray(0, Math.min(chunk.length, THRESHOLD * 4 - sent));
      socket.write(`${part.length.toString(16)}\r\n`);
      socket.write(part);
      socket.write('\r\n');
      sent += part.length;
      if (sent >= THRESHOLD * 4) break;
    }
    await eventually(() => (stack.sandbox.calls().S3_PUT ?? 0) === 1, 'the PUT has started');
    socket.destroy();
    // The sandbox logs a request when its response closes: the PUT was torn down, not answered.
    await eventually(
      () => stack.sandbox.requests().some((r) => r.route === 'S3_PUT'),
      'the PUT ends',
    );
    expect(stack.sandbox.requests().find((r) => r.route === 'S3_PUT')?.status).toBe(0);
    expect(stack.sandbox.calls().D8).toBeUndefined();
    expect(files.created()).toEqual([{ id: expect.any(Number), completed: false, size: null }]);
    expect(await listedIds()).toEqual(before);
    expect(stack.leftovers()).toEqual([]);
    // The gateway keeps serving.
    const after = uploadResult(
      await upload(stack, {
        token: master(),
        projectMemberId: memberId,
        file: someBytes(THRESHOLD * 2),
        size: THRESHOLD * 2,
      }),
    );
    expect(after.__typename).toBe('UploadDataFilePayload');
  });
});

describe('declared sizes are checked before anything is read or sent', () => {
  const bad = [
    { size: 0, typename: 'InvalidInputError' },
    { size: -5, typename: 'InvalidInputError' },
    { size: 1.5, typename: 'InvalidInputError' },
    { size: MAX + 1, typename: 'FileTooLargeError' },
  ];
  for (const c of bad) {
    it(`size ${c.size}: ${c.typename}, no upstream write`, async () => {
      const result = uploadResult(
        await upload(stack, {
          token: master(),
          projectMemberId: memberId,
          file: someBytes(1000),
          size: c.size,
        }),
      );
      expect(result.__typename).toBe(c.typename);
      if (c.typename === 'InvalidInputError') expect(result.field).toBe('input.size');
      else expect(result.limitBytes).toBe(MAX);
      expect(['D6', 'D7', 'D8', 'S3_PUT'].filter((r) => r in stack.sandbox.calls())).toEqual([]);
    });
  }
});

describe('spooled as before', () => {
  it('without a size: spooled, the md5 filled into the metadata', async () => {
    const bytes = someBytes(THRESHOLD * 3);
    const result = uploadResult(
      await upload(stack, { token: master(), projectMemberId: memberId, file: bytes }),
    );
    expect(result).toMatchObject({ __typename: 'UploadDataFilePayload', uploadMethod: 'DIRECT' });
    expect(result.dataFile?.metadata).toEqual({ ...DEFAULT_METADATA, md5: md5Of(bytes) });
  });

  it('a declared size at or below the threshold goes the simple way, and is checked too', async () => {
    const bytes = someBytes(1000);
    const ok = uploadResult(
      await upload(stack, { token: master(), projectMemberId: memberId, file: bytes, size: 1000 }),
    );
    expect(ok).toMatchObject({
      __typename: 'UploadDataFilePayload',
      uploadMethod: 'SIMPLE',
      md5: md5Of(bytes),
    });
    stack.sandbox.resetCalls();
    const wrong = uploadResult(
      await upload(stack, { token: master(), projectMemberId: memberId, file: bytes, size: 999 }),
    );
    expect(wrong).toMatchObject({ __typename: 'InvalidInputError', field: 'input.size' });
    expect(stack.sandbox.calls().D6).toBeUndefined();
  });

  it('with an idempotency key and no md5: spooled (the key must name the bytes)', async () => {
    const bytes = someBytes(THRESHOLD * 2);
    const result = uploadResult(
      await upload(stack, {
        token: master(),
        projectMemberId: memberId,
        file: bytes,
        size: bytes.length,
        idempotencyKey: 'declared-no-md5',
      }),
    );
    expect(result.dataFile?.metadata).toEqual({ ...DEFAULT_METADATA, md5: md5Of(bytes) });
  });

  it('with an idempotency key and md5: streamed, and a retry returns the first file without writing', async () => {
    const bytes = someBytes(THRESHOLD * 2);
    const args = {
      token: master(),
      projectMemberId: memberId,
      file: bytes,
      size: bytes.length,
      idempotencyKey: 'declared-md5',
      metadata: { ...DEFAULT_METADATA, md5: md5Of(bytes) },
    };
    const first = uploadResult(await upload(stack, args));
    expect(first.__typename).toBe('UploadDataFilePayload');
    stack.sandbox.resetCalls();
    const retry = uploadResult(await upload(stack, args));
    expect(retry.databaseId).toBe(first.databaseId);
    expect(['D6', 'D7', 'D8', 'S3_PUT'].filter((r) => r in stack.sandbox.calls())).toEqual([]);
    const other = uploadResult(await upload(stack, { ...args, size: bytes.length + 1 }));
    expect(other.__typename).toBe('IdempotencyKeyConflictError');
  });
});
