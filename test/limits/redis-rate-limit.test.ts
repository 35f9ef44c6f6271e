/**
 * With REDIS_URL, the rate limit is shared by every gateway instance: one client's burst is
 * spent across two instances. Needs Debian's redis-server (skipped locally without it; required
 * under CI=true).
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { Sandbox } from '../../sandbox/index.js';
import { startSandbox } from '../../sandbox/index.js';
import { RedisTokenBucketLimiter } from '../../src/limits/redis-rate-limit.js';
import { SharedRedis } from '../../src/redis/shared-redis.js';
import type { RedisServer } from '../helpers/redis.js';
import { redisAvailable, startRedis, waitForRedisUp } from '../helpers/redis.js';
import type { Stack } from '../helpers/stack.js';
import { GATEWAY_ORIGIN, startStack } from '../helpers/stack.js';

const available = redisAvailable();

describe.skipIf(!available)('rate limit in Redis', () => {
  let redis: RedisServer;
  let sandbox: Sandbox;
  const stacks: Stack[] = [];

  beforeAll(async () => {
    redis = await startRedis();
    sandbox = await startSandbox({ port: 0 });
    for (let i = 0; i < 2; i += 1) {
      stacks.push(
        await startStack({
          sandbox,
          env: {
            LOG_LEVEL: 'warn',
            REDIS_URL: redis.url,
            RATE_LIMIT_PER_SECOND: '1',
            RATE_LIMIT_BURST: '3',
          },
        }),
      );
    }
    for (const stack of stacks) await waitForRedisUp((path) => stack.fetch(path));
  });

  afterAll(async () => {
    for (const stack of stacks) await stack.close();
    await sandbox?.close();
    await redis?.stop();
  });

  const postFrom = (stack: Stack, address: string) =>
    Promise.resolve(
      stack.gateway.fetch(
        new URL('/graphql', GATEWAY_ORIGIN),
        {
          method: 'POST',
          headers: { 'content-type': 'application/json' },
          body: JSON.stringify({ query: '{ __typename }' }),
        },
        { req: { socket: { remoteAddress: address } } },
      ),
    );

  it('shares one client bucket between two instances', async () => {
    const [a, b] = stacks as [Stack, Stack];
    const statuses = [];
    for (const stack of [a, b, a, b]) statuses.push((await postFrom(stack, '203.0.113.20')).status);
    expect(statuses).toEqual([200, 200, 200, 429]);
    const limited = await postFrom(a, '203.0.113.20');
    expect(limited.status).toBe(429);
    expect(limited.headers.get('retry-after')).toBe('1');
    expect(
      ((await limited.json()) as { errors: { extensions: { code: string } }[] }).errors[0]
        ?.extensions.code,
    ).toBe('RATE_LIMITED');
    expect((await postFrom(b, '203.0.113.21')).status).toBe(200);
  });

  it('falls back to per-instance buckets when Redis is unreachable (never open)', async () => {
    const redis = new SharedRedis({
      url: 'redis://127.0.0.1:1',
      commandTimeoutMs: 100,
      breakerOpenMs: 60_000,
    });
    const limiter = new RedisTokenBucketLimiter({
      redis,
      keyPrefix: 'test:',
      perSecond: 1,
      burst: 2,
    });
    try {
      expect(await limiter.take('x')).toEqual({ ok: true });
      expect(await limiter.take('x')).toEqual({ ok: true });
      expect(await limiter.take('x')).toEqual({ ok: false, retryAfterSeconds: 1 });
      expect(await limiter.take('y')).toEqual({ ok: true });
    } finally {
      await redis.close();
    }
  });
});
