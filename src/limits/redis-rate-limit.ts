import type { SharedRedis } from '../redis/shared-redis.js';
import type { RateLimitOptions, TakeResult } from './rate-limit.js';
import { TokenBucketLimiter } from './rate-limit.js';

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
  redis: SharedRedis;
  /** Namespace of the buckets (from `redisKey`). */
  keyPrefix: string;
}

/**
 * Buckets in Redis while it is well; while it is not, each instance limits on its own buckets
 * (the same per-client budget, per instance) rather than letting everything through. The switch
 * is logged once per change by the shared Redis, never per request.
 */
export class RedisTokenBucketLimiter {
  private readonly local: TokenBucketLimiter;

  constructor(private readonly options: RedisTokenBucketOptions) {
    this.local = new TokenBucketLimiter(options);
  }

  async take(key: string): Promise<TakeResult> {
    const { perSecond, burst, redis } = this.options;
    if (!redis.usable) return this.local.take(key);
    try {
      const [ok, tokens] = (await redis.run((c) =>
        c.eval(TAKE_SCRIPT, 1, this.options.keyPrefix + key, perSecond, burst),
      )) as [number, string];
      if (ok === 1) return { ok: true };
      return {
        ok: false,
        retryAfterSeconds: Math.max(1, Math.ceil((1 - Number(tokens)) / perSecond)),
      };
    } catch {
      return this.local.take(key);
    }
  }
}
