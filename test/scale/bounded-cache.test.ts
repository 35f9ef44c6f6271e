/**
 * The Redis public cache stays within its budget whatever clients ask, and
 * the start-up check of the Redis settings. Needs Debian's redis-server (skipped locally
 * without it; required under CI=true).
 */
import { Redis } from 'ioredis';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { Sandbox } from '../../sandbox/index.js';
import { startSandbox } from '../../sandbox/index.js';
import { RedisSharedCache } from '../../src/datasources/redis-cache.js';
import { checkRedisSettings, problemsOf } from '../../src/redis/settings-check.js';
import { SharedRedis } from '../../src/redis/shared-redis.js';
import type { RedisServer } from '../helpers/redis.js';
import { redisAvailable, startRedis } from '../helpers/redis.js';
import type { Instance } from './support.js';
import { startInstance } from './support.js';

const available = redisAvailable();

describe.skipIf(!available)('bounded Redis cache', () => {
  let redis: RedisServer;
  let shared: SharedRedis;
  let raw: Redis;

  beforeAll(async () => {
    redis = await startRedis();
    shared = new SharedRedis({ url: redis.url, commandTimeoutMs: 1_000, breakerOpenMs: 1_000 });
    await shared.ready();
    raw = new Redis(redis.url);
  });
  afterAll(async () => {
    await shared?.close();
    raw?.disconnect();
    await redis?.stop();
  });

  /** Bytes Redis really holds for entries under `prefix` (key + value), and how many. */
  async function held(prefix: string): Promise<{ entries: number; bytes: number }> {
    const keys = (await raw.keys(`${prefix}*`)).filter((k) => !k.startsWith(`${prefix}#`));
    let bytes = 0;
    for (const key of keys) bytes += key.length + (await raw.strlen(key));
    return { entries: keys.length, bytes };
  }

  it('never holds more than its entry and byte budget, and refuses oversized bodies', async () => {
    const cache = new RedisSharedCache({
      redis: shared,
      keyPrefix: 't1:',
      maxBytes: 40_000,
      maxEntries: 25,
      maxEntryBytes: 8_000,
    });
    for (let i = 0; i < 300; i += 1) {
      await cache.set(`k${i}`, { body: 'x'.repeat((i * 137) % 7_000) }, 60_000);
      if (i % 50 === 49) {
        const now = await held('t1:');
        expect(now.entries).toBeLessThanOrEqual(25);
        expect(now.bytes).toBeLessThanOrEqual(40_000);
      }
    }
    const usage = await cache.usage();
    const real = await held('t1:');
    expect(usage.entries).toBeLessThanOrEqual(25);
    expect(usage.bytes).toBeLessThanOrEqual(40_000);
    expect(real.bytes).toBeLessThanOrEqual(usage.bytes);
    // The newest entry is kept, an oversized one never stored.
    expect(await cache.get('k299')).toEqual({ body: 'x'.repeat((299 * 137) % 7_000) });
    await cache.set('huge', { body: 'y'.repeat(9_000) }, 60_000);
    expect(await cache.get('huge')).toBeUndefined();
    expect(cache.tooLarge).toBe(1);
  });

  it('expired entries leave the index; prefix deletion walks the index and keeps the total right', async () => {
    const cache = new RedisSharedCache({
      redis: shared,
      keyPrefix: 't2:',
      maxBytes: 1_000_000,
      maxEntries: 1_000,
      maxEntryBytes: 10_000,
    });
    await cache.set('gone/1', { a: 1 }, 1);
    await cache.set('gone/2', { a: 2 }, 1);
    await raw.pexpire('t2:gone/1', 1);
    // Wait until Redis itself reports both expired (its clock, not a guessed pause).
    while ((await raw.exists('t2:gone/1', 't2:gone/2')) > 0)
      await new Promise((resolve) => setImmediate(resolve));
    await cache.set('keep/1', { a: 3 }, 60_000);
    await cache.set('drop/1', { a: 4 }, 60_000);
    await cache.set('drop/2', { a: 5 }, 60_000);
    expect((await cache.usage()).entries).toBe(3);
    expect(await cache.deletePrefix('drop/')).toBe(2);
    expect(await cache.usage()).toEqual({
      entries: 1,
      bytes: 't2:keep/1'.length + JSON.stringify({ a: 3 }).length,
    });
    expect(await cache.get('keep/1')).toEqual({ a: 3 });
  });

  describe('through the gateway: an anonymous flood of distinct pages', () => {
    let sandbox: Sandbox;
    let instance: Instance;
    beforeAll(async () => {
      sandbox = await startSandbox({ port: 0, sizes: { publicFiles: 400, users: 60 } });
      instance = await startInstance(sandbox, redis.url, {
        REDIS_CACHE_MAX_ENTRIES: '30',
        REDIS_CACHE_MAX_MB: '1',
        REDIS_CACHE_MAX_ENTRY_KB: '64',
      });
    });
    afterAll(async () => {
      await instance?.close();
      await sandbox?.close();
    });

    it('stays within REDIS_CACHE_MAX_ENTRIES and REDIS_CACHE_MAX_MB', async () => {
      const prefix = `${instance.config.redis.keyPrefix}cache:`;
      for (let round = 0; round < 8; round += 1) {
        const aliases = Array.from(
          { length: 10 },
          (_, i) => `p${i}: dataFiles(first: ${round * 10 + i + 1}) { totalCount }`,
        );
        const res = await instance.execute(`{ ${aliases.join(' ')} }`);
        expect(res.errors, JSON.stringify(res.errors?.[0])).toBeUndefined();
      }
      await instance.publicCache.settled();
      // More distinct responses were cached than the budget holds.
      expect(sandbox.calls().P1).toBeGreaterThan(30);
      const now = await held(prefix);
      expect(now.entries).toBeGreaterThan(0);
      expect(now.entries).toBeLessThanOrEqual(30);
      expect(now.bytes).toBeLessThanOrEqual(1024 * 1024);
    });
  });

  it('warns about unsafe Redis settings, and when CONFIG is refused', async () => {
    // The test server runs with Redis' defaults: no maxmemory, noeviction, no persistence.
    const warnings = await checkRedisSettings(raw, { events: true });
    expect(warnings.join('\n')).toMatch(/no maxmemory/);
    expect(warnings.join('\n')).toMatch(/noeviction/);
    expect(warnings.join('\n')).toMatch(/no persistence/);
    const refused = {
      config: () => Promise.reject(new Error('ERR unknown command CONFIG')),
    } as unknown as Pick<Redis, 'config'>;
    expect(await checkRedisSettings(refused, { events: true })).toEqual([
      expect.stringMatching(/could not be checked/),
    ]);
    const safe = new Map([
      ['maxmemory', '1073741824'],
      ['maxmemory-policy', 'volatile-lru'],
      ['appendonly', 'yes'],
      ['save', ''],
    ]);
    expect(problemsOf(safe, { events: true })).toEqual([]);
    expect(
      problemsOf(new Map([...safe, ['maxmemory-policy', 'allkeys-lru']]), { events: true }),
    ).toEqual([expect.stringMatching(/may evict the deauthorization event stream/)]);
    expect(problemsOf(new Map([...safe, ['appendonly', 'no']]), { events: false })).toEqual([]);
  });
});
