import { Repeater } from 'graphql-yoga';
import type { DeauthorizationEventStore, StoredDeauthorizationEvent } from './deauthorization-event.js';
import { compareEventIds } from './deauthorization-event.js';

const REPLAY_PAGE = 100;

/**
 * Live deauthorization events as an async iterable for a GraphQL subscription. With `afterId`, it
 * first replays the kept events after that position, then continues live without a gap or a
 * duplicate: it listens before replaying and drops live events the replay already delivered.
 * Ends (and unsubscribes) when the client goes away.
 */
export function deauthorizationFeed(
  store: DeauthorizationEventStore,
  afterId: string | null,
): AsyncIterableIterator<StoredDeauthorizationEvent> {
  return new Repeater<StoredDeauthorizationEvent>(async (push, stop) => {
    let last = afterId;
    let replaying = afterId !== null;
    const heldBack: StoredDeauthorizationEvent[] = [];
    const deliver = (event: StoredDeauthorizationEvent): void => {
      if (last !== null && compareEventIds(event.id, last) <= 0) return;
      last = event.id;
      // A consumer too slow for 1024 pending events ends with an error; it resumes with `after`.
      void push(event).catch(() => {});
    };
    const unsubscribe = await store.subscribe((event) => (replaying ? heldBack.push(event) : deliver(event)));
    try {
      while (replaying) {
        const page = await store.listAfter(last, REPLAY_PAGE);
        for (const event of page.events) {
          last = event.id;
          await push(event);
        }
        if (!page.hasMore) replaying = false;
      }
      heldBack.splice(0).forEach(deliver);
      await stop;
    } finally {
      unsubscribe();
    }
  });
}
