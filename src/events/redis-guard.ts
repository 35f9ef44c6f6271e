import type { Redis } from 'ioredis';

/**
 * The shared event store (Redis) cannot be reached, is too slow, or failed a command. Nothing was
 * kept by the call that got it; the GraphQL layer answers it with a coded UPSTREAM_UNAVAILABLE
 * instead of a masked error, and the webhook with a 503.
 */
export class EventStoreUnavailableError extends Error {
  constructor(message = 'deauthorization event store unavailable') {
    super(message);
    this.name = 'EventStoreUnavailableError';
  }
}

export interface RedisGuardOptions {
  /** A command that takes longer fails (and trips the guard). */
  timeoutMs: number;
  /** After a failure, calls fail at once for this long instead of each waiting `timeoutMs`. */
  openMs: number;
  /** Injectable clock (milliseconds) for tests. */
  now?: () => number;
}

/**
 * A small breaker in front of one Redis connection, so a hung or lost Redis costs one short
 * timeout and then fails fast, rather than making every request wait: a call fails immediately
 * while the connection is not ready (after it has been ready once) or while the guard is open;
 * once `openMs` has passed the next call tries Redis again. At start-up, a call waits (at most
 * `timeoutMs`) for the first connection instead of failing.
 */
export class RedisGuard {
  readonly #redis: Redis;
  readonly #timeoutMs: number;
  readonly #openMs: number;
  readonly #now: () => number;
  #openUntil = 0;
  #everReady = false;
  /** Settles on the first 'ready' (one listener, however many calls wait for it). */
  readonly #firstReady: Promise<void>;

  constructor(redis: Redis, options: RedisGuardOptions) {
    this.#redis = redis;
    this.#timeoutMs = options.timeoutMs;
    this.#openMs = options.openMs;
    this.#now = options.now ?? Date.now;
    if (redis.status === 'ready') this.#everReady = true;
    this.#firstReady = new Promise<void>((resolve) => redis.once('ready', () => resolve()));
    redis.on('ready', () => {
      this.#everReady = true;
    });
  }

  /** False while the guard is open or the connection is down (for readiness reports). */
  get healthy(): boolean {
    return this.#now() >= this.#openUntil && this.#redis.status === 'ready';
  }

  /** The per-command time budget (the store derives its server-side deadlines from it). */
  get timeoutMs(): number {
    return this.#timeoutMs;
  }

  /** Runs one Redis call under the guard; any failure rejects with EventStoreUnavailableError. */
  async run<T>(call: () => Promise<T>): Promise<T> {
    if (this.#now() < this.#openUntil)
      throw new EventStoreUnavailableError('event store unavailable (recent failure)');
    try {
      await this.#connected();
      const result = await withTimeout(call(), this.#timeoutMs);
      return result;
    } catch (err) {
      this.#openUntil = this.#now() + this.#openMs;
      if (err instanceof EventStoreUnavailableError) throw err;
      throw new EventStoreUnavailableError(`event store unavailable (${safeReason(err)})`);
    }
  }

  async #connected(): Promise<void> {
    const status = this.#redis.status;
    if (status === 'ready') return;
    const starting =
      !this.#everReady && (status === 'connecting' || status === 'connect' || status === 'wait');
    if (!starting)
      throw new EventStoreUnavailableError(`event store unavailable (connection ${status})`);
    await withTimeout(this.#firstReady, this.#timeoutMs);
  }
}

/** Rejects with a timeout error once `ms` has passed (the call itself may still settle later). */
export function withTimeout<T>(promise: Promise<T>, ms: number): Promise<T> {
  let timer: NodeJS.Timeout | undefined;
  const timeout = new Promise<never>((_, reject) => {
    timer = setTimeout(
      () =>
        reject(
          new EventStoreUnavailableError(`event store unavailable (no answer within ${ms} ms)`),
        ),
      ms,
    );
  });
  return Promise.race([promise, timeout]).finally(() => clearTimeout(timer));
}

/**
 * Redis errors can echo the connection URL, which may hold a password: keep only the code or name.
 */
export function safeReason(err: unknown): string {
  if (!(err instanceof Error)) return 'error';
  const code = (err as Error & { code?: unknown }).code;
  return typeof code === 'string' ? code : err.name;
}
