import { Redis } from 'ioredis';
import type { RateLimitOptions, TakeResult } from './rate-limit.js';

/*
 * The token bucket in Redis (REDIS_URL), so that several gateway instances share one budget
 * per client. One Lua script reads, refills, takes and writes atomically, on Redis' own clock
 * (no skew between instances). Buckets expire once they would be full again anyway.
 */
const TAKE_SCRIPT = `
local rate = tonumber(ARGV[1])
local burst = tonumber(ARGV[2])
local t = redis.call('TIME')
local now = tonumber(t[1]) * 1000 + math.floor(tonumber(t[2]) / 1000)
local b = redis.call('HMGET', KEYS[1], 'tokens', 'at')
local tokens = tonumber(b[1]) or burst
local at = tonumber(b[2]) or now
tokens = math.min(burst, tokens + math.max(0, now - at) / 1000 * rate)
local ok = 0
if tokens >= 1 then
  tokens = tokens - 1
  ok = 1
end
redis.call('HSET', KEYS[1], 'tokens', tostring(tokens), 'at', tostring(now))
redis.call('PEXPIRE', KEYS[1], math.ceil(burst / rate * 1000) + 1000)
return { ok, tostring(tokens) }
`;

export interface RedisTokenBucketOptions extends RateLimitOptions {
  url: string;
  keyPrefix?: string;
  /** Redis errors (the limiter then lets requests through: it must not take the gateway down). */
  onError?: (message: string) => void;
}

export class RedisTokenBucketLimiter {
  private readonly redis: Redis;
  private readonly prefix: string;

  constructor(private readonly options: RedisTokenBucketOptions) {
    this.prefix = options.keyPrefix ?? 'openhumans-graphql:ratelimit:';
    // Connects on first use: instances that only serve loopback callers never open it.
    this.redis = new Redis(options.url, { lazyConnect: true, maxRetriesPerRequest: 1, commandTimeout: 500 });
    this.redis.on('error', (err: Error) => options.onError?.(`redis (rate limit): ${err.message.replace(/\/\/[^@\s]*@/, '//[REDACTED]@')}`));
  }

  async take(key: string): Promise<TakeResult> {
    const { perSecond, burst } = this.options;
    try {
      const [ok, tokens] = (await this.redis.eval(TAKE_SCRIPT, 1, this.prefix + key, perSecond, burst)) as [number, string];
      if (ok === 1) return { ok: true };
      return { ok: false, retryAfterSeconds: Math.max(1, Math.ceil((1 - Number(tokens)) / perSecond)) };
    } catch (err) {
      this.options.onError?.(`rate limit not applied, Redis failed: ${(err as Error).message}`);
      return { ok: true }; // fail open
    }
  }

  async close(): Promise<void> {
    await this.redis.quit().catch(() => this.redis.disconnect());
  }
}
