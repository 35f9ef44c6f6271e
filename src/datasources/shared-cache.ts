import { LRUCache } from 'lru-cache';

/*
 * The store interface on its own, so that `PublicCache` (response-cache.ts) and the stores
 * (redis-cache.ts, fallback-cache.ts) depend on it instead of on each other.
 */

/**
 * Storage behind `PublicCache`: in-process lru-cache today; a Redis-backed store only
 * has to implement this. Values are JSON-serialisable wire bodies.
 */
export interface SharedCache {
  get(key: string): Promise<unknown>;
  set(key: string, value: unknown, ttlMs: number): Promise<void>;
  delete(key: string): Promise<void>;
  /**
   * Deletes every key starting with `prefix` (invalidation after writes); with `also`, only
   * those it accepts (several path prefixes in one pass).
   */
  deletePrefix(prefix: string, also?: (key: string) => boolean): Promise<number>;
  /**
   * `deletePrefix` on this process's memory only, for an invalidation another instance already
   * made in Redis. Left out by stores with no in-process tier (Redis alone): nothing to drop.
   */
  deleteLocalPrefix?(prefix: string, also?: (key: string) => boolean): Promise<number>;
}

/** lru-cache store: bounded entry count, per-entry TTL. */
export class LruSharedCache implements SharedCache {
  private readonly lru: LRUCache<string, { value: unknown }>;

  constructor(maxEntries: number) {
    // lru-cache needs max >= 1; a size of 0 disables caching in PublicCache instead.
    this.lru = new LRUCache({ max: Math.max(1, maxEntries), ttlAutopurge: false });
  }

  async get(key: string): Promise<unknown> {
    return this.lru.get(key)?.value;
  }

  async set(key: string, value: unknown, ttlMs: number): Promise<void> {
    this.lru.set(key, { value }, { ttl: ttlMs });
  }

  async delete(key: string): Promise<void> {
    this.lru.delete(key);
  }

  async deletePrefix(prefix: string, also?: (key: string) => boolean): Promise<number> {
    let n = 0;
    for (const key of [...this.lru.keys()]) {
      if (key.startsWith(prefix) && (!also || also(key)) && this.lru.delete(key)) n += 1;
    }
    return n;
  }

  /** All of this store is in-process memory. */
  deleteLocalPrefix(prefix: string, also?: (key: string) => boolean): Promise<number> {
    return this.deletePrefix(prefix, also);
  }
}
