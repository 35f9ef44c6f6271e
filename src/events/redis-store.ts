import { Redis } from 'ioredis';
import type {
  AppendOutcome,
  DeauthorizationEvent,
  DeauthorizationEventStore,
  DeauthorizationListener,
  EventPage,
  StoredDeauthorizationEvent,
} from './deauthorization-event.js';
import {
  compareEventIds,
  dedupeKey,
  deserializeEvent,
  serializeEvent,
} from './deauthorization-event.js';
import { EventStoreUnavailableError, RedisGuard, safeReason, withTimeout } from './redis-guard.js';
import {
  DEFAULT_EVENTS_KEY_PREFIX,
  deauthorizationEventKeys,
  type EventKeys,
} from './redis-keys.js';

export interface RedisEventStoreOptions {
  url: string;
  /** The project whose events this store keeps and shows (OPENHUMANS_PROJECT_ID). */
  projectId: number | null;
  /** Prefix of every key and channel, so several gateways can share one Redis. */
  keyPrefix?: string;
  /** How many events the stream keeps (older ones are trimmed). @default 10_000 */
  capacity?: number;
  /** How long an accepted (member, timestamp) is remembered to drop replays. @default 1 h */
  dedupeTtlMs?: number;
  /** A Redis call that takes longer fails, and the store fails fast for a while. @default 500 */
  commandTimeoutMs?: number;
  /** How long the store fails fast after a failure before trying Redis again. @default 2_000 */
  breakerOpenMs?: number;
  /** Connection problems, reported without the URL (it may carry a password). */
  onError?: (message: string) => void;
}

/**
 * Appends to a Redis stream and publishes on a channel in one atomic script, so an event is never
 * published without being kept, and every instance sees the same order (the stream id).
 * - Deadline: the script does nothing once Redis' own clock has passed ARGV[3]. A call that the
 *   gateway gave up on (and answered 503) may still reach a hung Redis once it wakes; it then
 *   finds its deadline passed, so an event answered 503 is never kept or published later.
 * - Dedupe: a marker per (member, timestamp), set with the event, makes a replay a no-op that
 *   returns the first event's id.
 */
const APPEND_SCRIPT = `
local t = redis.call('TIME')
local now = tonumber(t[1]) * 1000 + math.floor(tonumber(t[2]) / 1000)
if now > tonumber(ARGV[3]) then return {'late'} end
local seen = redis.call('GET', KEYS[3])
if seen then return {'duplicate', seen} end
local id = redis.call('XADD', KEYS[1], 'MAXLEN', ARGV[1], '*', 'event', ARGV[2])
redis.call('SET', KEYS[3], id, 'PX', ARGV[4])
redis.call('PUBLISH', KEYS[2], id .. ' ' .. ARGV[2])
return {'stored', id}`;

/** Kept off the script's deadline so a reply has time to come back before the caller gives up. */
const DEADLINE_MARGIN_MS = 100;

/**
 * Events shared by every gateway instance that uses the same Redis: kept in a capped stream (for
 * `deauthorizationEvents(after:)`) and fanned out with pub/sub to live subscribers on any instance.
 * One subscriber connection per instance, opened on the first subscription. Every call goes
 * through a `RedisGuard`: a lost or hung Redis costs one short timeout, then calls fail fast with
 * `EventStoreUnavailableError`.
 */
export class RedisDeauthorizationEventStore implements DeauthorizationEventStore {
  readonly #commands: Redis;
  readonly #guard: RedisGuard;
  #subscriber: Redis | null = null;
  #subscribing: Promise<void> | null = null;
  readonly #listeners = new Set<DeauthorizationListener>();
  /** Newest event id delivered to local listeners: after a reconnect, catch up from here. */
  #lastDelivered: string | null = null;
  readonly #keys: EventKeys;
  readonly #projectId: number | null;
  readonly #capacity: number;
  readonly #dedupeTtlMs: number;
  readonly #onError: (message: string) => void;

