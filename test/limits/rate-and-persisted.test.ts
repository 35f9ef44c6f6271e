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
import { ClientAddressResolver } from '../../src/http/client-address.js';
import { bearerHash, clientKey, VerifiedTokens } from '../../src/limits/client-key.js';
import { TokenBucketLimiter } from '../../src/limits/rate-limit.js';
import type { Stack } from '../helpers/stack.js';
import { findSecrets, GATEWAY_ORIGIN, startStack } from '../helpers/stack.js';

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
function postFrom(
  stack: Stack,
  address: string,
  body: unknown,
  headers: Record<string, string> = {},
): Promise<Response> {
  const init = {
    method: 'POST',
    headers: { 'content-type': 'application/json', ...headers },
    body: JSON.stringify(body),
  };
  return Promise.resolve(
    stack.gateway.fetch(new URL('/graphql', GATEWAY_ORIGIN), init, fromAddress(address)),
  );
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

  it('keys clients by address until Open Humans accepted their token, then by token hash', () => {
    const req = (headers: Record<string, string> = {}) =>
      new Request('http://gw/graphql', { headers });
    const token = 'fake-rate-limit-token-0001';
    const hash = bearerHash(req({ authorization: `Bearer ${token}` }));
    expect(hash).toMatch(/^[0-9a-f]{32}$/);
    const verified = new VerifiedTokens(60_000);
    expect(clientKey('203.0.113.5', hash, verified)).toBe('address:203.0.113.5');
    verified.add(hash ?? '');
    expect(clientKey('203.0.113.5', hash, verified)).toBe(`token:${hash}`);
    expect(clientKey('198.51.100.1', hash, verified)).toBe(`token:${hash}`);
    expect(clientKey('203.0.113.5', null, verified)).toBe('address:203.0.113.5');
    // Loopback is an address like any other; only in-process calls have none.
    const direct = new ClientAddressResolver({ kind: 'none' });
    expect(direct.resolve(req(), fromAddress('::ffff:127.0.0.1'))).toBe('127.0.0.1');
    expect(direct.resolve(req(), undefined)).toBeNull();
    // X-Forwarded-For only behind a trusted proxy
    const forwarded = req({ 'x-forwarded-for': '192.0.2.44, 10.0.0.1' });
    expect(
      new ClientAddressResolver({ kind: 'hops', hops: 1 }).resolve(
        forwarded,
        fromAddress('127.0.0.1'),
      ),
    ).toBe('10.0.0.1');
    expect(
      new ClientAddressResolver({ kind: 'hops', hops: 2 }).resolve(
        forwarded,
        fromAddress('127.0.0.1'),
      ),
    ).toBe('192.0.2.44');
    expect(direct.resolve(forwarded, fromAddress('203.0.113.9'))).toBe('203.0.113.9');
  });
});

