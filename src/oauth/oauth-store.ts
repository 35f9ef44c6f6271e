import type { Redis } from 'ioredis';
import { ErrorCode, GatewayError } from '../errors.js';
import type { SharedRedis } from '../redis/shared-redis.js';

/**
 * Server-side state of sign-in: single-use markers of redeemed OAuth `state`s and session
 * records. In memory for one instance, or in Redis with `REDIS_URL` so that every instance sees
 * a redeemed state and a sign-out at once.
 *
 * Every Redis key is built by `key()` below and nowhere else, so the key prefix can be made
 * configurable in one place.
 */
export const KEY_PREFIX = 'openhumans-graphql:';

export type StoreKind = 'oauth-state' | 'session';

/** The one place a Redis key of this module is built. */
export const key = (kind: StoreKind, id: string): string => `${KEY_PREFIX}${kind}:${id}`;

export interface OAuthStore {
  /** Marks `id` used; true the first time only (atomic across instances). */
  claimOnce(kind: StoreKind, id: string, ttlMs: number): Promise<boolean>;
  get(kind: StoreKind, id: string): Promise<string | null>;
  put(kind: StoreKind, id: string, value: string, ttlMs: number): Promise<void>;
  delete(kind: StoreKind, id: string): Promise<void>;
  close(): Promise<void>;
}

/** The store failed (Redis down or slow): sign-in and sessions fail closed, with a clear error. */
export const storeUnavailable = (): GatewayError =>
  new GatewayError(
    ErrorCode.UPSTREAM_UNAVAILABLE,
    'The sign-in store is unavailable; try again shortly.',
  );

interface Entry {
  value: string;
  expiresAt: number;
}

/**
 * One process's store, bounded: when full of live entries it refuses new ones (fails closed)
 * rather than forgetting a redeemed state, which would make it redeemable again.
 */
export class MemoryOAuthStore implements OAuthStore {
  readonly #entries = new Map<string, Entry>();
  readonly #max: number;
  readonly #now: () => number;

  constructor(options: { maxEntries?: number; now?: () => number } = {}) {
    this.#max = options.maxEntries ?? 100_000;
    this.#now = options.now ?? Date.now;
  }

  async claimOnce(kind: StoreKind, id: string, ttlMs: number): Promise<boolean> {
    if (this.#live(key(kind, id)) !== null) return false;
    this.#set(key(kind, id), '1', ttlMs);
    return true;
  }

  async get(kind: StoreKind, id: string): Promise<string | null> {
    return this.#live(key(kind, id));
  }

  async put(kind: StoreKind, id: string, value: string, ttlMs: number): Promise<void> {
    this.#set(key(kind, id), value, ttlMs);
  }

  async delete(kind: StoreKind, id: string): Promise<void> {
    this.#entries.delete(key(kind, id));
  }

  async close(): Promise<void> {
    this.#entries.clear();
  }

  #live(k: string): string | null {
    const entry = this.#entries.get(k);
    if (!entry) return null;
    if (entry.expiresAt > this.#now()) return entry.value;
    this.#entries.delete(k);
    return null;
  }

  #set(k: string, value: string, ttlMs: number): void {
    if (!this.#entries.has(k) && this.#entries.size >= this.#max) {
      this.#sweep();
      if (this.#entries.size >= this.#max) throw storeUnavailable();
    }
    this.#entries.set(k, { value, expiresAt: this.#now() + ttlMs });
  }

  #sweep(): void {
    const now = this.#now();
    for (const [k, entry] of this.#entries) if (entry.expiresAt <= now) this.#entries.delete(k);
  }
}

/**
 * The shared store: `SET … PX … NX` makes a claim atomic across instances. It runs on the
 * process's one Redis connection (`SharedRedis`: its short timeout and breaker), so a Redis
 * outage fails sign-in closed at once instead of each call waiting out a timeout of its own.
 */
export class RedisOAuthStore implements OAuthStore {
  readonly #redis: SharedRedis;
  readonly #prefix: string;

  /** `prefix`: the deployment's Redis namespace (`redisKey(config, '')`, from REDIS_KEY_PREFIX). */
  constructor(redis: SharedRedis, prefix: string) {
    this.#redis = redis;
    this.#prefix = prefix;
  }

  async claimOnce(kind: StoreKind, id: string, ttlMs: number): Promise<boolean> {
    const reply = await this.#call((client) =>
      client.set(this.#key(kind, id), '1', 'PX', ttlMs, 'NX'),
    );
    return reply === 'OK';
  }

  get(kind: StoreKind, id: string): Promise<string | null> {
    return this.#call((client) => client.get(this.#key(kind, id)));
  }

  async put(kind: StoreKind, id: string, value: string, ttlMs: number): Promise<void> {
    await this.#call((client) =>
      client.set(this.#key(kind, id), value, 'PX', Math.max(1, Math.ceil(ttlMs))),
    );
  }

  async delete(kind: StoreKind, id: string): Promise<void> {
    await this.#call((client) => client.del(this.#key(kind, id)));
  }

  /** The connection is the process's (closed with the Open Humans client), not the store's. */
  async close(): Promise<void> {}

  #key(kind: StoreKind, id: string): string {
    return `${this.#prefix}${kind}:${id}`;
  }

  async #call<T>(command: (client: Redis) => Promise<T>): Promise<T> {
    try {
      return await this.#redis.run(command);
    } catch {
      throw storeUnavailable();
    }
  }
}

/** Redis when the process has its shared connection (REDIS_URL), else this process's memory. */
export function createOAuthStore(redis: SharedRedis | null, keyPrefix: string): OAuthStore {
  return redis ? new RedisOAuthStore(redis, keyPrefix) : new MemoryOAuthStore();
}
