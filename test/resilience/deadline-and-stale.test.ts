/**
 * The request deadline bounds every upstream call of a request (hangs, retries, backoff), and
 * the public cache answers from a stale entry when the upstream fails — never past its window.
 */
import { afterAll, beforeAll, beforeEach, describe, expect, it } from 'vitest';
import { type Sandbox, startSandbox } from '../../sandbox/index.js';
import { codes, type ResilientStack, startResilientStack } from './support.js';

const PROJECTS = '{ projects(first: 2) { totalCount edges { node { name } } } }';
let sandbox: Sandbox;

beforeAll(async () => {
  sandbox = await startSandbox({ port: 0, sizes: { publicFiles: 300, users: 50 } });
});
afterAll(async () => {
  await sandbox?.close();
});
beforeEach(() => {
  sandbox.clearFaults();
  sandbox.resetCalls();
});

describe('request deadline', () => {
  let stack: ResilientStack;
  beforeAll(async () => {
    stack = await startResilientStack({
      sandbox,
      env: {
        REQUEST_DEADLINE_MS: '400',
        // Far longer than the deadline: only the deadline can end these calls early.
        UPSTREAM_HEADERS_TIMEOUT_MS: '20000',
        UPSTREAM_RETRY_MAX_ATTEMPTS: '10',
        UPSTREAM_RETRY_BASE_DELAY_MS: '150',
        UPSTREAM_RETRY_MAX_DELAY_MS: '150',
        PUBLIC_CACHE_MAX_ENTRIES: '0',
      },
    });
  });
  afterAll(async () => {
    await stack?.close();
  });

  it('ends a hanging upstream call at the deadline, with no retry after it', async () => {
    sandbox.setFaults({ rules: [{ route: 'P10', kind: 'hang' }] });
    const started = Date.now();
    const res = await stack.execute(PROJECTS);
    expect(codes(res)).toEqual(['UPSTREAM_UNAVAILABLE']);
    expect(res.errors?.[0]?.message).toMatch(/in time/);
    // Well before the 20 s headers timeout: the deadline, not the per-call timeout, ended it.
    expect(Date.now() - started).toBeLessThan(10_000);
    expect(sandbox.calls()).toEqual({ P10: 1 });
  });

  it('stops retrying when the next backoff would pass the deadline', async () => {
    sandbox.setFaults({ rules: [{ route: 'P10', kind: 'status', status: 503 }] });
    const res = await stack.execute(PROJECTS);
    expect(codes(res)).toEqual(['UPSTREAM_UNAVAILABLE']);
    // 10 attempts allowed, but with up to 150 ms between them only a few fit in 400 ms.
    const calls = sandbox.calls().P10 ?? 0;
    expect(calls).toBeGreaterThanOrEqual(1);
    expect(calls).toBeLessThan(10);
  });

  it('gives the next request a fresh budget', async () => {
    expect((await stack.execute(PROJECTS)).errors).toBeUndefined();
  });
});

describe('stale entries on upstream failure', () => {
  let stack: ResilientStack;
  let now = Date.now();
  beforeAll(async () => {
    stack = await startResilientStack({
      sandbox,
      now: () => now,
      env: {
        REQUEST_DEADLINE_MS: '500',
        UPSTREAM_RETRY_MAX_ATTEMPTS: '2',
        PUBLIC_CACHE_CATALOG_TTL_SECONDS: '60',
        PUBLIC_CACHE_STALE_SECONDS: '120',
        // Whole answers age on the real clock, not on `now`: off, so each query reaches the public
        // cache.
        RESPONSE_CACHE_MAX_ENTRIES: '0',
      },
    });
  });
  afterAll(async () => {
    await stack?.close();
  });

  it('serves a stale entry when the upstream fails, within the stale window only', async () => {
    const fresh = await stack.execute(PROJECTS);
    expect(fresh.errors).toBeUndefined();
    expect(sandbox.calls()).toEqual({ P10: 1 });

    now += 61_000; // past the TTL, inside the stale window
    sandbox.setFaults({ rules: [{ route: 'P10', kind: 'status', status: 503 }] });
    const stale = await stack.execute(PROJECTS);
    expect(stale.errors).toBeUndefined();
    expect(stale.data).toEqual(fresh.data);
    expect(sandbox.calls()).toEqual({ P10: 3 }); // it did ask again (twice) before falling back
    expect(stack.publicCache.stats.stale).toBe(1);

    // A hanging upstream: the stale entry answers when the request's deadline comes.
    sandbox.setFaults({ rules: [{ route: 'P10', kind: 'hang' }] });
    expect((await stack.execute(PROJECTS)).data).toEqual(fresh.data);

    now += 120_000; // past TTL + stale window
    sandbox.setFaults({ rules: [{ route: 'P10', kind: 'status', status: 503 }] });
    expect(codes(await stack.execute(PROJECTS))).toEqual(['UPSTREAM_UNAVAILABLE']);
  });

  it('callers sharing one hanging load each give up at their deadline with a coded error', async () => {
    sandbox.setFaults({ rules: [{ route: 'P3', kind: 'hang' }] });
    const both = await Promise.all(
      [1, 2].map(() => stack.execute('{ dataTypes(first: 1) { totalCount } }')),
    );
    for (const res of both) expect(codes(res)).toEqual(['UPSTREAM_UNAVAILABLE']);
    expect(sandbox.calls()).toEqual({ P3: 1 });
    expect(stack.publicCache.stats.joined).toBeGreaterThanOrEqual(1);
  });

  it('a successful refresh replaces the stale entry', async () => {
    sandbox.clearFaults();
    now += 1_000_000;
    expect((await stack.execute(PROJECTS)).errors).toBeUndefined();
    sandbox.resetCalls();
    expect((await stack.execute(PROJECTS)).errors).toBeUndefined();
    expect(sandbox.calls()).toEqual({});
  });
});

describe('partial results', () => {
  let stack: ResilientStack;
  beforeAll(async () => {
    stack = await startResilientStack({
      sandbox,
      env: { UPSTREAM_RETRY_MAX_ATTEMPTS: '1', PUBLIC_CACHE_MAX_ENTRIES: '0' },
    });
  });
  afterAll(async () => {
    await stack?.close();
  });

  it('a failing nested list is null with an error; the rest of the response stands', async () => {
    sandbox.setFaults({ rules: [{ route: 'P12', kind: 'status', status: 503, times: 1 }] });
    const res = await stack.execute(
      '{ projects(first: 3) { edges { node { name dataFiles(first: 1) { totalCount } } } } dataTypes(first: 1) { totalCount } }',
    );
    const edges =
      (
        res.data?.projects as
          | { edges: { node: { name: string; dataFiles: unknown } }[] }
          | undefined
      )?.edges ?? [];
    expect(edges).toHaveLength(3);
    expect(edges.every((e) => typeof e.node.name === 'string')).toBe(true);
    expect(edges.filter((e) => e.node.dataFiles === null)).toHaveLength(1);
    expect(edges.filter((e) => e.node.dataFiles !== null)).toHaveLength(2);
    expect(res.data?.dataTypes).toMatchObject({ totalCount: sandbox.store.listDataTypes().length });
    expect(codes(res)).toEqual(['UPSTREAM_UNAVAILABLE']);
    expect(res.errors?.[0]?.path).toEqual([
      'projects',
      'edges',
      expect.any(Number),
      'node',
      'dataFiles',
    ]);
  });
});
