import { setTimeout as sleep } from 'node:timers/promises';
import { Agent } from 'undici';
import { afterAll, beforeAll, beforeEach, describe, expect, it } from 'vitest';
import { OpenHumansHttp } from '../../src/datasources/open-humans-http.js';
import { PublicCache } from '../../src/datasources/response-cache.js';
import type { TestServer } from '../helpers/http-server.js';
import { startHttpServer } from '../helpers/http-server.js';

let server: TestServer;
let dispatcher: Agent;
let http: OpenHumansHttp;
let failNext = 0;

beforeAll(async () => {
  let n = 0;
  server = await startHttpServer(async (req, res) => {
    n += 1;
    const url = new URL(req.url ?? '/', 'http://x');
    if (url.pathname === '/slow/') await sleep(50);
    if (failNext > 0) {
      failNext -= 1;
      res.writeHead(500, { 'content-type': 'text/html' }).end('<h1>Server Error (500)</h1>');
      return;
    }
    res
      .writeHead(200, { 'content-type': 'application/json' })
      .end(JSON.stringify({ n, path: url.pathname, results: [{ id: 1 }] }));
  });
  dispatcher = new Agent();
  http = new OpenHumansHttp({
    baseUrl: server.url,
    dispatcher,
    headersTimeoutMs: 2000,
    bodyTimeoutMs: 2000,
  });
});

afterAll(async () => {
  await dispatcher.close();
  await server.close();
});

beforeEach(() => {
  server.requests.length = 0;
  failNext = 0;
});

const cacheWith = (overrides: Partial<ConstructorParameters<typeof PublicCache>[0]> = {}) =>
  new PublicCache({ maxEntries: 100, ttlMs: 60_000, catalogTtlMs: 300_000, ...overrides });

describe('PublicCache', () => {
  it('serves a repeated public GET from the cache (one upstream call)', async () => {
    const cache = cacheWith();
    const req = {
      route: 'P10' as const,
      path: '/api/public/projects/',
      query: { limit: 5, offset: 0 },
    };
    const first = await cache.fetch<{ n: number }>(http, req);
    const second = await cache.fetch<{ n: number }>(http, {
      ...req,
      query: { offset: 0, limit: 5 },
    });
    expect(second).toBe(first);
    expect(server.requests).toHaveLength(1);
    expect(cache.stats).toMatchObject({ hits: 1, misses: 1 });
  });

  it('shares one upstream call between concurrent identical misses', async () => {
    const cache = cacheWith();
    const results = await Promise.all(
      Array.from({ length: 10 }, () =>
        cache.fetch<{ n: number }>(http, { route: 'P1', path: '/slow/', query: { limit: 100 } }),
      ),
    );
    expect(server.requests).toHaveLength(1);
    expect(new Set(results.map((r) => r.n)).size).toBe(1);
    expect(cache.stats.joined).toBe(9);
  });

  it('expires entries after their TTL', async () => {
    let now = 1_000_000;
    const cache = cacheWith({ ttlMs: 30, now: () => now });
    const req = { route: 'P1' as const, path: '/api/public/datafiles/' };
    await cache.fetch(http, req);
    now += 29;
    await cache.fetch(http, req);
    expect(server.requests).toHaveLength(1);
    now += 2;
    await cache.fetch(http, req);
    expect(server.requests).toHaveLength(2);
  });

  it('uses the longer catalogue TTL only when asked', async () => {
    let now = 1_000_000;
    const cache = cacheWith({ ttlMs: 30, catalogTtlMs: 60_000, now: () => now });
    await cache.fetch(http, { route: 'P3', path: '/api/public/datatypes/' }, { catalog: true });
    await cache.fetch(http, { route: 'P1', path: '/api/public/datafiles/' });
    now += 31;
    await cache.fetch(http, { route: 'P3', path: '/api/public/datatypes/' }, { catalog: true });
    await cache.fetch(http, { route: 'P1', path: '/api/public/datafiles/' });
    expect(server.requests.map((r) => r.url)).toEqual([
      '/api/public/datatypes/',
      '/api/public/datafiles/',
      '/api/public/datafiles/',
    ]);
  });

  it('caps the TTL of bodies with download URLs at 10 minutes', () => {
    const cache = cacheWith({ ttlMs: 3_600_000 });
    expect(cache.ttlMs).toBe(600_000);
  });

  it('does not cache failures', async () => {
    const cache = cacheWith();
    failNext = 1;
    const req = { route: 'P1' as const, path: '/api/public/datafiles/' };
    await expect(cache.fetch(http, req)).rejects.toMatchObject({ status: 500 });
    await expect(cache.fetch(http, req)).resolves.toMatchObject({ path: '/api/public/datafiles/' });
    expect(server.requests).toHaveLength(2);
  });

  it('never sends or caches anything carrying a token', async () => {
    const cache = cacheWith();
    expect(() =>
      PublicCache.keyFor({
        route: 'D2',
        path: '/api/direct-sharing/project/members/',
        query: { access_token: 'fake-tok' },
      }),
    ).toThrow(/token/);
    expect(() => PublicCache.keyFor({ route: 'P1', path: '/x/?access_token=fake-tok' })).toThrow(
      /token/,
    );
    await expect(
      cache.fetch(http, {
        route: 'D2',
        path: '/api/direct-sharing/project/members/',
        query: { access_token: 'fake-tok' },
      }),
    ).rejects.toThrow(/token/);
    await cache.fetch(http, { route: 'P1', path: '/api/public/datafiles/' });
    expect(server.requests).toHaveLength(1);
    expect(server.requests[0]?.headers.authorization).toBeUndefined();
    expect(server.requests[0]?.url).not.toContain('access_token');
  });

  it('builds keys from method, path and sorted query, skipping undefined values', () => {
    expect(
      PublicCache.keyFor({
        route: 'P1',
        path: '/a/',
        query: { offset: 10, limit: 5, username: undefined },
      }),
    ).toBe(PublicCache.keyFor({ route: 'P1', path: '/a/', query: { limit: 5, offset: 10 } }));
    expect(PublicCache.keyFor({ route: 'P1', path: '/a/', query: { limit: 5 } })).not.toBe(
      PublicCache.keyFor({ route: 'P1', path: '/b/', query: { limit: 5 } }),
    );
  });

  it('hands out frozen values, so one request cannot change what the next one reads', async () => {
    const cache = cacheWith();
    const body = await cache.fetch<{ results: { id: number }[] }>(http, {
      route: 'P1',
      path: '/x/',
    });
    expect(Object.isFrozen(body)).toBe(true);
    expect(() => {
      (body.results[0] as { id: number }).id = 2;
    }).toThrow(TypeError);
  });

  it('is off with maxEntries 0, and invalidates by path prefix', async () => {
    const off = cacheWith({ maxEntries: 0 });
    await off.fetch(http, { route: 'P1', path: '/x/' });
    await off.fetch(http, { route: 'P1', path: '/x/' });
    expect(server.requests).toHaveLength(2);

    const cache = cacheWith();
    await cache.fetch(http, { route: 'P8', path: '/api/public/member/alice/datafiles/' });
    await cache.fetch(http, { route: 'P7', path: '/api/public/member/bob/' });
    expect(await cache.invalidatePath('/api/public/member/alice/')).toBe(1);
    await cache.fetch(http, { route: 'P8', path: '/api/public/member/alice/datafiles/' });
    await cache.fetch(http, { route: 'P7', path: '/api/public/member/bob/' });
    expect(server.requests).toHaveLength(5);
  });
});
