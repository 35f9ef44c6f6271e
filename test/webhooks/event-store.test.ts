import { Redis } from 'ioredis';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type {
  AppendOutcome,
  DeauthorizationEvent,
  DeauthorizationEventStore,
} from '../../src/events/deauthorization-event.js';
import { compareEventIds } from '../../src/events/deauthorization-event.js';
import { openDeauthorizationFeed } from '../../src/events/live-feed.js';
import { MemoryDeauthorizationEventStore } from '../../src/events/memory-store.js';
import { RedisDeauthorizationEventStore } from '../../src/events/redis-store.js';
import { type RedisServer, redisAvailable, startRedis } from '../helpers/redis.js';

const PROJECT = 471;

const event = (n: number, erasureRequested = false, projectId = PROJECT): DeauthorizationEvent => ({
  projectId,
  projectMemberId: String(10_000_000 + n),
  erasureRequested,
  timestamp: new Date(Date.UTC(2026, 0, 1, 0, 0, n)),
  receivedAt: new Date(Date.UTC(2026, 0, 1, 0, 0, n)),
});

/**
 * Waits until `predicate` holds, driven by events (no timing assertion: the test timeout bounds
 * it).
 */
async function until(predicate: () => boolean): Promise<void> {
  while (!predicate()) await new Promise((r) => setTimeout(r, 5));
}

function contract(
  name: string,
  make: (capacity: number) => Promise<DeauthorizationEventStore>,
): void {
  describe(name, () => {
    it('keeps events in order and lists them after a position', async () => {
      const store = await make(100);
      try {
        const stored: AppendOutcome[] = [];
        for (let i = 1; i <= 5; i++) stored.push(await store.append(event(i, i % 2 === 0)));
        expect(stored.every((s) => !s.duplicate)).toBe(true);
        const ids = stored.map((s) => s.id);
        expect([...ids].sort(compareEventIds)).toEqual(ids);
        expect(new Set(ids).size).toBe(5);

        const all = await store.listAfter(null, 10);
        expect(all.hasMore).toBe(false);
        expect(all.events.map((e) => e.projectMemberId)).toEqual([
          '10000001',
          '10000002',
          '10000003',
          '10000004',
          '10000005',
        ]);
        expect(all.events[1]).toEqual({ ...event(2, true), id: ids[1] });

        const page = await store.listAfter(ids[1] ?? null, 2);
        expect(page.events.map((e) => e.id)).toEqual(ids.slice(2, 4));
        expect(page.hasMore).toBe(true);
        expect((await store.listAfter(ids[4] ?? null, 10)).events).toEqual([]);
      } finally {
        await store.close();
      }
    });

    it('acknowledges a replay of the same (member, timestamp) without keeping or publishing it again', async () => {
      const store = await make(100);
      try {
        const seen: string[] = [];
        await store.subscribe((e) => seen.push(e.id));
        const first = await store.append(event(1));
        const replay = await store.append({
          ...event(1),
          receivedAt: new Date(Date.UTC(2026, 0, 1, 1)),
        });
        expect(replay).toEqual({ id: first.id, duplicate: true });
        // Same member at another time is another event.
        const other = await store.append({
          ...event(1),
          timestamp: new Date(Date.UTC(2026, 0, 1, 0, 0, 2)),
        });
        expect(other.duplicate).toBe(false);
        await until(() => seen.length >= 2);
        expect(seen).toEqual([first.id, other.id]);
        expect((await store.listAfter(null, 10)).events.map((e) => e.id)).toEqual([
          first.id,
          other.id,
        ]);
      } finally {
        await store.close();
      }
    });

    it("refuses another project's event", async () => {
      const store = await make(100);
      try {
        await expect(store.append(event(1, false, PROJECT + 1))).rejects.toThrow(/another project/);
        expect((await store.listAfter(null, 10)).events).toEqual([]);
      } finally {
        await store.close();
      }
    });

    it('is bounded: the oldest events go first', async () => {
      const store = await make(3);
      try {
        for (let i = 1; i <= 7; i++) await store.append(event(i));
        const kept = await store.listAfter(null, 10);
        expect(kept.events.map((e) => e.projectMemberId)).toEqual([
          '10000005',
          '10000006',
          '10000007',
        ]);
      } finally {
        await store.close();
      }
    });

    it('delivers appended events to subscribers until they unsubscribe', async () => {
      const store = await make(100);
      try {
        const seen: string[] = [];
        const unsubscribe = await store.subscribe((e) => seen.push(e.projectMemberId));
        await store.append(event(1));
        await store.append(event(2));
        await until(() => seen.length === 2);
        unsubscribe();
        await store.append(event(3));
        const marker: string[] = [];
        const stopMarker = await store.subscribe((e) => marker.push(e.projectMemberId));
        await store.append(event(4));
        // Pub/sub is asynchronous: the marker may also get event 3; it surely gets event 4.
        await until(() => marker.includes('10000004'));
        stopMarker();
        expect(seen).toEqual(['10000001', '10000002']);
      } finally {
        await store.close();
      }
    });

    it('feeds a subscription: replay after a position, then live, without gap or duplicate', async () => {
      const store = await make(100);
      try {
        const first = await store.append(event(1));
        await store.append(event(2));
        await store.append(event(3));
        const feed = await openDeauthorizationFeed(store, first.id);
        const got: string[] = [];
        const reading = (async () => {
          for await (const e of feed) {
            got.push(e.projectMemberId);
            if (got.length === 4) break;
          }
        })();
        await until(() => got.length === 2);
        await store.append(event(4));
        await store.append(event(5));
        await reading;
        expect(got).toEqual(['10000002', '10000003', '10000004', '10000005']);
      } finally {
        await store.close();
      }
    });

    it('is live as soon as the feed is open, before anyone reads, and ends on return()', async () => {
      const store = await make(100);
      try {
        const feed = await openDeauthorizationFeed(store, null);
        await store.append(event(7));
        await store.append(event(8));
        expect((await feed.next()).value?.projectMemberId).toBe('10000007');
        expect((await feed.next()).value?.projectMemberId).toBe('10000008');
        const pending = feed.next();
        await feed.return?.();
        expect(await pending).toEqual({ value: undefined, done: true });
        await store.append(event(9));
        expect(await feed.next()).toEqual({ value: undefined, done: true });
      } finally {
        await store.close();
      }
    });
  });
}

