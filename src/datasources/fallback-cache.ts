import type { SharedRedis } from '../redis/shared-redis.js';
import type { SharedCache } from './shared-cache.js';
import { LruSharedCache } from './shared-cache.js';

/** Prefixes remembered while Redis is down, to replay on recovery; beyond this, drop everything. */
const MAX_MISSED_INVALIDATIONS = 256;

/**
 * The Redis store with an in-process LRU behind it. While Redis is unwell (breaker open) reads
 * and writes go to memory, at memory speed, instead of waiting on Redis. Invalidations made
 * meanwhile are remembered (bounded) and replayed on Redis when it is back; the memory tier is
 * emptied then, so nothing cached during the outage outlives it.
 */
export class FallbackSharedCache implements SharedCache {
  private readonly memory: LruSharedCache;
  private missed = new Set<string>();
  private missedOverflow = false;

  constructor(
    readonly primary: SharedCache & { redis: SharedRedis },
    memoryEntries: number,
    private readonly onError: (message: string) => void = () => {},
  ) {
    this.memory = new LruSharedCache(memoryEntries);
    primary.redis.onHealthChange((health) => {
      if (health === 'up') void this.recover();
    });
  }

  async get(key: string): Promise<unknown> {
    if (!this.primary.redis.usable) return this.memory.get(key);
    return this.primary.get(key);
  }

  async set(key: string, value: unknown, ttlMs: number): Promise<void> {
    if (!this.primary.redis.usable) return this.memory.set(key, value, ttlMs);
    return this.primary.set(key, value, ttlMs);
  }

  async delete(key: string): Promise<void> {
    await this.memory.delete(key);
    await this.primary.delete(key).catch(() => this.remember(key));
  }

  async deletePrefix(prefix: string, also?: (key: string) => boolean): Promise<number> {
    const local = await this.memory.deletePrefix(prefix, also);
    try {
      return local + (await this.primary.deletePrefix(prefix, also));
    } catch {
      // Replayed on recovery without the filter: dropping a little more is safe.
      this.remember(prefix);
      return local;
    }
  }

  /** Only the in-process tier (an invalidation another instance announced). */
  deleteLocalPrefix(prefix: string, also?: (key: string) => boolean): Promise<number> {
    return this.memory.deletePrefix(prefix, also);
  }

  private remember(prefix: string): void {
    if (this.missed.size >= MAX_MISSED_INVALIDATIONS) this.missedOverflow = true;
    else this.missed.add(prefix);
  }

  private async recover(): Promise<void> {
    await this.memory.deletePrefix('');
    const missed = this.missedOverflow ? [''] : [...this.missed];
    this.missed = new Set();
    this.missedOverflow = false;
    for (const prefix of missed) {
      await this.primary.deletePrefix(prefix).catch(() => {
        this.onError(
          'redis (public cache): an invalidation missed during the outage could not be replayed',
        );
        this.remember(prefix);
      });
    }
  }
}
