import { createHash } from 'node:crypto';
import { LRUCache } from 'lru-cache';

/** Settings of the idempotency store. */
export interface IdempotencyOptions {
  /** How many keys are remembered, across all tokens. @default 10000 */
  maxEntries?: number;
  /** How long a key is remembered. @default 24 h */
  ttlMs?: number;
}

interface Entry {
  /** A digest of the input the key was first used with. */
  fingerprint: string;
  result: Promise<unknown>;
}

export type IdempotentOutcome<T> = { kind: 'result'; value: Promise<T> } | { kind: 'conflict' };

/**
 * Where idempotency keys live: this process (`IdempotencyStore`) or Redis
 * (`RedisIdempotencyStore`).
 */
export interface Idempotency {
  /**
   * Runs `work` once per (token, key); see `IdempotencyStore.run`. Results must be plain JSON data.
   */
  run<T>(
    token: string,
    key: string,
    fingerprint: string,
    work: () => Promise<T>,
  ): Promise<IdempotentOutcome<T>>;
}

/** The id of (token, key): a digest, never the token itself. */
export const idempotencyId = (token: string, key: string): string =>
  createHash('sha256').update(token, 'utf8').update('\0').update(key, 'utf8').digest('hex');

/**
 * Remembers the outcome of `uploadDataFile` per (token, idempotency key), so a client that retries
 * after a lost response gets the first file back instead of creating a second one. Created once
 * per process and passed in; keys are partitioned by a hash of the token, never the token itself.
 * A retry that arrives while the first attempt is still running shares its outcome. Failures are
 * forgotten, so a failed upload can be retried with the same key.
 */
export class IdempotencyStore implements Idempotency {
  private readonly entries: LRUCache<string, Entry>;

  constructor(options: IdempotencyOptions = {}) {
    this.entries = new LRUCache<string, Entry>({
      max: options.maxEntries ?? 10_000,
      ttl: options.ttlMs ?? 24 * 3600 * 1000,
    });
  }

  /**
   * Runs `work` once per (token, key). A later call with the same key gets the first outcome, or
   * `conflict` when the key was first used with a different input (`fingerprint`).
   */
  async run<T>(
    token: string,
    key: string,
    fingerprint: string,
    work: () => Promise<T>,
  ): Promise<IdempotentOutcome<T>> {
    return this.runNow(idempotencyId(token, key), fingerprint, work);
  }

  /** The in-process part, by id (also the Redis store's stand-in while Redis is down). */
  runNow<T>(id: string, fingerprint: string, work: () => Promise<T>): IdempotentOutcome<T> {
    const existing = this.entries.get(id);
    if (existing) {
      return existing.fingerprint === fingerprint
        ? { kind: 'result', value: existing.result as Promise<T> }
        : { kind: 'conflict' };
    }
    const result = work();
    this.entries.set(id, { fingerprint, result });
    result.catch(() => {
      if (this.entries.peek(id)?.result === result) this.entries.delete(id);
    });
    return { kind: 'result', value: result };
  }
}

/** A stable digest of an input (object keys sorted), for `IdempotencyStore.run`. */
export function fingerprintOf(value: unknown): string {
  return createHash('sha256').update(stableJson(value)).digest('hex');
}

function stableJson(value: unknown): string {
  if (Array.isArray(value)) return `[${value.map(stableJson).join(',')}]`;
  if (value && typeof value === 'object') {
    const entries = Object.entries(value as Record<string, unknown>)
      .filter(([, v]) => v !== undefined)
      .sort(([a], [b]) => (a < b ? -1 : 1));
    return `{${entries.map(([k, v]) => `${JSON.stringify(k)}:${stableJson(v)}`).join(',')}}`;
  }
  return JSON.stringify(value ?? null);
}
