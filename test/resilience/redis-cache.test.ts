/**
 * Scale-out: two gateway instances with REDIS_URL share public responses through a real
 * `redis-server` (Debian's package; skipped with a message when it is missing, never under CI=true).
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { startSandbox, type Sandbox } from '../../sandbox/index.js';
import { RedisSharedCache } from '../../src/datasources/redis-cache.js';
import { redisAvailable, startRedis, type RedisServer } from '../helpers/redis.js';
import { startResilientStack, type ResilientStack } from './support.js';

const available = redisAvailable();

describe.skipIf(!available)('Redis-backed public cache (two gateway instances)', () => {
  let redis: RedisServer;
  let sandbox: Sandbox;
  const stores: RedisSharedCache[] = [];
  let a: ResilientStack;
  let b: ResilientStack;

  const storeFor = (url: string): RedisSharedCache => {
    const store = new RedisSharedCache({ url });
    stores.push(store);
    return store;
  };

  beforeAll(async () => {
    redis = await startRedis();
    sandbox = await startSandbox({ port: 0, sizes: { publicFiles: 300, users: 50 } });
    // `a` as main.ts builds it from REDIS_URL; `b` with its own store on the same Redis.
    a = await startResilientStack({ sandbox, env: { REDIS_URL: redis.url } });
    b = await startResilientStack({ sandbox, store: storeFor(redis.url), env: { REDIS_URL: redis.url } });
    expect(a.publicCache.backingStore).toBeInstanceOf(RedisSharedCache);
    await Promise.all([...stores, a.publicCache.backingStore as RedisSharedCache].map((s) => s.ready()));
  });
  afterAll(async () => {
    await a?.close();
    await b?.close();
    await Promise.all(stores.map((s) => s.close()));
    await sandbox?.close();
    await redis?.stop();
  });

  const FILES = '{ dataFiles(first: 5) { totalCount edges { node { databaseId downloadUrl sourceProject { name } } } } }';

  it('a response fetched by one instance is served by the other without an upstream call', async () => {
    sandbox.resetCalls();
    const first = await a.execute(FILES);
    expect(first.errors).toBeUndefined();
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

  it('a lost Redis costs upstream calls, never an error', async () => {
    const store = new RedisSharedCache({ url: 'redis://127.0.0.1:1', keyPrefix: 'test:', commandTimeoutMs: 200 });
    const c = await startResilientStack({ sandbox, store });
    try {
      const res = await c.execute(FILES);
      expect(res.errors).toBeUndefined();
      expect(c.publicCache.stats.storeErrors).toBeGreaterThan(0);
    } finally {
      await c.close();
      await store.close();
    }
  });
});
