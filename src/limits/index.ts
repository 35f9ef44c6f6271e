import type { Plugin } from 'graphql-yoga';
import type { Config } from '../config.js';
import { useArmorLimits } from './armor.js';
import { useCostLimit } from './cost.js';
import { useGetParamsCheck } from './get-params.js';
import { useNoIntrospection } from './introspection.js';
import { loadPersistedOperations, usePersistedOperationsOnly } from './persisted-operations.js';
import { useRateLimit } from './rate-limit.js';
import { RedisTokenBucketLimiter } from './redis-rate-limit.js';
import { redisKey } from '../redis/keys.js';
import type { SharedRedis } from '../redis/shared-redis.js';

export interface AbuseLimitOptions {
  /** The GraphQL endpoints: rate limited, GET parameters checked. */
  rateLimitedPaths: readonly string[];
  /** Called for each request refused by the rate limit (metrics). */
  onRateLimited?: () => void;
  /** Redis trouble. */
  onWarning?: (message: string) => void;
  /** The process's shared Redis (REDIS_URL): every instance then shares each client's bucket. */
  redis?: SharedRedis | null;
}

/**
 * Every abuse limit, in the order a request meets them: rate limit (before any parsing),
 * persisted-operations allow-list, parse/validation limits (tokens, depth, aliases, directives,
 * introspection), then the cost limit (needs the variables) before execution.
 */
export function abuseLimitPlugins(config: Config, options: AbuseLimitOptions): Plugin[] {
  const { limits, rateLimit, pagination } = config;
  const plugins: Plugin[] = [];
  if (rateLimit.perSecond > 0) {
    // With REDIS_URL every instance shares each client's bucket.
    const limiter = options.redis
      ? new RedisTokenBucketLimiter({ ...rateLimit, redis: options.redis, keyPrefix: redisKey(config, 'ratelimit', '') })
      : undefined;
    plugins.push(useRateLimit({ ...rateLimit, paths: options.rateLimitedPaths, onLimited: options.onRateLimited, limiter }));
  }
  plugins.push(useGetParamsCheck(options.rateLimitedPaths));
  if (limits.persistedOperationsFile) {
    plugins.push(usePersistedOperationsOnly(loadPersistedOperations(limits.persistedOperationsFile)));
  }
  plugins.push(useArmorLimits(limits));
  if (!limits.introspection) plugins.push(useNoIntrospection());
  plugins.push(useCostLimit(limits.maxCost, pagination));
  return plugins;
}
