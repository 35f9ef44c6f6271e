/**
 * Disk: an upload's token is proven to Open Humans before a byte of its body is read,
 * unreferenced file parts are refused, and concurrency, spool bytes and free disk are capped.
 * Over real HTTP against the sandbox; bodies are streamed (a 1 GB body is never allocated).
 */
import { readdirSync, statSync } from 'node:fs';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { UploadStack } from '../mutations/upload-stack.js';
import { someMember, startUploadStack, upload, uploadResult } from '../mutations/upload-stack.js';
import type { StreamedResult } from './abuse-client.js';
import {
  fakeMasterToken,
  multipartHead,
  multipartHeaders,
  multipartTail,
  nextPart,
  streamRequest,
  uploadOperations,
  zeroes,
} from './abuse-client.js';

const MiB = 1024 * 1024;

/** Samples the spool directory every 20 ms; `stop()` returns the largest total seen, in bytes. */
function watchSpool(dir: string): { stop(): number } {
  let max = 0;
  const sample = (): void => {
    let total = 0;
    for (const name of readdirSync(dir))
      total += statSync(join(dir, name), { throwIfNoEntry: false })?.size ?? 0;
    max = Math.max(max, total);
  };
  const timer = setInterval(sample, 20);
  return {
    stop() {
      clearInterval(timer);
      sample();
      return max;
    },
  };
}

/** A body that sends `head`, then waits for `release()` before sending the rest. */
function heldBody(
  head: Buffer[],
  rest: Buffer[],
): { body: AsyncIterable<Buffer>; release(): void } {
  let release!: () => void;
  const gate = new Promise<void>((r) => (release = r));
  return {
    release,
    body: (async function* () {
      yield* head;
      await gate;
      yield* rest;
    })(),
  };
}

async function until(check: () => boolean, what: string): Promise<void> {
  for (let i = 0; i < 500; i++) {
    if (check()) return;
    await new Promise((r) => setTimeout(r, 10));
  }
  throw new Error(`timed out waiting for ${what}`);
}

const spoolBytes = (stack: UploadStack): number =>
  stack
    .leftovers()
    .reduce(
      (sum, name) =>
        sum + (statSync(join(stack.tmpDir, name), { throwIfNoEntry: false })?.size ?? 0),
      0,
    );

const firstError = (res: StreamedResult): Record<string, unknown> | undefined =>
  res.json?.errors?.[0]?.extensions;

