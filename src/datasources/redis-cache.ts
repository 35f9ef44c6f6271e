import type { SharedRedis } from '../redis/shared-redis.js';
import type { SharedCache } from './shared-cache.js';

/*
 * The public cache's store in Redis, shared by every gateway instance, and BOUNDED whatever
 * clients ask: an entry larger than `maxEntryBytes` is not stored, and an index (a sorted set of
 * entry keys by expiry, plus a hash of their sizes and the running total) lets one atomic script
 * evict the soonest-expiring entries until the namespace holds at most `maxEntries` entries and
 * `maxBytes` bytes (keys + values). Expired entries leave the index on the next write. The total
 * may count entries Redis already expired or evicted, never less than it holds, so the budget
 * is an upper bound. Why an index and not `maxmemory` alone: the same Redis keeps the
 * deauthorization events and rate-limit buckets, which an anonymous flood must never push out.
 */

const SET_SCRIPT = `
local idx, sizes = KEYS[1], KEYS[2]
local key, value, ttl = ARGV[1], ARGV[2], tonumber(ARGV[3])
local maxBytes, maxEntries = tonumber(ARGV[4]), tonumber(ARGV[5])
local t = redis.call('TIME')
local now = tonumber(t[1]) * 1000 + math.floor(tonumber(t[2]) / 1000)
local function drop(member)
  local size = tonumber(redis.call('HGET', sizes, member) or '0') or 0
  redis.call('HDEL', sizes, member)
  redis.call('ZREM', idx, member)
  redis.call('UNLINK', member)
  if size > 0 then redis.call('HINCRBY', sizes, '#total', -size) end
end
drop(key)
for _, member in ipairs(redis.call('ZRANGEBYSCORE', idx, '-inf', now, 'LIMIT', 0, 64)) do drop(member) end
local size = string.len(key) + string.len(value)
redis.call('SET', key, value, 'PX', ttl)
redis.call('ZADD', idx, now + ttl, key)
redis.call('HSET', sizes, key, size)
local total = redis.call('HINCRBY', sizes, '#total', size)
while total > maxBytes or redis.call('ZCARD', idx) > maxEntries do
  local oldest = redis.call('ZRANGE', idx, 0, 0)[1]
  if not oldest then break end
  drop(oldest)
  total = tonumber(redis.call('HGET', sizes, '#total') or '0') or 0
end
return total`;

const DROP_SCRIPT = `
local idx, sizes = KEYS[1], KEYS[2]
local n = 0
for _, member in ipairs(ARGV) do
  local size = tonumber(redis.call('HGET', sizes, member) or '0') or 0
  redis.call('HDEL', sizes, member)
  n = n + redis.call('ZREM', idx, member)
  redis.call('UNLINK', member)
  if size > 0 then redis.call('HINCRBY', sizes, '#total', -size) end
end
return n`;

export interface RedisSharedCacheOptions {
  redis: SharedRedis;
  /** Namespace of the entries (from `redisKey`, e.g. `ohg:1a2b…:cache:`). */
  keyPrefix: string;
  /** `REDIS_CACHE_MAX_MB` in bytes. */
  maxBytes: number;
  /** `REDIS_CACHE_MAX_ENTRIES`. */
  maxEntries: number;
  /** `REDIS_CACHE_MAX_ENTRY_KB` in bytes: bigger bodies stay out of Redis. */
  maxEntryBytes: number;
}

export interface RedisCacheUsage {
  entries: number;
  bytes: number;
}

export class RedisSharedCache implements SharedCache {
  /** Bodies not stored because they were over `maxEntryBytes`. */
  tooLarge = 0;
  private readonly index: string;
  private readonly sizes: string;

  constructor(private readonly options: RedisSharedCacheOptions) {
    // The index keys sort before any entry key (`#`), and entries never start with `#`.
    this.index = `${options.keyPrefix}#index`;
    this.sizes = `${options.keyPrefix}#sizes`;
  }

  get redis(): SharedRedis {
    return this.options.redis;
  }

  async get(key: string): Promise<unknown> {
    const text = await this.options.redis.run((c) => c.get(this.options.keyPrefix + key));
    return text === null ? undefined : (JSON.parse(text) as unknown);
  }

  async set(key: string, value: unknown, ttlMs: number): Promise<void> {
    const text = JSON.stringify(value);
    if (Buffer.byteLength(text) > this.options.maxEntryBytes) {
      this.tooLarge += 1;
      return;
    }
    const { maxBytes, maxEntries } = this.options;
    const ttl = String(Math.max(1, Math.round(ttlMs)));
    await this.options.redis.run((c) =>
      c.eval(
        SET_SCRIPT,
        2,
        this.index,
        this.sizes,
        this.options.keyPrefix + key,
        text,
        ttl,
        String(maxBytes),
        String(maxEntries),
      ),
    );
  }

  async delete(key: string): Promise<void> {
    await this.drop([this.options.keyPrefix + key]);
  }

  /** Walks the bounded index (ZSCAN), never the whole keyspace, and drops what matches. */
  async deletePrefix(prefix: string, also?: (key: string) => boolean): Promise<number> {
    const pattern = `${escapeGlob(this.options.keyPrefix + prefix)}*`;
    let cursor = '0';
    let deleted = 0;
    do {
      const [next, flat] = await this.options.redis.run((c) =>
        c.zscan(this.index, cursor, 'MATCH', pattern, 'COUNT', 500),
      );
      cursor = next;
      const cut = this.options.keyPrefix.length;
      const members = flat.filter((member, i) => i % 2 === 0 && (!also || also(member.slice(cut))));
      if (members.length > 0) deleted += await this.drop(members);
    } while (cursor !== '0');
    return deleted;
  }

  /** What the index counts (tests, operators). */
  async usage(): Promise<RedisCacheUsage> {
    const [entries, total] = await this.options.redis.run((c) =>
      Promise.all([c.zcard(this.index), c.hget(this.sizes, '#total')]),
    );
    return { entries, bytes: Number(total ?? 0) };
  }

  private async drop(members: readonly string[]): Promise<number> {
    const n = await this.options.redis.run((c) =>
      c.eval(DROP_SCRIPT, 2, this.index, this.sizes, ...members),
    );
    return Number(n);
  }
}

/** Redis glob metacharacters in a literal prefix. */
const escapeGlob = (text: string): string => text.replace(/[*?[\]\\]/g, '\\$&');
