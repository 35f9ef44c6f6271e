import type { Redis } from 'ioredis';

/**
 * Checks, once at start, that the shared Redis runs with settings the gateway is safe on, and
 * returns a warning per problem (the gateway still starts: it must run on a managed Redis that
 * refuses CONFIG, and on a developer's laptop).
 *
 * - `maxmemory` 0 (no limit): the cache has its own budget, but nothing else stops the host.
 * - `maxmemory-policy noeviction`: at the limit every write fails (cache, buckets and the
 *   webhook's event append, which then answers 503).
 * - `allkeys-*` with events: Redis may evict the event stream. `volatile-lru` (or
 *   `volatile-ttl`) evicts only keys with a TTL: every key the gateway writes has one except
 *   the event stream and the cache index, which have their own caps.
 * - No persistence (no AOF, no RDB `save`) with events: a Redis restart loses stored events.
 */
export interface RedisSettingsUse {
  /** The deauthorization event stream is kept in this Redis (OPENHUMANS_PROJECT_ID set). */
  events: boolean;
}

export async function checkRedisSettings(
  client: Pick<Redis, 'config'>,
  use: RedisSettingsUse,
): Promise<string[]> {
  let values: Map<string, string>;
  try {
    values = new Map();
    for (const name of ['maxmemory', 'maxmemory-policy', 'appendonly', 'save']) {
      const pair = (await client.config('GET', name)) as unknown;
      if (Array.isArray(pair) && pair.length >= 2) values.set(String(pair[0]), String(pair[1]));
    }
  } catch {
    return [
      'Redis settings could not be checked (CONFIG GET is disabled): run it with maxmemory set, maxmemory-policy volatile-lru and, for deauthorization events, persistence (appendonly yes)',
    ];
  }
  return problemsOf(values, use);
}

export function problemsOf(values: ReadonlyMap<string, string>, use: RedisSettingsUse): string[] {
  const warnings: string[] = [];
  const policy = values.get('maxmemory-policy');
  if (values.get('maxmemory') === '0') {
    warnings.push(
      'Redis has no maxmemory: set one (the gateway bounds its cache, but the host is not protected)',
    );
  }
  if (policy === 'noeviction') {
    warnings.push(
      'Redis maxmemory-policy is noeviction: at maxmemory every write fails (cache, rate limit, webhook events); use volatile-lru',
    );
  } else if (use.events && policy?.startsWith('allkeys-')) {
    warnings.push(
      `Redis maxmemory-policy is ${policy}: it may evict the deauthorization event stream; use volatile-lru (evicts only keys with a TTL)`,
    );
  }
  const persistent = values.get('appendonly') === 'yes' || (values.get('save') ?? '') !== '';
  if (use.events && values.size > 0 && !persistent) {
    warnings.push(
      'Redis has no persistence (appendonly no, no save points): a Redis restart loses stored deauthorization events; set appendonly yes',
    );
  }
  return warnings;
}
