import { Redis } from 'ioredis';
import type { SharedCache } from './response-cache.js';

export interface RedisSharedCacheOptions {
  url: string;
  /** Namespace of the keys, so several deployments can share one Redis. */
  keyPrefix?: string;
  /**
   * A command slower than this fails, and the cache treats it as a miss: a slow or lost Redis
   * costs upstream calls, never a hung request. @default 500
   */
  commandTimeoutMs?: number;
  /** Connection problems, reported without the URL (it may carry a password). */
  onError?: (message: string) => void;
}

/**
 * The public cache's store in Redis (`REDIS_URL`), shared by every gateway instance: values are
 * the JSON bodies of token-free public GETs (PublicCache never hands it anything else), kept
 * with a per-key expiry (`SET … PX`). Single-flight of concurrent misses stays per instance.
 */
export class RedisSharedCache implements SharedCache {
  private readonly redis: Redis;
  private readonly prefix: string;

  constructor(options: RedisSharedCacheOptions) {
    this.prefix = options.keyPrefix ?? 'openhumans-graphql:cache:';
    const onError = options.onError ?? (() => {});
    this.redis = new Redis(options.url, {
      commandTimeout: options.commandTimeoutMs ?? 500,
      // Fail commands quickly while disconnected instead of queueing them for later.
      maxRetriesPerRequest: 1,
      enableOfflineQueue: false,
      lazyConnect: false,
    });
    this.redis.on('error', (err: Error) => onError(`redis (public cache): ${safeMessage(err)}`));
  }

  async get(key: string): Promise<unknown> {
    const text = await this.redis.get(this.prefix + key);
    return text === null ? undefined : (JSON.parse(text) as unknown);
  }

  async set(key: string, value: unknown, ttlMs: number): Promise<void> {
    await this.redis.set(this.prefix + key, JSON.stringify(value), 'PX', Math.max(1, Math.round(ttlMs)));
  }

  async delete(key: string): Promise<void> {
    await this.redis.unlink(this.prefix + key);
  }

  /** SCAN + UNLINK in batches (never KEYS, which blocks Redis). */
  async deletePrefix(prefix: string): Promise<number> {
    const pattern = `${escapeGlob(this.prefix + prefix)}*`;
    let cursor = '0';
    let deleted = 0;
    do {
      const [next, keys] = await this.redis.scan(cursor, 'MATCH', pattern, 'COUNT', 500);
      cursor = next;
      if (keys.length > 0) deleted += await this.redis.unlink(...keys);
    } while (cursor !== '0');
    return deleted;
  }

  /** Waits until connected (tests, readiness); rejects after `timeoutMs`. */
  async ready(timeoutMs = 5_000): Promise<void> {
    if (this.redis.status === 'ready') return;
    await new Promise<void>((resolve, reject) => {
      const timer = setTimeout(() => reject(new Error('redis (public cache) not ready')), timeoutMs);
      this.redis.once('ready', () => {
        clearTimeout(timer);
        resolve();
      });
    });
  }

  async close(): Promise<void> {
    await this.redis.quit().catch(() => this.redis.disconnect());
  }
}

/** Redis glob metacharacters in a literal prefix. */
const escapeGlob = (text: string): string => text.replace(/[*?[\]\\]/g, '\\$&');

/** The error code or name only: ioredis messages can include the host and port. */
function safeMessage(err: Error): string {
  const code = (err as Error & { code?: unknown }).code;
  return typeof code === 'string' ? code : err.name;
}