describe('rate limit on /graphql', () => {
  let stack: Stack;
  beforeAll(async () => {
    stack = await stackWith({ RATE_LIMIT_PER_SECOND: '1', RATE_LIMIT_BURST: '3' });
  });

  it('answers 429 with Retry-After and RATE_LIMITED past the burst, per client', async () => {
    const query = { query: '{ __typename }' };
    for (let i = 0; i < 3; i += 1)
      expect((await postFrom(stack, '203.0.113.10', query)).status).toBe(200);
    const limited = await postFrom(stack, '203.0.113.10', query, { 'x-request-id': 'rl-test-1' });
    expect(limited.status).toBe(429);
    expect(limited.headers.get('retry-after')).toBe('1');
    expect(limited.headers.get('x-request-id')).toBe('rl-test-1');
    const body = (await limited.json()) as {
      errors: { message: string; extensions: Record<string, unknown> }[];
    };
    expect(body.errors[0]?.extensions).toEqual({ code: 'RATE_LIMITED', retryAfterSeconds: 1 });
    expect(body.errors[0]?.message).toMatch(/Too many requests/);
    // Another client still has its own bucket; loopback is an address like any other.
    expect((await postFrom(stack, '203.0.113.11', query)).status).toBe(200);
    const loopback: number[] = [];
    for (let i = 0; i < 5; i += 1)
      loopback.push((await postFrom(stack, '127.0.0.1', query)).status);
    expect(loopback).toEqual([200, 200, 200, 429, 429]);
  });

  it('exempts only the addresses of RATE_LIMIT_EXEMPT', async () => {
    const exempt = await stackWith({
      RATE_LIMIT_PER_SECOND: '1',
      RATE_LIMIT_BURST: '1',
      RATE_LIMIT_EXEMPT: '127.0.0.1,10.1.0.0/16',
    });
    const query = { query: '{ __typename }' };
    for (const address of ['127.0.0.1', '::ffff:127.0.0.1', '10.1.2.3']) {
      for (let i = 0; i < 3; i += 1)
        expect((await postFrom(exempt, address, query)).status).toBe(200);
    }
    expect((await postFrom(exempt, '10.2.0.1', query)).status).toBe(200);
    expect((await postFrom(exempt, '10.2.0.1', query)).status).toBe(429);
  });

  it('gives a token its own bucket, wherever it comes from, once Open Humans accepted it; never writes it out', async () => {
    const own = await stackWith({ RATE_LIMIT_PER_SECOND: '1', RATE_LIMIT_BURST: '3' });
    const token = own.sandbox.masterToken;
    const auth = { authorization: `Bearer ${token}` };
    const proving = { query: '{ viewer { project { name } } }' };
    // Before it is proven the token is charged to its address: the address's bucket empties.
    expect((await postFrom(own, '198.51.100.1', proving, auth)).status).toBe(200);
    const statuses: number[] = [];
    for (const address of ['198.51.100.1', '198.51.100.2', '198.51.100.3', '198.51.100.4']) {
      const res = await postFrom(own, address, { query: '{ __typename }' }, auth);
      statuses.push(res.status);
      expect(findSecrets([await res.text()], [token])).toEqual([]);
    }
    // Proven: its own bucket of 3 whatever the address (the first request came out of the
    // address's).
    expect(statuses).toEqual([200, 200, 200, 429]);
    // …while the address it was proven from still has 2 requests of its own left.
    expect((await postFrom(own, '198.51.100.1', { query: '{ __typename }' })).status).toBe(200);
    expect(findSecrets(own.logLines, [token])).toEqual([]);
  });

  it('is off with RATE_LIMIT_PER_SECOND=0', async () => {
    const off = await stackWith({ RATE_LIMIT_PER_SECOND: '0', RATE_LIMIT_BURST: '1' });
    for (let i = 0; i < 5; i += 1)
      expect((await postFrom(off, '203.0.113.12', { query: '{ __typename }' })).status).toBe(200);
  });
});

describe('persisted operations (allow-list mode)', () => {
  const HASH = 'b5f2ab4c2a0b3c6d0e1f2a3b4c5d6e7f8a9b0c1d2e3f4a5b6c7d8e9f0a1b2c3d';
  let stack: Stack;
  beforeAll(async () => {
    const file = join(dir, 'operations.json');
    await writeFile(
      file,
      JSON.stringify({ [HASH]: 'query ProjectCount { projects(first: 1) { totalCount } }' }),
    );
    stack = await stackWith({ PERSISTED_OPERATIONS_FILE: file });
  });

  const post = (body: unknown) =>
    stack.fetch('/graphql', {
      method: 'POST',
      headers: { 'content-type': 'application/json' },
      body: JSON.stringify(body),
    });

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
    const unknown = await post({
      extensions: { persistedQuery: { version: 1, sha256Hash: 'f'.repeat(64) } },
    });
    const empty = await post({});
    for (const res of [arbitrary, unknown, empty]) {
      expect(res.status).toBeGreaterThanOrEqual(400);
      expect(res.status).toBeLessThan(500);
      const body = (await res.json()) as {
        data?: unknown;
        errors: { message: string; extensions: Record<string, unknown> }[];
      };
      expect(body.data ?? null).toBeNull();
      expect(body.errors[0]?.extensions).toMatchObject({
        code: 'BAD_USER_INPUT',
        limit: 'persistedOperation',
      });
    }
  });

  it('fails fast on a malformed file', async () => {
    const bad = join(dir, 'bad.json');
    await writeFile(bad, JSON.stringify({ x: 42 }));
    await expect(startStack({ sandbox, env: { PERSISTED_OPERATIONS_FILE: bad } })).rejects.toThrow(
      /not query strings/,
    );
  });
});
