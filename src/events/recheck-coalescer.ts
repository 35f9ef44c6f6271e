import { LRUCache } from 'lru-cache';

interface Entry {
  inflight: Promise<void> | null;
  /** When the last check passed (coalescer clock, ms). */
  passedAt: number | null;
}

/**
 * Shares credential re-checks between the live subscriptions of one token (keyed by its hash,
 * never the token): one upstream call at a time per token, and a check that passed less than
 * `freshMs` ago answers the others without a call. So a client that opens many subscriptions
 * with one token costs Open Humans one call per interval, not one per subscription. A failed
 * check is never remembered: the next one asks again. Bounded (LRU).
 */
export class RecheckCoalescer {
  readonly #entries: LRUCache<string, Entry>;
  readonly #freshMs: number;
  readonly #now: () => number;

  constructor(options: { freshMs: number; max?: number; now?: () => number }) {
    this.#freshMs = options.freshMs;
    this.#now = options.now ?? Date.now;
    this.#entries = new LRUCache<string, Entry>({ max: options.max ?? 10_000 });
  }

  run(key: string, check: () => Promise<void>): Promise<void> {
    const entry = this.#entries.get(key) ?? { inflight: null, passedAt: null };
    if (entry.inflight) return entry.inflight;
    if (entry.passedAt !== null && this.#now() - entry.passedAt < this.#freshMs)
      return Promise.resolve();
    const inflight = check().then(
      () => {
        entry.inflight = null;
        entry.passedAt = this.#now();
      },
      (err: unknown) => {
        entry.inflight = null;
        entry.passedAt = null;
        throw err;
      },
    );
    entry.inflight = inflight;
    this.#entries.set(key, entry);
    return inflight;
  }
}
