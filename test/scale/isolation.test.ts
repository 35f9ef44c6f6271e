/**
 * Two deployments (each its own sandbox: another upstream, other data) on ONE redis-server:
 * neither ever serves the other's cached data or spends the other's
 * rate-limit buckets, with the default key prefixes and even with the same REDIS_KEY_PREFIX
 * (public cache keys carry the upstream). Needs Debian's redis-server (skipped locally without
 * it; required under CI=true).
 */
import { Redis } from 'ioredis';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { Sandbox } from '../../sandbox/index.js';
import { startSandbox } from '../../sandbox/index.js';
import { defaultRedisKeyPrefix } from '../../src/redis/keys.js';
import type { RedisServer } from '../helpers/redis.js';
import { redisAvailable, startRedis } from '../helpers/redis.js';
import type { Instance } from './support.js';
import { startInstance } from './support.js';

const available = redisAvailable();

const FILE = 'query($id: Int!) { dataFile(databaseId: $id) { databaseId basename } }';
const PROJECTS = '{ projects(first: 5) { totalCount edges { node { databaseId name } } } }';

describe.skipIf(!available)('two deployments on one Redis never see each other', () => {
  let redis: RedisServer;
  let s1: Sandbox;
  let s2: Sandbox;
  const instances: Instance[] = [];
  let raw: Redis;

  beforeAll(async () => {
    redis = await startRedis();
    // Different seeds: the same file id names another file in each.
    s1 = await startSandbox({ port: 0, seed: 1, sizes: { publicFiles: 150, users: 40 } });
    s2 = await startSandbox({ port: 0, seed: 2, sizes: { publicFiles: 150, users: 40 } });
    raw = new Redis(redis.url);
  });
  afterAll(async () => {
    for (const instance of instances) await instance.close();
    raw?.disconnect();
    await s1?.close();
    await s2?.close();
    await redis?.stop();
  });

  const start = async (sandbox: Sandbox, env: Record<string, string> = {}): Promise<Instance> => {
    const instance = await startInstance(sandbox, redis.url, env);
    instances.push(instance);
    return instance;
  };

  /** A public file id known to both sandboxes, with a different basename in each. */
  function sharedFileId(): { id: number; name1: string; name2: string } {
    for (const f of s1.store.publicIndexes().all) {
      const other = s2.store.file(f.id);
      if (other && s2.store.isPublic(other) && other.basename !== f.basename)
        return { id: f.id, name1: f.basename, name2: other.basename };
    }
    throw new Error('no public file id in both sandboxes');
  }

  it('default prefixes: own data, own projects, own buckets; every key in one of the two namespaces', async () => {
    const a = await start(s1, { RATE_LIMIT_PER_SECOND: '1', RATE_LIMIT_BURST: '2' });
    const b = await start(s2, { RATE_LIMIT_PER_SECOND: '1', RATE_LIMIT_BURST: '2' });
    expect(a.config.redis.keyPrefix).toBe(defaultRedisKeyPrefix(s1.url, s1.projectId));
    expect(a.config.redis.keyPrefix).not.toBe(b.config.redis.keyPrefix);
    const { id, name1, name2 } = sharedFileId();

    expect((await b.execute(FILE, { id })).data?.dataFile).toEqual({
      databaseId: id,
      basename: name2,
    });
    const projectsB = await b.execute(PROJECTS);
    await b.publicCache.settled();
    expect((await a.execute(FILE, { id })).data?.dataFile).toEqual({
      databaseId: id,
      basename: name1,
    });
    const projectsA = await a.execute(PROJECTS);
    expect(projectsA.data).not.toEqual(projectsB.data);
    expect(projectsA.data).toEqual((await a.execute(PROJECTS)).data);

    // One client spends its whole burst on A; B's bucket for it is untouched.
    const client = '203.0.113.19';
    expect([
      (await a.execute('{ __typename }', {}, undefined, client)).status,
      (await a.execute('{ __typename }', {}, undefined, client)).status,
    ]).toEqual([200, 200]);
    expect((await a.execute('{ __typename }', {}, undefined, client)).status).toBe(429);
    expect((await b.execute('{ __typename }', {}, undefined, client)).status).toBe(200);

    await a.publicCache.settled();
    const keys = await raw.keys('*');
    expect(keys.length).toBeGreaterThan(0);
    const outside = keys.filter(
      (k) => !k.startsWith(a.config.redis.keyPrefix) && !k.startsWith(b.config.redis.keyPrefix),
    );
    expect(outside).toEqual([]);
    expect(keys.some((k) => k.startsWith(`${a.config.redis.keyPrefix}ratelimit:`))).toBe(true);
    expect(keys.some((k) => k.startsWith(`${b.config.redis.keyPrefix}ratelimit:`))).toBe(true);
  });

  it('even with the same REDIS_KEY_PREFIX, cache keys carry the upstream: no cross-serving', async () => {
    const c = await start(s1, { REDIS_KEY_PREFIX: 'same:' });
    const d = await start(s2, { REDIS_KEY_PREFIX: 'same:' });
    const { id, name1, name2 } = sharedFileId();
    expect((await d.execute(FILE, { id })).data?.dataFile).toEqual({
      databaseId: id,
      basename: name2,
    });
    await d.publicCache.settled();
    expect((await c.execute(FILE, { id })).data?.dataFile).toEqual({
      databaseId: id,
      basename: name1,
    });
    const cacheKeys = await raw.keys('same:cache:oh:*');
    expect(cacheKeys.some((k) => k.includes(s1.url))).toBe(true);
    expect(cacheKeys.some((k) => k.includes(s2.url))).toBe(true);
  });
});
