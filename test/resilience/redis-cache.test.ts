/**
 * Scale-out: two gateway instances with REDIS_URL share public responses through a real
 * `redis-server` (Debian's package; skipped with a message when it is missing, never under
 * CI=true).
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { type Sandbox, startSandbox } from '../../sandbox/index.js';
import { FallbackSharedCache } from '../../src/datasources/fallback-cache.js';
import { type RedisServer, redisAvailable, startRedis } from '../helpers/redis.js';
import { type ResilientStack, startResilientStack } from './support.js';

const available = redisAvailable();

describe.skipIf(!available)('Redis-backed public cache (two gateway instances)', () => {
  let redis: RedisServer;
  let sandbox: Sandbox;
  let a: ResilientStack;
  let b: ResilientStack;

  beforeAll(async () => {
    redis = await startRedis();
    sandbox = await startSandbox({ port: 0, sizes: { publicFiles: 300, users: 50 } });
    // Both as main.ts builds them from REDIS_URL, each with its own connection to the same Redis.
    a = await startResilientStack({ sandbox, env: { REDIS_URL: redis.url } });
    b = await startResilientStack({ sandbox, env: { REDIS_URL: redis.url } });
    expect(a.publicCache.backingStore).toBeInstanceOf(FallbackSharedCache);
    await Promise.all([a.redis?.ready(), b.redis?.ready()]);
  });
  afterAll(async () => {
    await a?.close();
    await b?.close();
    await sandbox?.close();
    await redis?.stop();
  });

  const FILES =
    '{ dataFiles(first: 5) { totalCount edges { node { databaseId downloadUrl sourceProject { name } } } } }';

  it('a response fetched by one instance is served by the other without an upstream call', async () => {
    sandbox.resetCalls();
    const first = await a.execute(FILES);
    expect(first.errors).toBeUndefined();
    await a.publicCache.settled(); // cache writes happen in the background
    const afterA = sandbox.calls();
    expect(afterA.P1).toBe(1);
    const second = await b.execute(FILES);
    expect(second.errors).toBeUndefined();
    expect(second.data).toEqual(first.data);
    expect(sandbox.calls()).toEqual(afterA);
    expect(b.publicCache.stats.hits).toBeGreaterThan(0);
  });

  it('invalidation by path prefix reaches every instance', async () => {
    await a.publicCache.invalidatePath('/api/public/datafiles/');
    sandbox.resetCalls();
    expect((await b.execute(FILES)).errors).toBeUndefined();
    expect(sandbox.calls().P1).toBe(1);
  });

  it('a lost Redis costs nothing but sharing: memory stands in, never an error', async () => {
    const c = await startResilientStack({ sandbox, env: { REDIS_URL: 'redis://127.0.0.1:1' } });
    try {
      sandbox.resetCalls();
      expect((await c.execute(FILES)).errors).toBeUndefined();
      // Redis unreachable: memory stands in, so the second read is a hit without Redis.
      expect((await c.execute(FILES)).errors).toBeUndefined();
      expect(sandbox.calls().P1).toBe(1);
      expect(c.redis?.health).toBe('down');
    } finally {
      await c.close();
    }
  });
});
