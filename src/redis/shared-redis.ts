import { Redis } from 'ioredis';
import type { Config } from '../config/index.js';
import type { RedisHealth } from './breaker.js';
import { RedisBreaker } from './breaker.js';

/** Thrown instead of calling Redis while the breaker is open or the connection is down. */
export class RedisUnavailableError extends Error {
  constructor(reason: string) {
    super(`redis unavailable (${reason})`);
    this.name = 'RedisUnavailableError';
  }
}

export interface SharedRedisOptions {
  url: string;
  /** One short timeout for every command (`REDIS_COMMAND_TIMEOUT_MS`). */
  commandTimeoutMs: number;
  /** `REDIS_BREAKER_OPEN_MS`. */
  breakerOpenMs: number;
  now?: () => number;
  /** Health changes, once each (the gateway logs them: one warning per change, not per request). */
  onHealthChange?: (health: RedisHealth) => void;
}

/**
 * The one Redis connection of a process, shared by the public cache, the rate limit, the
 * idempotency store, upload-handle replay protection, write invalidation and the sign-in store
 * (the event store and the invalidation subscriber keep their own, as pub/sub needs a dedicated
 * connection). Every command goes through `run`: one short timeout, no offline queue, and the
 * breaker.
 */
export class SharedRedis {
  /** Commands sent, failed (timeouts included) and skipped while the breaker was open. */
  readonly stats = { sent: 0, failed: 0, skipped: 0 };
  readonly client: Redis;
  readonly url: string;
  private readonly breaker: RedisBreaker;
  private readonly changeListeners = new Set<(health: RedisHealth) => void>();

  constructor(options: SharedRedisOptions) {
    this.url = options.url;
    this.client = new Redis(options.url, {
      commandTimeout: options.commandTimeoutMs,
      connectTimeout: Math.max(1_000, options.commandTimeoutMs * 4),
      // Fail at once while disconnected instead of queueing commands for later.
      enableOfflineQueue: false,
      maxRetriesPerRequest: 0,
      retryStrategy: (times) => Math.min(100 * times, 2_000),
    });
    this.breaker = new RedisBreaker({
      openMs: options.breakerOpenMs,
      minFailureSpanMs: options.commandTimeoutMs,
      now: options.now,
      probe: () => this.client.ping(),
      onChange: (health) => {
        options.onHealthChange?.(health);
        for (const listener of this.changeListeners) listener(health);
      },
    });
    // Errors are reported through health changes; ioredis repeats them on every reconnect attempt.
    this.client.on('error', () => {});
    this.client.on('ready', () => this.breaker.probeNow());
    // A closed connection (Redis killed or restarting) is known at once: no request waits for it.
    this.client.on('close', () => this.breaker.trip());
  }

  /** `up` while commands are sent; `down` while the breaker keeps requests off Redis. */
  get health(): RedisHealth {
    return this.breaker.health === 'up' && this.client.status === 'ready' ? 'up' : 'down';
  }

  /** True when a command would be sent now (else the caller uses its in-process fallback). */
  get usable(): boolean {
    const usable = this.breaker.allow() && this.client.status === 'ready';
    if (!usable) this.stats.skipped += 1;
    return usable;
  }

  onHealthChange(listener: (health: RedisHealth) => void): () => void {
    this.changeListeners.add(listener);
    return () => this.changeListeners.delete(listener);
  }

  /** Runs one command (or a pipeline) under the breaker; rejects fast while Redis is unwell. */
  async run<T>(command: (client: Redis) => Promise<T>): Promise<T> {
    if (!this.breaker.allow()) {
      this.stats.skipped += 1;
      throw new RedisUnavailableError('breaker open');
    }
    if (this.client.status !== 'ready') {
      this.stats.skipped += 1;
      this.breaker.failure();
      throw new RedisUnavailableError(`connection ${this.client.status}`);
    }
    this.stats.sent += 1;
    try {
      const value = await command(this.client);
      this.breaker.success();
      return value;
    } catch (err) {
      this.stats.failed += 1;
      this.breaker.failure();
      throw err;
    }
  }

  /** Waits until connected (tests, start-up checks); rejects after `timeoutMs`. */
  async ready(timeoutMs = 5_000): Promise<void> {
    if (this.client.status === 'ready') return;
    await new Promise<void>((resolve, reject) => {
      const timer = setTimeout(() => reject(new Error('redis not ready')), timeoutMs);
      this.client.once('ready', () => {
        clearTimeout(timer);
        resolve();
      });
    });
  }

  async close(): Promise<void> {
    this.changeListeners.clear();
    this.breaker.stop();
    await this.client.quit().catch(() => this.client.disconnect());
  }
}

/** The process's shared Redis from configuration; null without REDIS_URL. */
export function sharedRedisFromConfig(
  config: Config,
  onHealthChange?: (health: RedisHealth) => void,
): SharedRedis | null {
  if (!config.redisUrl) return null;
  return new SharedRedis({
    url: config.redisUrl,
    commandTimeoutMs: config.redis.commandTimeoutMs,
    breakerOpenMs: config.redis.breakerOpenMs,
    onHealthChange,
  });
}

/** The error code or name only: ioredis messages can include the host and port (and a password). */
export function safeRedisMessage(err: unknown): string {
  if (!(err instanceof Error)) return 'error';
  const code = (err as Error & { code?: unknown }).code;
  return typeof code === 'string' ? code : err.name;
}
