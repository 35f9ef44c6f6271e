import { createHash } from 'node:crypto';
import type { Config } from '../config/types.js';

/*
 * Every Redis key and pub/sub channel the gateway makes goes through `redisKey`, so two
 * deployments sharing one Redis (another upstream, another project) never read, overwrite or
 * hear each other's entries, buckets, events or invalidations. The prefix is REDIS_KEY_PREFIX,
 * or one derived from the upstream and the project (`defaultRedisKeyPrefix`).
 */

/**
 * `ohg:<12 hex>:`: a short hash of the upstream base URL and project id (stable across restarts).
 */
export function defaultRedisKeyPrefix(baseUrl: string, projectId: number | null): string {
  const digest = createHash('sha256')
    .update(`${baseUrl}|${projectId ?? ''}`)
    .digest('hex')
    .slice(0, 12);
  return `ohg:${digest}:`;
}

/** The Redis key (or channel) named by `parts`, inside this deployment's namespace. */
export function redisKey(config: Pick<Config, 'redis'>, ...parts: readonly string[]): string {
  return config.redis.keyPrefix + parts.join(':');
}
