import { LRUCache } from 'lru-cache';
import type {
  AppendOutcome,
  DeauthorizationEvent,
  DeauthorizationEventStore,
  DeauthorizationListener,
  EventPage,
  StoredDeauthorizationEvent,
} from './deauthorization-event.js';
import { compareEventIds, dedupeKey } from './deauthorization-event.js';

export interface MemoryEventStoreOptions {
  /** The project whose events this store keeps and shows (OPENHUMANS_PROJECT_ID). */
  projectId: number | null;
  /** How many events are kept (older ones are dropped). @default 10_000 */
  capacity?: number;
  /** How long an accepted (member, timestamp) is remembered to drop replays. @default 1 h */
  dedupeTtlMs?: number;
}

/**
 * Keeps the newest `capacity` events of this process. Enough for one instance; with several
 * instances use the Redis store, or a consumer would only see the events its instance received.
 * The dedupe memory is bounded too (twice the capacity, and its time window).
 */
export class MemoryDeauthorizationEventStore implements DeauthorizationEventStore {
  readonly #projectId: number | null;
  readonly #capacity: number;
  readonly #events: StoredDeauthorizationEvent[] = [];
  readonly #seen: LRUCache<string, string>;
  readonly #listeners = new Set<DeauthorizationListener>();
  #lastMs = 0;
  #lastSeq = 0;

  constructor(options: MemoryEventStoreOptions) {
    const capacity = options.capacity ?? 10_000;
    if (!Number.isInteger(capacity) || capacity < 1)
      throw new RangeError('capacity must be a positive integer');
    this.#projectId = options.projectId;
    this.#capacity = capacity;
    this.#seen = new LRUCache<string, string>({
      max: capacity * 2,
      ttl: options.dedupeTtlMs ?? 3_600_000,
    });
  }

  async append(event: DeauthorizationEvent): Promise<AppendOutcome> {
    if (event.projectId !== this.#projectId) throw new RangeError('event of another project');
    const key = dedupeKey(event);
    const seen = this.#seen.get(key);
    if (seen !== undefined) return { id: seen, duplicate: true };
    const stored = { ...event, id: this.#nextId(event.receivedAt.getTime()) };
    this.#seen.set(key, stored.id);
    this.#events.push(stored);
    if (this.#events.length > this.#capacity)
      this.#events.splice(0, this.#events.length - this.#capacity);
    for (const listener of this.#listeners) listener(stored);
    return { id: stored.id, duplicate: false };
  }

  async listAfter(afterId: string | null, limit: number): Promise<EventPage> {
    const start = afterId === null ? 0 : this.#indexAfter(afterId);
    const events = this.#events.slice(start, start + limit);
    return { events, hasMore: start + limit < this.#events.length };
  }

  async subscribe(listener: DeauthorizationListener): Promise<() => void> {
    this.#listeners.add(listener);
    return () => {
      this.#listeners.delete(listener);
    };
  }

  async close(): Promise<void> {
    this.#listeners.clear();
  }

  /** Same shape as a Redis stream id, and strictly increasing even if the clock steps back. */
  #nextId(nowMs: number): string {
    if (nowMs > this.#lastMs) {
      this.#lastMs = nowMs;
      this.#lastSeq = 0;
    } else {
      this.#lastSeq += 1;
    }
    return `${this.#lastMs}-${this.#lastSeq}`;
  }

  /** First index whose id is after `afterId` (binary search: ids are kept in order). */
  #indexAfter(afterId: string): number {
    let lo = 0;
    let hi = this.#events.length;
    while (lo < hi) {
      const mid = (lo + hi) >>> 1;
      const event = this.#events[mid];
      if (event && compareEventIds(event.id, afterId) <= 0) lo = mid + 1;
      else hi = mid;
    }
    return lo;
  }
}
