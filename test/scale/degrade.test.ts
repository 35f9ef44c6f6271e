/**
 * A hung (SIGSTOP) or killed Redis never drags requests: after the breaker
 * opens, requests skip Redis entirely and are served from memory and upstream; the rate limit
 * falls back to per-instance buckets (not open); `/readiness` reports the Redis state; one log
 * line per change, not one per request; all comes back when Redis does. Needs Debian's
 * redis-server (skipped locally without it; required under CI=true).
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { Sandbox } from '../../sandbox/index.js';
import { startSandbox } from '../../sandbox/index.js';
import type { RedisHealth } from '../../src/redis/breaker.js';
import type { RedisServer } from '../helpers/redis.js';
import { redisAvailable, startRedis } from '../helpers/redis.js';
import type { Instance } from './support.js';
import { startInstance } from './support.js';

const available = redisAvailable();

const FILES = (first: number): string =>
  `{ dataFiles(first: ${first}) { totalCount edges { node { databaseId } } } }`;

describe.skipIf(!available)('a hung or killed Redis', () => {
  let redis: RedisServer;
  let sandbox: Sandbox;
  let gw: Instance;

  beforeAll(async () => {
    redis = await startRedis();
    sandbox = await startSandbox({ port: 0, sizes: { publicFiles: 200, users: 40 } });
    gw = await startInstance(sandbox, redis.url, {
      REDIS_COMMAND_TIMEOUT_MS: '100',
      REDIS_BREAKER_OPEN_MS: '300',
      RATE_LIMIT_PER_SECOND: '1',
      RATE_LIMIT_BURST: '3',
    });
  });
  afterAll(async () => {
    await gw?.close();
    await sandbox?.close();
    await redis?.stop();
  });

  const nextHealth = (health: RedisHealth): Promise<void> =>
    new Promise((resolve) => {
      const off = gw.redis.onHealthChange((h) => {
        if (h === health) {
          off();
          resolve();
        }
      });
    });
  const readiness = async (): Promise<{ status: string; redis: string }> =>
    (await (await gw.gateway.fetch(new URL('/readiness', 'http://gateway.test'))).json()) as {
      status: string;
      redis: string;
    };
  const linesWith = (text: string): number => gw.logLines.filter((l) => l.includes(text)).length;

  it('hung (SIGSTOP): a few commands time out, then Redis is skipped; memory, local buckets, one warning', async () => {
    expect((await gw.execute(FILES(3))).errors).toBeUndefined();
    await gw.publicCache.settled();
    expect(await readiness()).toMatchObject({ status: 'ready', redis: 'up' });

    const down = nextHealth('down');
    redis.pause();
    try {
      const failedBefore = gw.redis.stats.failed;
      for (let i = 0; i < 12; i += 1) {
        const res = await gw.execute(FILES(4 + (i % 3)));
        expect(res.errors).toBeUndefined();
      }
      await down;
      // Only the commands sent before the breaker opened waited for the timeout.
      expect(gw.redis.stats.failed - failedBefore).toBeLessThanOrEqual(4);
      expect(gw.redis.stats.skipped).toBeGreaterThan(0);
      // Memory stands in: a repeated query costs no upstream call.
      expect((await gw.execute(FILES(9))).errors).toBeUndefined();
      sandbox.resetCalls();
      expect((await gw.execute(FILES(9))).errors).toBeUndefined();
      expect(sandbox.calls().P1 ?? 0).toBe(0);
      // Rate limit: per-instance buckets, not open.
      const client = '198.51.100.7';
      const statuses: number[] = [];
      for (let i = 0; i < 4; i += 1)
        statuses.push((await gw.execute('{ __typename }', {}, undefined, client)).status);
      expect(statuses).toEqual([200, 200, 200, 429]);
      expect(await readiness()).toMatchObject({ status: 'ready', redis: 'down' });
      expect(linesWith('Redis unavailable')).toBe(1);
    } finally {
      const up = nextHealth('up');
      redis.resume();
      await up;
    }
    expect(await readiness()).toMatchObject({ redis: 'up' });
    expect(linesWith('Redis available again')).toBe(1);
    const sent = gw.redis.stats.sent;
    expect((await gw.execute(FILES(11))).errors).toBeUndefined();
    expect(gw.redis.stats.sent).toBeGreaterThan(sent);
  });

  it('killed: known at once (connection closed), served on; restarted: shared again', async () => {
    const down = nextHealth('down');
    await redis.kill();
    await down;
    const failed = gw.redis.stats.failed;
    for (let i = 0; i < 5; i += 1) expect((await gw.execute(FILES(12 + i))).errors).toBeUndefined();
    expect(gw.redis.stats.failed).toBe(failed);
    expect(await readiness()).toMatchObject({ status: 'ready', redis: 'down' });

    const up = nextHealth('up');
    await redis.restart();
    await up;
    const sent = gw.redis.stats.sent;
    expect((await gw.execute(FILES(20))).errors).toBeUndefined();
    await gw.publicCache.settled();
    expect(gw.redis.stats.sent).toBeGreaterThan(sent);
    expect(linesWith('Redis unavailable')).toBe(2);
  });
});
