import type {
  DeauthorizationEvent,
  DeauthorizationEventStore,
  DeauthorizationListener,
  EventPage,
  StoredDeauthorizationEvent,
} from './deauthorization-event.js';
import { compareEventIds } from './deauthorization-event.js';

/**
 * Keeps the newest `capacity` events of this process. Enough for one instance; with several
 * instances use the Redis store, or a consumer would only see the events its instance received.
 */
export class MemoryDeauthorizationEventStore implements DeauthorizationEventStore {
  readonly #capacity: number;
  readonly #events: StoredDeauthorizationEvent[] = [];
  readonly #listeners = new Set<DeauthorizationListener>();
  #lastMs = 0;
  #lastSeq = 0;

  constructor(capacity = 10_000) {
    if (!Number.isInteger(capacity) || capacity < 1) throw new RangeError('capacity must be a positive integer');
    this.#capacity = capacity;
  }

  async append(event: DeauthorizationEvent): Promise<StoredDeauthorizationEvent> {
    const stored = { ...event, id: this.#nextId(event.receivedAt.getTime()) };
    this.#events.push(stored);
    if (this.#events.length > this.#capacity) this.#events.splice(0, this.#events.length - this.#capacity);
    for (const listener of this.#listeners) listener(stored);
    return stored;
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
