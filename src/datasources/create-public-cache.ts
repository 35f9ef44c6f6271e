import type { Config } from '../config/index.js';
import { redisKey } from '../redis/keys.js';
import type { SharedRedis } from '../redis/shared-redis.js';
import { FallbackSharedCache } from './fallback-cache.js';
import { RedisSharedCache } from './redis-cache.js';
import { PublicCache } from './response-cache.js';

/**
 * The process-wide public cache: in Redis when the process has a shared Redis (REDIS_URL; shared
 * by every instance, bounded by REDIS_CACHE_*, with memory standing in while Redis is unwell),
 * else in memory. The Redis connection belongs to the caller, who closes it.
 */
export function createPublicCache(
  config: Config,
  redis: SharedRedis | null,
  onError?: (message: string) => void,
): PublicCache {
  if (!redis) return PublicCache.fromConfig(config);
  const primary = new RedisSharedCache({
    redis,
    keyPrefix: redisKey(config, 'cache', ''),
    maxBytes: config.redis.cacheMaxBytes,
    maxEntries: config.redis.cacheMaxEntries,
    maxEntryBytes: config.redis.cacheMaxEntryBytes,
  });
  return PublicCache.fromConfig(
    config,
    new FallbackSharedCache(primary, config.publicCache.maxEntries, onError),
  );
}