describe('the token is proven before the body is read', () => {
  let stack: UploadStack;
  beforeAll(async () => {
    stack = await startUploadStack();
  });
  afterAll(async () => {
    await stack?.close();
  });
  const routes = (): string[] => stack.upstreamCalls.map((c) => c.route);

  it('an unauthenticated 1 GB upload with a master-token-shaped string: 401, nothing spooled, sender stopped early', async () => {
    stack.upstreamCalls.length = 0;
    const spool = watchSpool(stack.tmpDir);
    const res = await streamRequest(stack.baseUrl, {
      path: '/graphql',
      headers: multipartHeaders(fakeMasterToken()),
      body: (function* () {
        yield multipartHead(uploadOperations('12345678'), { '0': ['variables.input.file'] }, '0');
        yield* zeroes(1024 * MiB);
        yield multipartTail();
      })(),
    });
    expect(spool.stop()).toBe(0);
    expect(res.status).toBe(401);
    expect(firstError(res)).toMatchObject({ code: 'UNAUTHENTICATED', reason: 'TOKEN_INVALID' });
    expect(res.headers.connection).toBe('close');
    // The socket buffers of both ends hold a few MB; the gateway read none of it into a file.
    expect(res.sentBytes).toBeLessThan(64 * MiB);
    expect(routes()).toEqual(['D1']);
  });

  it('no token at all: 401 TOKEN_MISSING without any upstream call', async () => {
    stack.upstreamCalls.length = 0;
    const res = await streamRequest(stack.baseUrl, {
      path: '/graphql',
      headers: multipartHeaders(),
      body: [
        multipartHead(uploadOperations('12345678'), { '0': ['variables.input.file'] }, '0'),
        Buffer.alloc(1000),
        multipartTail(),
      ],
    });
    expect(res.status).toBe(401);
    expect(firstError(res)).toMatchObject({ code: 'UNAUTHENTICATED', reason: 'TOKEN_MISSING' });
    expect(routes()).toEqual([]);
  });

  it('a proven token is checked once, then remembered (per token) for its TTL', async () => {
    stack.upstreamCalls.length = 0;
    const { projectMemberId } = someMember(stack, 0);
    for (let i = 0; i < 2; i++) {
      const result = uploadResult(
        await upload(stack, {
          token: stack.sandbox.masterToken,
          projectMemberId,
          file: Buffer.alloc(100, i),
        }),
      );
      expect(result.__typename).toBe('UploadDataFilePayload');
    }
    expect(routes().filter((r) => r === 'D1')).toHaveLength(1);
    // Another token is checked on its own: nothing is shared across tokens.
    const member = someMember(stack, 1);
    expect(
      uploadResult(await upload(stack, { token: member.token, file: Buffer.alloc(100, 7) }))
        .__typename,
    ).toBe('UploadDataFilePayload');
    expect(routes().filter((r) => r === 'D1')).toHaveLength(2);
    expect(stack.leftovers()).toEqual([]);
  });

  it('a file part the operation does not use is refused, not spooled', async () => {
    stack.upstreamCalls.length = 0;
    const { projectMemberId } = someMember(stack, 0);
    const operations = uploadOperations(projectMemberId);
    const spool = watchSpool(stack.tmpDir);
    // Part "1" (4 MiB, for an undeclared $junk) comes first; the used part "0" only after it.
    const res = await streamRequest(stack.baseUrl, {
      path: '/graphql',
      headers: { ...multipartHeaders(stack.sandbox.masterToken), accept: 'application/json' },
      body: (function* () {
        yield multipartHead(
          { ...operations, variables: { ...operations.variables, junk: null } },
          { '0': ['variables.input.file'], '1': ['variables.junk'] },
          '1',
        );
        yield* zeroes(4 * MiB);
        yield nextPart('0');
        yield Buffer.alloc(100);
        yield multipartTail();
      })(),
    });
    expect(spool.stop()).toBe(0);
    expect(firstError(res)).toMatchObject({ code: 'BAD_USER_INPUT', reason: 'UNREFERENCED_FILE' });
    expect(res.json?.errors?.[0]?.message).toMatch(/"1"/);
    expect(routes().filter((r) => r !== 'D1')).toEqual([]);
  });

  it('a map that names one path twice is refused before anything runs', async () => {
    const res = await streamRequest(stack.baseUrl, {
      path: '/graphql',
      headers: multipartHeaders(stack.sandbox.masterToken),
      body: [
        multipartHead(
          uploadOperations('12345678'),
          { '0': ['variables.input.file'], '1': ['variables.input.file'] },
          '0',
        ),
        Buffer.alloc(10),
        multipartTail(),
      ],
    });
    expect(res.status).toBe(400);
    expect(res.json?.errors?.[0]?.message).toMatch(/named more than once/);
  });
});

describe('concurrent uploads are capped per token and process-wide', () => {
  let stack: UploadStack;
  beforeAll(async () => {
    stack = await startUploadStack({
      UPLOAD_MAX_CONCURRENT_PER_TOKEN: '1',
      UPLOAD_MAX_CONCURRENT: '2',
    });
  });
  afterAll(async () => {
    await stack?.close();
  });

  it('a second upload of the same token gets 429, a third token 503 while two run; both finish, slots come back', async () => {
    const master = stack.sandbox.masterToken;
    const { projectMemberId } = someMember(stack, 0);
    const memberA = someMember(stack, 1);
    const memberB = someMember(stack, 2);
    const held = (pmi?: string): { body: AsyncIterable<Buffer>; release(): void } =>
      heldBody(
        [
          multipartHead(uploadOperations(pmi), { '0': ['variables.input.file'] }, '0'),
          Buffer.alloc(64 * 1024, 1),
        ],
        [Buffer.alloc(1000, 2), multipartTail()],
      );
    const first = held(projectMemberId);
    const firstDone = streamRequest(stack.baseUrl, {
      path: '/graphql',
      headers: multipartHeaders(master),
      body: first.body,
    });
    await until(() => spoolBytes(stack) >= 64 * 1024, 'the first upload to spool');

    const sameToken = await streamRequest(stack.baseUrl, {
      path: '/graphql',
      headers: multipartHeaders(master),
      body: [
        multipartHead(uploadOperations(projectMemberId), { '0': ['variables.input.file'] }, '0'),
        Buffer.alloc(10),
        multipartTail(),
      ],
    });
    expect(sameToken.status).toBe(429);
    expect(firstError(sameToken)).toMatchObject({
      code: 'RATE_LIMITED',
      reason: 'TOKEN_UPLOADS_BUSY',
    });
    expect(sameToken.headers['retry-after']).toBeDefined();

    const second = held();
    const secondDone = streamRequest(stack.baseUrl, {
      path: '/graphql',
      headers: multipartHeaders(memberA.token),
      body: second.body,
    });
    await until(() => spoolBytes(stack) >= 2 * 64 * 1024, 'the second upload to spool');

    const third = await streamRequest(stack.baseUrl, {
      path: '/graphql',
      headers: multipartHeaders(memberB.token),
      body: [
        multipartHead(uploadOperations(), { '0': ['variables.input.file'] }, '0'),
        Buffer.alloc(10),
        multipartTail(),
      ],
    });
    expect(third.status).toBe(503);
    expect(firstError(third)).toMatchObject({ code: 'RATE_LIMITED', reason: 'UPLOADS_BUSY' });

    first.release();
    second.release();
    for (const done of [await firstDone, await secondDone]) {
      expect(done.status).toBe(200);
      expect(done.json?.data).toMatchObject({
        uploadDataFile: { __typename: 'UploadDataFilePayload', size: 64 * 1024 + 1000 },
      });
    }
    // Slots are back: the refused token uploads now.
    expect(
      uploadResult(await upload(stack, { token: memberB.token, file: Buffer.alloc(10, 3) }))
        .__typename,
    ).toBe('UploadDataFilePayload');
    expect(stack.leftovers()).toEqual([]);
  });
});

