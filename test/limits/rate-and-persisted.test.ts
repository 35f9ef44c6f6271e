/**
 * Per-client rate limit (token bucket, 429 + Retry-After + RATE_LIMITED) and the
 * persisted-operations allow-list. Client addresses are passed as the node:http server context
 * yoga would get from a socket (documentation addresses; nothing is sent anywhere).
 */
import { mkdtemp, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { Sandbox } from '../../sandbox/index.js';
import { startSandbox } from '../../sandbox/index.js';
import { TokenBucketLimiter, clientKey } from '../../src/limits/rate-limit.js';
import type { Stack } from '../helpers/stack.js';
import { GATEWAY_ORIGIN, findSecrets, startStack } from '../helpers/stack.js';

let sandbox: Sandbox;
let dir: string;
const stacks: Stack[] = [];

async function stackWith(env: Record<string, string>): Promise<Stack> {
  const stack = await startStack({ sandbox, env: { LOG_LEVEL: 'warn', ...env } });
  stacks.push(stack);
  return stack;
}

beforeAll(async () => {
  sandbox = await startSandbox({ port: 0 });
  dir = await mkdtemp(join(tmpdir(), 'oh-limits-'));
});

afterAll(async () => {
  for (const stack of stacks) await stack.close();
  await sandbox?.close();
  await rm(dir, { recursive: true, force: true });
});

const fromAddress = (address: string) => ({ req: { socket: { remoteAddress: address } } });

/** POST /graphql as if it came over a socket from `address`. */
function postFrom(stack: Stack, address: string, body: unknown, headers: Record<string, string> = {}): Promise<Response> {
  const init = { method: 'POST', headers: { 'content-type': 'application/json', ...headers }, body: JSON.stringify(body) };
  return Promise.resolve(stack.gateway.fetch(new URL('/graphql', GATEWAY_ORIGIN), init, fromAddress(address)));
}

describe('token bucket', () => {
  it('allows a burst, then one request per refill interval, and says when to retry', () => {
    const limiter = new TokenBucketLimiter({ perSecond: 2, burst: 3 });
    const t0 = 1_000_000;
    expect([0, 1, 2].map(() => limiter.take('c', t0).ok)).toEqual([true, true, true]);
    expect(limiter.take('c', t0)).toEqual({ ok: false, retryAfterSeconds: 1 });
    expect(limiter.take('other', t0).ok).toBe(true);
    expect(limiter.take('c', t0 + 499).ok).toBe(false);
    expect(limiter.take('c', t0 + 1000).ok).toBe(true); // 0.998 + … tokens refilled: one request
    expect(limiter.take('c', t0 + 10_000).ok).toBe(true);
  });

  it('keys clients by token hash, else by address; loopback and in-process are not limited', () => {
    const req = (headers: Record<string, string> = {}) => new Request('http://gw/graphql', { headers });
    const token = 'fake-rate-limit-token-0001';
    const byToken = clientKey(req({ authorization: `Bearer ${token}` }), fromAddress('203.0.113.5'), false);
    expect(byToken).toMatch(/^token:[0-9a-f]{32}$/);
    expect(byToken).not.toContain(token);
    expect(clientKey(req({ authorization: `Bearer ${token}` }), fromAddress('198.51.100.1'), false)).toBe(byToken);
    expect(clientKey(req(), fromAddress('203.0.113.5'), false)).toBe('address:203.0.113.5');
    expect(clientKey(req(), fromAddress('127.0.0.1'), false)).toBeNull();
    expect(clientKey(req(), fromAddress('::ffff:127.0.0.1'), false)).toBeNull();
    expect(clientKey(req(), undefined, false)).toBeNull();
    // X-Forwarded-For only behind a trusted proxy
    const forwarded = req({ 'x-forwarded-for': '192.0.2.44, 10.0.0.1' });
    expect(clientKey(forwarded, fromAddress('127.0.0.1'), true)).toBe('address:192.0.2.44');
    expect(clientKey(forwarded, fromAddress('203.0.113.9'), false)).toBe('address:203.0.113.9');
  });
});

describe('rate limit on /graphql', () => {
  let stack: Stack;
  beforeAll(async () => {
    stack = await stackWith({ RATE_LIMIT_PER_SECOND: '1', RATE_LIMIT_BURST: '3' });
  });

  it('answers 429 with Retry-After and RATE_LIMITED past the burst, per client', async () => {
    const query = { query: '{ __typename }' };
    for (let i = 0; i < 3; i += 1) expect((await postFrom(stack, '203.0.113.10', query)).status).toBe(200);
    const limited = await postFrom(stack, '203.0.113.10', query, { 'x-request-id': 'rl-test-1' });
    expect(limited.status).toBe(429);
    expect(limited.headers.get('retry-after')).toBe('1');
    expect(limited.headers.get('x-request-id')).toBe('rl-test-1');
    const body = (await limited.json()) as { errors: { message: string; extensions: Record<string, unknown> }[] };
    expect(body.errors[0]?.extensions).toEqual({ code: 'RATE_LIMITED', retryAfterSeconds: 1 });
    expect(body.errors[0]?.message).toMatch(/Too many requests/);
    // Another client still has its own bucket; loopback is not limited.
    expect((await postFrom(stack, '203.0.113.11', query)).status).toBe(200);
    for (let i = 0; i < 5; i += 1) expect((await postFrom(stack, '127.0.0.1', query)).status).toBe(200);
  });

  it('limits a token wherever it comes from, and never writes it out', async () => {
    const token = 'fake-rate-limit-token-0002';
    const query = { query: '{ __typename }' };
    const auth = { authorization: `Bearer ${token}` };
    const statuses: number[] = [];
    for (const address of ['198.51.100.1', '198.51.100.2', '198.51.100.3', '198.51.100.4']) {
      const res = await postFrom(stack, address, query, auth);
      statuses.push(res.status);
      expect(findSecrets([await res.text()], [token])).toEqual([]);
    }
    expect(statuses).toEqual([200, 200, 200, 429]);
    expect(findSecrets(stack.logLines, [token])).toEqual([]);
  });

  it('is off with RATE_LIMIT_PER_SECOND=0', async () => {
    const off = await stackWith({ RATE_LIMIT_PER_SECOND: '0', RATE_LIMIT_BURST: '1' });
    for (let i = 0; i < 5; i += 1) expect((await postFrom(off, '203.0.113.12', { query: '{ __typename }' })).status).toBe(200);
  });
});

describe('persisted operations (allow-list mode)', () => {
  const HASH = 'b5f2ab4c2a0b3c6d0e1f2a3b4c5d6e7f8a9b0c1d2e3f4a5b6c7d8e9f0a1b2c3d';
  let stack: Stack;
  beforeAll(async () => {
    const file = join(dir, 'operations.json');
    await writeFile(file, JSON.stringify({ [HASH]: 'query ProjectCount { projects(first: 1) { totalCount } }' }));
    stack = await stackWith({ PERSISTED_OPERATIONS_FILE: file });
  });

  const post = (body: unknown) =>
    stack.fetch('/graphql', { method: 'POST', headers: { 'content-type': 'application/json' }, body: JSON.stringify(body) });

  it('runs a listed operation by its hash (Apollo extension or documentId)', async () => {
    const apq = await post({ extensions: { persistedQuery: { version: 1, sha256Hash: HASH } } });
    expect(apq.status).toBe(200);
    const body = (await apq.json()) as { data: { projects: { totalCount: number } } };
    expect(body.data.projects.totalCount).toBeGreaterThan(0);
    const byId = (await (await post({ documentId: HASH })).json()) as { data?: unknown };
    expect(byId.data).toEqual(body.data);
  });

  it('refuses arbitrary queries and unknown hashes with coded errors', async () => {
    const arbitrary = await post({ query: '{ projects(first: 1) { totalCount } }' });
    const unknown = await post({ extensions: { persistedQuery: { version: 1, sha256Hash: 'f'.repeat(64) } } });
    const empty = await post({});
    for (const res of [arbitrary, unknown, empty]) {
      expect(res.status).toBeGreaterThanOrEqual(400);
      expect(res.status).toBeLessThan(500);
      const body = (await res.json()) as { data?: unknown; errors: { message: string; extensions: Record<string, unknown> }[] };
      expect(body.data ?? null).toBeNull();
      expect(body.errors[0]?.extensions).toMatchObject({ code: 'BAD_USER_INPUT', limit: 'persistedOperation' });
    }
  });

  it('fails fast on a malformed file', async () => {
    const bad = join(dir, 'bad.json');
    await writeFile(bad, JSON.stringify({ x: 42 }));
    await expect(startStack({ sandbox, env: { PERSISTED_OPERATIONS_FILE: bad } })).rejects.toThrow(/not query strings/);
  });
});