  constructor(options: RedisEventStoreOptions) {
    this.#projectId = options.projectId;
    this.#keys = deauthorizationEventKeys(
      options.keyPrefix ?? DEFAULT_EVENTS_KEY_PREFIX,
      options.projectId,
    );
    this.#capacity = options.capacity ?? 10_000;
    this.#dedupeTtlMs = options.dedupeTtlMs ?? 3_600_000;
    this.#onError = options.onError ?? (() => {});
    const timeoutMs = options.commandTimeoutMs ?? 500;
    this.#commands = new Redis(options.url, {
      commandTimeout: timeoutMs,
      maxRetriesPerRequest: 1,
      lazyConnect: false,
    });
    this.#commands.on('error', (err: Error) => this.#onError(`redis (events): ${safeReason(err)}`));
    this.#guard = new RedisGuard(this.#commands, {
      timeoutMs,
      openMs: options.breakerOpenMs ?? 2_000,
    });
  }

  /** False while Redis is unreachable or the store is failing fast after a failure. */
  get healthy(): boolean {
    return this.#guard.healthy;
  }

  async append(event: DeauthorizationEvent): Promise<AppendOutcome> {
    if (event.projectId !== this.#projectId) throw new RangeError('event of another project');
    const json = JSON.stringify(serializeEvent(event));
    const dedupe = this.#keys.dedupe(dedupeKey(event));
    return this.#guard.run(async () => {
      const started = Date.now();
      const [seconds, micros] = await this.#commands.time();
      const redisNowMs = Number(seconds) * 1000 + Math.floor(Number(micros) / 1000);
      const budgetMs = this.#guard.timeoutMs - (Date.now() - started) - DEADLINE_MARGIN_MS;
      if (budgetMs <= 0) throw new EventStoreUnavailableError('event store unavailable (too slow)');
      const reply = await this.#commands.eval(
        APPEND_SCRIPT,
        3,
        this.#keys.stream,
        this.#keys.channel,
        dedupe,
        String(this.#capacity),
        json,
        String(redisNowMs + budgetMs),
        String(this.#dedupeTtlMs),
      );
      return parseAppendReply(reply);
    });
  }

  async listAfter(afterId: string | null, limit: number): Promise<EventPage> {
    const start = afterId === null ? '-' : `(${afterId}`;
    const rows = await this.#guard.run(() =>
      this.#commands.xrange(this.#keys.stream, start, '+', 'COUNT', limit + 1),
    );
    const events: StoredDeauthorizationEvent[] = [];
    for (const [id, fields] of rows.slice(0, limit)) {
      const stored = this.#read(id, fields[fields.indexOf('event') + 1]);
      if (stored) events.push(stored);
    }
    return { events, hasMore: rows.length > limit };
  }

  async subscribe(listener: DeauthorizationListener): Promise<() => void> {
    // Proves Redis answers now: a subscription must not start silently on a dead store.
    await this.#guard.run(() => this.#commands.ping());
    await this.#ensureSubscribed();
    if (this.#subscriber?.status !== 'ready')
      throw new EventStoreUnavailableError('event store unavailable (subscriber down)');
    this.#listeners.add(listener);
    return () => {
      this.#listeners.delete(listener);
    };
  }

  async close(): Promise<void> {
    this.#listeners.clear();
    const connections = [this.#commands, this.#subscriber].filter((c): c is Redis => c !== null);
    await Promise.all(connections.map((c) => c.quit().catch(() => c.disconnect())));
  }

  /** A stream entry of this store's project, or null (malformed, or another project's). */
  #read(id: string, json: string | undefined): StoredDeauthorizationEvent | null {
    const stored = json === undefined ? null : deserializeEvent(id, json);
    return stored && stored.projectId === this.#projectId ? stored : null;
  }

  #ensureSubscribed(): Promise<void> {
    this.#subscribing ??= this.#openSubscriber().catch((err: unknown) => {
      this.#subscribing = null; // let the next subscription try again
      throw err instanceof EventStoreUnavailableError
        ? err
        : new EventStoreUnavailableError(`event store unavailable (${safeReason(err)})`);
    });
    return this.#subscribing;
  }

  async #openSubscriber(): Promise<void> {
    const subscriber = this.#commands.duplicate({ commandTimeout: undefined });
    subscriber.on('error', (err: Error) =>
      this.#onError(`redis (events subscriber): ${safeReason(err)}`),
    );
    subscriber.on('message', (channel: string, message: string) => {
      if (channel === this.#keys.channel) this.#dispatchMessage(message);
    });
    try {
      // Read before subscribing: a message arriving meanwhile must not be taken as already seen.
      this.#lastDelivered = await this.#newestId();
      await withTimeout(subscriber.subscribe(this.#keys.channel), this.#guard.timeoutMs);
    } catch (err) {
      subscriber.disconnect();
      throw err;
    }
    this.#subscriber = subscriber;
    // Pub/sub drops what is published while the connection is down; the stream does not. Catch
    // up only once subscribed again, so nothing falls between the catch-up and the live feed.
    subscriber.on('ready', () => {
      subscriber.subscribe(this.#keys.channel).then(
        () => this.#catchUp(),
        () => {},
      );
    });
  }

  #dispatchMessage(message: string): void {
    const space = message.indexOf(' ');
    const event = space > 0 ? this.#read(message.slice(0, space), message.slice(space + 1)) : null;
    if (event) this.#dispatch(event);
  }

  /** In id order, each event once (a catch-up and a late message may carry the same one). */
  #dispatch(event: StoredDeauthorizationEvent): void {
    if (this.#lastDelivered !== null && compareEventIds(event.id, this.#lastDelivered) <= 0) return;
    this.#lastDelivered = event.id;
    for (const listener of this.#listeners) listener(event);
  }

  /** After a reconnect: delivers the events kept since the last one delivered. */
  async #catchUp(): Promise<void> {
    try {
      for (;;) {
        const page = await this.listAfter(this.#lastDelivered, 100);
        for (const event of page.events) this.#dispatch(event);
        if (!page.hasMore) return;
      }
    } catch (err) {
      this.#onError(`redis (events catch-up): ${safeReason(err)}`);
    }
  }

  async #newestId(): Promise<string | null> {
    const rows = await this.#guard.run(() =>
      this.#commands.xrevrange(this.#keys.stream, '+', '-', 'COUNT', 1),
    );
    return rows[0]?.[0] ?? null;
  }
}

function parseAppendReply(reply: unknown): AppendOutcome {
  const [status, id] = Array.isArray(reply) ? (reply as unknown[]) : [];
  if ((status === 'stored' || status === 'duplicate') && typeof id === 'string')
    return { id, duplicate: status === 'duplicate' };
  // 'late': Redis ran the script after its deadline (it was hung): nothing was kept.
  throw new EventStoreUnavailableError(
    status === 'late'
      ? 'event store unavailable (answered too late)'
      : 'event store: unexpected reply',
  );
}
