import type {
  DeauthorizationEventStore,
  StoredDeauthorizationEvent,
} from './deauthorization-event.js';
import { compareEventIds } from './deauthorization-event.js';

const REPLAY_PAGE = 100;
/** A consumer this far behind is cut off (it resumes with `after`, nothing is lost). */
const MAX_PENDING = 10_000;

/**
 * Opens a live feed of deauthorization events for a GraphQL subscription. It listens to the
 * store BEFORE it resolves, so an event published once the subscription is acknowledged is
 * never missed (a lazily started iterator would miss events until the transport first pulls).
 * With `afterId`, the kept events after that position come first, then live ones, without a gap
 * or a duplicate (live events the replay already covered are dropped by id).
 */
export async function openDeauthorizationFeed(
  store: DeauthorizationEventStore,
  afterId: string | null,
): Promise<DeauthorizationFeed> {
  const feed = new Feed();
  let last = afterId;
  let replaying = afterId !== null;
  const heldBack: StoredDeauthorizationEvent[] = [];
  const deliver = (event: StoredDeauthorizationEvent): void => {
    if (last !== null && compareEventIds(event.id, last) <= 0) return;
    last = event.id;
    feed.push(event);
  };
  feed.onClose(
    await store.subscribe((event) => (replaying ? heldBack.push(event) : deliver(event))),
  );
  try {
    while (replaying) {
      const page = await store.listAfter(last, REPLAY_PAGE);
      page.events.forEach(deliver);
      if (!page.hasMore) replaying = false;
    }
  } catch (err) {
    await feed.return();
    throw err;
  }
  heldBack.splice(0).forEach(deliver);
  return feed;
}

/** A live feed: an async iterator that the gateway can also end with an error (`fail`). */
export type DeauthorizationFeed = Feed;

/**
 * A push-driven async iterator: a bounded queue, one waiting reader, and cleanup on `return()`
 * or `fail()` (no async generator: its `return()` would wait for the next event).
 */
class Feed implements AsyncIterableIterator<StoredDeauthorizationEvent> {
  #queue: StoredDeauthorizationEvent[] = [];
  #waiting: ((result: IteratorResult<StoredDeauthorizationEvent>) => void) | null = null;
  #failWaiting: ((err: Error) => void) | null = null;
  #closed = false;
  #error: Error | null = null;
  #cleanups: (() => void)[] = [];

  /** Runs `cleanup` when the feed ends (at once if it already has). */
  onClose(cleanup: () => void): void {
    if (this.#closed) cleanup();
    else this.#cleanups.push(cleanup);
  }

  push(event: StoredDeauthorizationEvent): void {
    if (this.#closed) return;
    if (this.#waiting) {
      const resolve = this.#waiting;
      this.#waiting = this.#failWaiting = null;
      resolve({ value: event, done: false });
      return;
    }
    this.#queue.push(event);
    if (this.#queue.length > MAX_PENDING)
      this.fail(new Error('Too many undelivered events: resubscribe with `after`.'));
  }

  next(): Promise<IteratorResult<StoredDeauthorizationEvent>> {
    const event = this.#queue.shift();
    if (event) return Promise.resolve({ value: event, done: false });
    if (this.#error) return Promise.reject(this.#error);
    if (this.#closed) return Promise.resolve({ value: undefined, done: true });
    return new Promise((resolve, reject) => {
      this.#waiting = resolve;
      this.#failWaiting = reject;
    });
  }

  return(): Promise<IteratorResult<StoredDeauthorizationEvent>> {
    this.#close();
    this.#waiting?.({ value: undefined, done: true });
    this.#waiting = this.#failWaiting = null;
    return Promise.resolve({ value: undefined, done: true });
  }

  throw(err?: unknown): Promise<IteratorResult<StoredDeauthorizationEvent>> {
    this.#close();
    return Promise.reject(err instanceof Error ? err : new Error('feed closed'));
  }

  [Symbol.asyncIterator](): this {
    return this;
  }

  /** Ends the feed: undelivered events are dropped and the reader gets `err` (once). */
  fail(err: Error): void {
    if (this.#closed) return;
    this.#queue = [];
    this.#error = err;
    this.#close();
    this.#failWaiting?.(err);
    this.#waiting = this.#failWaiting = null;
  }

  #close(): void {
    if (this.#closed) return;
    this.#closed = true;
    this.#queue = this.#error ? [] : this.#queue;
    for (const cleanup of this.#cleanups.splice(0)) cleanup();
  }
}
