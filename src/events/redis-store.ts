import { Redis } from 'ioredis';
import type {
  DeauthorizationEvent,
  DeauthorizationEventStore,
  DeauthorizationListener,
  EventPage,
  StoredDeauthorizationEvent,
} from './deauthorization-event.js';
import { compareEventIds, deserializeEvent, serializeEvent } from './deauthorization-event.js';

export interface RedisEventStoreOptions {
  url: string;
  /** Prefix of the stream key and pub/sub channel, so several gateways can share one Redis. */
  keyPrefix?: string;
  /** How many events the stream keeps (older ones are trimmed). */
  capacity?: number;
  /** A Redis command that takes longer fails (the webhook then answers 503 instead of hanging). */
  commandTimeoutMs?: number;
  /** Connection problems, reported without the URL (it may carry a password). */
  onError?: (message: string) => void;
}

/**
 * Appends to a Redis stream and publishes on a channel in one atomic script, so an event is never
 * published without being kept, and every instance sees the same order (the stream id).
 */
const APPEND_SCRIPT = `
local id = redis.call('XADD', KEYS[1], 'MAXLEN', ARGV[1], '*', 'event', ARGV[2])
redis.call('PUBLISH', KEYS[2], id .. ' ' .. ARGV[2])
return id`;

/**
 * Events shared by every gateway instance that uses the same Redis: kept in a capped stream (for
 * `deauthorizationEvents(after:)`) and fanned out with pub/sub to live subscribers on any instance.
 * One subscriber connection per instance, opened on the first subscription.
 */
export class RedisDeauthorizationEventStore implements DeauthorizationEventStore {
  readonly #commands: Redis;
  #subscriber: Redis | null = null;
  #subscribing: Promise<void> | null = null;
  readonly #listeners = new Set<DeauthorizationListener>();
  /** Newest event id delivered to local listeners: after a reconnect, catch up from here. */
  #lastDelivered: string | null = null;
  readonly #streamKey: string;
  readonly #channel: string;
  readonly #capacity: number;
  readonly #onError: (message: string) => void;

  constructor(options: RedisEventStoreOptions) {
    const prefix = options.keyPrefix ?? 'openhumans-graphql:';
    this.#streamKey = `${prefix}deauthorization-events`;
    this.#channel = `${prefix}deauthorization-events:live`;
    this.#capacity = options.capacity ?? 10_000;
    this.#onError = options.onError ?? (() => {});
    this.#commands = new Redis(options.url, {
      commandTimeout: options.commandTimeoutMs ?? 2_000,
      maxRetriesPerRequest: 1,
      lazyConnect: false,
    });
    this.#commands.on('error', (err: Error) => this.#onError(`redis (events): ${safeMessage(err)}`));
  }

  async append(event: DeauthorizationEvent): Promise<StoredDeauthorizationEvent> {
    const json = JSON.stringify(serializeEvent(event));
    const id = await this.#commands.eval(APPEND_SCRIPT, 2, this.#streamKey, this.#channel, String(this.#capacity), json);
    if (typeof id !== 'string') throw new Error('redis (events): XADD returned no id');
    // Local listeners get the event through pub/sub like everyone else, so never twice.
    return { ...event, id };
  }

  async listAfter(afterId: string | null, limit: number): Promise<EventPage> {
    const start = afterId === null ? '-' : `(${afterId}`;
    const rows = await this.#commands.xrange(this.#streamKey, start, '+', 'COUNT', limit + 1);
    const events: StoredDeauthorizationEvent[] = [];
    for (const [id, fields] of rows.slice(0, limit)) {
      const json = fields[fields.indexOf('event') + 1];
      const stored = json === undefined ? null : deserializeEvent(id, json);
      if (stored) events.push(stored);
    }
    return { events, hasMore: rows.length > limit };
  }

  async subscribe(listener: DeauthorizationListener): Promise<() => void> {
    await this.#ensureSubscribed();
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

  #ensureSubscribed(): Promise<void> {
    this.#subscribing ??= this.#openSubscriber().catch((err: unknown) => {
      this.#subscribing = null; // let the next subscription try again
      throw err;
    });
    return this.#subscribing;
  }

  async #openSubscriber(): Promise<void> {
    const subscriber = this.#commands.duplicate({ commandTimeout: undefined });
    subscriber.on('error', (err: Error) => this.#onError(`redis (events subscriber): ${safeMessage(err)}`));
    subscriber.on('message', (channel: string, message: string) => {
      if (channel === this.#channel) this.#dispatchMessage(message);
    });
    try {
      // Read before subscribing: a message arriving meanwhile must not be taken as already seen.
      this.#lastDelivered = await this.#newestId();
      await subscriber.subscribe(this.#channel);
    } catch (err) {
      subscriber.disconnect();
      throw err;
    }
    this.#subscriber = subscriber;
    // Pub/sub drops what is published while the connection is down; the stream does not. Catch
    // up only once subscribed again, so nothing falls between the catch-up and the live feed.
    subscriber.on('ready', () => {
      subscriber.subscribe(this.#channel).then(
        () => this.#catchUp(),
        () => {},
      );
    });
  }

  #dispatchMessage(message: string): void {
    const space = message.indexOf(' ');
    const event = space > 0 ? deserializeEvent(message.slice(0, space), message.slice(space + 1)) : null;
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
        page.events.forEach((event) => this.#dispatch(event));
        if (!page.hasMore) return;
      }
    } catch (err) {
      this.#onError(`redis (events catch-up): ${safeMessage(err instanceof Error ? err : new Error('error'))}`);
    }
  }

  async #newestId(): Promise<string | null> {
    const rows = await this.#commands.xrevrange(this.#streamKey, '+', '-', 'COUNT', 1);
    return rows[0]?.[0] ?? null;
  }
}

/** Redis errors can echo the connection URL, which may hold a password: keep only the code. */
function safeMessage(err: Error): string {
  const code = (err as Error & { code?: unknown }).code;
  return typeof code === 'string' ? code : err.name;
}
