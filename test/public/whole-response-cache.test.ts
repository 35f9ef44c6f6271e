/**
 * The whole-response cache of anonymous public queries (src/http/public-response-cache.ts),
 * over the sandbox: what it serves is byte for byte what execution gives, credentialed requests
 * never touch it, errors are not kept, and writes through the gateway empty it.
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { type Stack, startStack } from '../helpers/stack.js';
import { someBytes } from '../mutations/upload-client.js';
import {
  someMember,
  startUploadStack,
  type UploadStack,
  upload,
  uploadResult,
} from '../mutations/upload-stack.js';
import { callsOf, coldCache } from './support.js';

let stack: UploadStack;
let uncachedStack: Stack;
beforeAll(async () => {
  stack = await startUploadStack();
  // Same sandbox, whole-response cache off: the reference bytes.
  uncachedStack = await startStack({
    sandbox: stack.sandbox,
    env: { RESPONSE_CACHE_MAX_ENTRIES: '0' },
  });
});
afterAll(async () => {
  await uncachedStack?.close();
  await stack?.close();
});

const PAGE = `query Page($n: Int!) { dataFiles(first: $n) { totalCount edges { cursor node {
  id databaseId basename created dataTypes { name } sourceProject { name slug } user { username } } } } }`;

/** POSTs `query` (anonymous unless `headers` say otherwise) and returns the raw body. */
async function post(
  target: Stack,
  query: string,
  variables: Record<string, unknown>,
  headers: Record<string, string> = {},
): Promise<string> {
  const res = await target.fetch('/graphql', {
    method: 'POST',
    headers: { 'content-type': 'application/json', accept: 'application/json', ...headers },
    body: JSON.stringify({ query, variables }),
  });
  return res.text();
}

/** Public cache lookups so far: an answer served whole from the response cache makes none. */
const lookups = (): number =>
  stack.publicCache.stats.hits + stack.publicCache.stats.misses + stack.publicCache.stats.joined;

/** True when `action` was answered without executing (no public cache lookup at all). */
async function servedWhole(action: () => Promise<unknown>): Promise<boolean> {
  const before = lookups();
  await action();
  return lookups() === before;
}

describe('whole-response cache', () => {
  it('serves a repeated anonymous query without upstream calls, byte-identical to an uncached answer', async () => {
    await coldCache(stack);
    let first = '';
    expect(await callsOf(stack, async () => (first = await post(stack, PAGE, { n: 30 })))).toEqual({
      P1: 1,
      P3: 1,
      P10: 1,
    });
    let second = '';
    expect(await callsOf(stack, async () => (second = await post(stack, PAGE, { n: 30 })))).toEqual(
      {},
    );
    expect(await servedWhole(() => post(stack, PAGE, { n: 30 }))).toBe(true);
    expect(second).toBe(first);
    const reference = await post(uncachedStack, PAGE, { n: 30 });
    expect(JSON.parse(reference).errors).toBeUndefined();
    expect(second).toBe(reference);
  });

  it('keys entries by variables: another page size is another entry', async () => {
    await coldCache(stack);
    await post(stack, PAGE, { n: 5 });
    await stack.publicCache.invalidatePath('/api/public/datafiles/');
    // An entry for n=5 must not answer n=6 (it would have no upstream call and 5 edges).
    expect(await callsOf(stack, async () => JSON.parse(await post(stack, PAGE, { n: 6 })))).toEqual(
      { P1: 1 },
    );
  });

  it('never serves nor stores for a request with a token or a malformed Authorization header', async () => {
    const master = stack.sandbox.masterToken;
    for (const authorization of [`Bearer ${master}`, 'Basic abc', 'Bearer', 'Bearer  two words']) {
      await coldCache(stack);
      // A credentialed request first: it must not fill the cache for the anonymous one after it.
      const credentialed = await callsOf(stack, () =>
        post(stack, PAGE, { n: 3 }, { authorization }),
      );
      expect(credentialed, authorization).toEqual({ P1: 1, P3: 1, P10: 1 });
      await stack.publicCache.invalidatePath('/api/public/datafiles/');
      expect(await callsOf(stack, () => post(stack, PAGE, { n: 3 })), authorization).toEqual({
        P1: 1,
      });
      expect(await servedWhole(() => post(stack, PAGE, { n: 3 })), authorization).toBe(true);
      // Now cached for anonymous callers: the credentialed request is still executed.
      expect(
        await servedWhole(() => post(stack, PAGE, { n: 3 }, { authorization })),
        authorization,
      ).toBe(false);
    }
  });

  it('does not keep answers with errors', async () => {
    await coldCache(stack);
    stack.sandbox.setFaults({ rules: [{ route: 'P10', kind: 'status', status: 503 }] });
    try {
      const failed = JSON.parse(await post(stack, PAGE, { n: 4 })) as { errors?: unknown[] };
      expect(failed.errors?.length).toBeGreaterThan(0);
    } finally {
      stack.sandbox.clearFaults();
    }
    // Not served from a kept error: the projects are asked for again, and the answer is clean.
    let body = '';
    expect(await callsOf(stack, async () => (body = await post(stack, PAGE, { n: 4 })))).toEqual({
      P10: 1,
    });
    expect(JSON.parse(body).errors).toBeUndefined();
  });

  it('is emptied by an upload and by a delete through the gateway', async () => {
    const member = someMember(stack, 3);
    const query = '{ dataFiles(first: 1) { totalCount } }';
    await coldCache(stack);
    await post(stack, query, {});
    expect(await servedWhole(() => post(stack, query, {}))).toBe(true);

    const uploaded = uploadResult(
      await upload(stack, {
        token: member.token,
        file: someBytes(100),
        filename: 'response-cache.txt',
      }),
    );
    const databaseId = uploaded.databaseId ?? 0;
    expect(databaseId).toBeGreaterThan(0);
    // The write invalidated the public file lists, and with them every whole answer.
    expect(await callsOf(stack, () => post(stack, query, {}))).toEqual({ P1: 1 });
    expect(await servedWhole(() => post(stack, query, {}))).toBe(true);

    const deleted = await stack.execute<{ deleteDataFiles: { deletedDatabaseIds?: number[] } }>(
      'mutation($input: DeleteDataFilesInput!) { deleteDataFiles(input: $input) { ... on DeleteDataFilesPayload { deletedDatabaseIds } } }',
      { input: { projectMemberId: member.projectMemberId, fileId: String(databaseId) } },
      { token: stack.sandbox.masterToken },
    );
    expect(deleted.data?.deleteDataFiles.deletedDatabaseIds).toEqual([databaseId]);
    expect(await callsOf(stack, () => post(stack, query, {}))).toEqual({ P1: 1 });
  });
});
