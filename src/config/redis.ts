/** The Redis settings group of the configuration (`REDIS_*`, scale-out on one Redis). */
import { defaultRedisKeyPrefix } from '../redis/keys.js';
import type { Reader } from './reader.js';
import type { RedisSettings } from './types.js';

/** Letters, digits and `:_.-` only: a prefix must never be a glob pattern for SCAN/ZSCAN. */
const PREFIX = /^[A-Za-z0-9:_.-]{1,64}$/;

export function readRedisSettings(
  r: Reader,
  baseUrl: string,
  projectId: number | null,
): RedisSettings {
  const keyPrefix = r.optional('REDIS_KEY_PREFIX');
  if (keyPrefix !== null && !PREFIX.test(keyPrefix)) {
    r.problems.push('REDIS_KEY_PREFIX must be 1 to 64 letters, digits or ":_.-" (e.g. ohg:prod:)');
  }
  const cacheMaxBytes = r.int('REDIS_CACHE_MAX_MB', 64, 1, 65_536) * 1024 * 1024;
  const cacheMaxEntryBytes = r.int('REDIS_CACHE_MAX_ENTRY_KB', 512, 1, 65_536) * 1024;
  if (cacheMaxEntryBytes > cacheMaxBytes) {
    r.problems.push('REDIS_CACHE_MAX_ENTRY_KB must not exceed REDIS_CACHE_MAX_MB');
  }
  return {
    keyPrefix:
      keyPrefix !== null && PREFIX.test(keyPrefix)
        ? keyPrefix
        : defaultRedisKeyPrefix(baseUrl, projectId),
    commandTimeoutMs: r.int('REDIS_COMMAND_TIMEOUT_MS', 250, 10, 10_000),
    breakerOpenMs: r.int('REDIS_BREAKER_OPEN_MS', 5_000, 100, 600_000),
    cacheMaxBytes,
    cacheMaxEntries: r.int('REDIS_CACHE_MAX_ENTRIES', 10_000, 1, 10_000_000),
    cacheMaxEntryBytes,
  };
}