contract(
  'in-memory event store',
  async (capacity) => new MemoryDeauthorizationEventStore({ projectId: PROJECT, capacity }),
);

describe.skipIf(!redisAvailable())('Redis event store', () => {
  let redis: RedisServer;
  let prefix = 0;
  beforeAll(async () => {
    redis = await startRedis();
  });
  afterAll(async () => {
    await redis?.stop();
  });
  const make = async (capacity: number) =>
    new RedisDeauthorizationEventStore({
      url: redis.url,
      projectId: PROJECT,
      capacity,
      keyPrefix: `test-${++prefix}:`,
    });

  contract('contract', make);

  it('shares events between two instances: kept once, delivered to subscribers on the other', async () => {
    const keyPrefix = `shared-${++prefix}:`;
    const a = new RedisDeauthorizationEventStore({ url: redis.url, projectId: PROJECT, keyPrefix });
    const b = new RedisDeauthorizationEventStore({ url: redis.url, projectId: PROJECT, keyPrefix });
    try {
      const onB: string[] = [];
      const onA: string[] = [];
      await b.subscribe((e) => onB.push(e.id));
      await a.subscribe((e) => onA.push(e.id));
      const stored = await a.append(event(1, true));
      await until(() => onB.length === 1 && onA.length === 1);
      expect(onB).toEqual([stored.id]);
      expect(onA).toEqual([stored.id]);
      expect((await b.listAfter(null, 10)).events).toEqual([{ ...event(1, true), id: stored.id }]);
    } finally {
      await Promise.all([a.close(), b.close()]);
    }
  });

  it('catches up on events published while its subscriber connection was down', async () => {
    const keyPrefix = `reconnect-${++prefix}:`;
    const store = new RedisDeauthorizationEventStore({
      url: redis.url,
      projectId: PROJECT,
      keyPrefix,
    });
    const writer = new RedisDeauthorizationEventStore({
      url: redis.url,
      projectId: PROJECT,
      keyPrefix,
    });
    const admin = new Redis(redis.url);
    try {
      const seen: string[] = [];
      await store.subscribe((e) => seen.push(e.projectMemberId));
      await writer.append(event(1));
      await until(() => seen.length === 1);
      // Redis drops the pub/sub connection; the next events are published while it is gone.
      await admin.call('CLIENT', 'KILL', 'TYPE', 'pubsub');
      await writer.append(event(2));
      await writer.append(event(3));
      await until(() => seen.length >= 3);
      await writer.append(event(4));
      await until(() => seen.length >= 4);
      expect(seen).toEqual(['10000001', '10000002', '10000003', '10000004']);
    } finally {
      admin.disconnect();
      await Promise.all([store.close(), writer.close()]);
    }
  });

  it('keeps the Redis URL out of error reports', async () => {
    const errors: string[] = [];
    const store = new RedisDeauthorizationEventStore({
      url: 'redis://:fake-password@127.0.0.1:1',
      projectId: PROJECT,
      commandTimeoutMs: 200,
      onError: (m) => errors.push(m),
    });
    await expect(store.append(event(1))).rejects.toThrow();
    await store.close();
    expect(errors.length).toBeGreaterThan(0);
    expect(errors.join('\n')).not.toContain('fake-password');
  });
});