describe('spool bytes and free disk are capped', () => {
  let stack: UploadStack;
  beforeAll(async () => {
    stack = await startUploadStack({
      MAX_UPLOAD_BYTES: String(MiB),
      UPLOAD_MAX_SPOOL_BYTES: String(MiB),
    });
  });
  afterAll(async () => {
    await stack?.close();
  });

  it('an upload that would take the spools past UPLOAD_MAX_SPOOL_BYTES fails with SPOOL_FULL; nothing is left on disk', async () => {
    const { projectMemberId } = someMember(stack, 0);
    const member = someMember(stack, 1);
    const first = heldBody(
      [
        multipartHead(uploadOperations(projectMemberId), { '0': ['variables.input.file'] }, '0'),
        Buffer.alloc(900 * 1024, 1),
      ],
      [multipartTail()],
    );
    const firstDone = streamRequest(stack.baseUrl, {
      path: '/graphql',
      headers: multipartHeaders(stack.sandbox.masterToken),
      body: first.body,
    });
    await until(() => spoolBytes(stack) >= 900 * 1024, 'the first upload to spool');
    const second = await streamRequest(stack.baseUrl, {
      path: '/graphql',
      headers: multipartHeaders(member.token),
      body: [
        multipartHead(uploadOperations(), { '0': ['variables.input.file'] }, '0'),
        Buffer.alloc(200 * 1024, 2),
        multipartTail(),
      ],
    });
    expect(second.json?.errors?.[0]?.extensions).toMatchObject({
      code: 'RATE_LIMITED',
      reason: 'SPOOL_FULL',
    });
    first.release();
    expect((await firstDone).json?.data).toMatchObject({
      uploadDataFile: { __typename: 'UploadDataFilePayload', size: 900 * 1024 },
    });
    await until(() => stack.leftovers().length === 0, 'spools to be removed');
  });
});

describe('free disk floor', () => {
  let stack: UploadStack;
  beforeAll(async () => {
    // Far more than any test machine has free: every upload meets the floor.
    stack = await startUploadStack({ UPLOAD_MIN_FREE_DISK_BYTES: String(1024 * 1024 * MiB) });
  });
  afterAll(async () => {
    await stack?.close();
  });

  it('below UPLOAD_MIN_FREE_DISK_BYTES an upload is refused with 503 DISK_LOW before its body is read', async () => {
    const spool = watchSpool(stack.tmpDir);
    const res = await streamRequest(stack.baseUrl, {
      path: '/graphql',
      headers: multipartHeaders(stack.sandbox.masterToken),
      body: (function* () {
        yield multipartHead(uploadOperations('12345678'), { '0': ['variables.input.file'] }, '0');
        yield* zeroes(256 * MiB);
        yield multipartTail();
      })(),
    });
    expect(spool.stop()).toBe(0);
    expect(res.status).toBe(503);
    expect(firstError(res)).toMatchObject({ code: 'RATE_LIMITED', reason: 'DISK_LOW' });
    expect(res.sentBytes).toBeLessThan(64 * MiB);
  });
});
