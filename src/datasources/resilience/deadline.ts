import { setMaxListeners } from 'node:events';
import { ScopeSlot } from '../../request-scope.js';

/**
 * Listeners one request's deadline signal may hold at once: every upstream call and public-cache
 * read of the request that is waiting listens on it, and lets go when its wait ends. A request's
 * fan-out is bounded by the cost limit and its upstream call budget, far below this; past it,
 * node's leak warning is worth seeing.
 */
const MAX_DEADLINE_WAITERS = 1000;

/**
 * The time budget of one GraphQL request (`REQUEST_DEADLINE_MS`). It lives in an async scope,
 * so every upstream call made while the request runs — retries, queueing for a connection and
 * backoff sleeps included — is bounded by it without each data source passing it along.
 */
export class Deadline {
  /** Aborted when the budget is spent (reason: a `TimeoutError`) or the parent aborts. */
  readonly signal: AbortSignal;
  private readonly release: () => void;

  private constructor(
    /** Epoch ms at which the budget ends. */
    readonly at: number,
    signal: AbortSignal,
    release: () => void,
    /**
     * The signal this deadline also aborts with (the client request's): a call that carries it
     * needs only `signal`, no second signal combining the two.
     */
    readonly parent: AbortSignal | undefined,
  ) {
    this.signal = signal;
    this.release = release;
  }

  /**
   * A deadline `ms` from now; also aborted with `parent` (e.g. the client went away). One
   * controller, one timer and one listener on the parent, all dropped by `end()`: per-request
   * `AbortSignal.timeout`/`AbortSignal.any` pairs stayed reachable long after their request (on
   * Node 24, a 429 flood grew the heap by about 2.6 KB per request).
   */
  static after(ms: number, parent?: AbortSignal): Deadline {
    const controller = new AbortController();
    setMaxListeners(MAX_DEADLINE_WAITERS, controller.signal);
    const timer = setTimeout(
      () => controller.abort(new DOMException('The request deadline passed.', 'TimeoutError')),
      ms,
    );
    timer.unref();
    const onParentAbort = (): void => controller.abort(parent?.reason);
    if (parent?.aborted) controller.abort(parent.reason);
    else parent?.addEventListener('abort', onParentAbort, { once: true });
    const release = (): void => {
      clearTimeout(timer);
      parent?.removeEventListener('abort', onParentAbort);
    };
    controller.signal.addEventListener('abort', release, { once: true });
    return new Deadline(Date.now() + ms, controller.signal, release, parent);
  }

  /** The request is answered: stop the timer and let go of the parent (the signal stays as is). */
  end(): void {
    this.release();
  }

  remainingMs(): number {
    return Math.max(0, this.at - Date.now());
  }

  /** True once the budget itself ran out (not merely the parent aborting). */
  get expired(): boolean {
    return this.remainingMs() === 0 || (this.signal.aborted && isTimeoutReason(this.signal.reason));
  }
}

const isTimeoutReason = (reason: unknown): boolean =>
  (reason as { name?: unknown } | null)?.name === 'TimeoutError';

/** A slot of the request's one async scope (src/request-scope.ts). */
const slot = new ScopeSlot<Deadline>('deadline');

/** The deadline of the request being handled, if any. */
export const currentDeadline = (): Deadline | undefined => slot.get();

/** Runs `fn` (and everything it starts) under `deadline`. */
export const withDeadline = <T>(deadline: Deadline, fn: () => T): T => slot.run(deadline, fn);

/** Runs the handling of `request` (and everything it starts) under its `deadline`. */
export const withRequestDeadline = <T>(request: object, deadline: Deadline, fn: () => T): T =>
  slot.runFor(request, deadline, fn);

/** A signal aborted with a `TimeoutError` after `ms`; `release()` stops the timer. */
export function timeoutSignal(ms: number): { signal: AbortSignal; release: () => void } {
  const controller = new AbortController();
  const timer = setTimeout(
    () => controller.abort(new DOMException('The operation timed out.', 'TimeoutError')),
    ms,
  );
  timer.unref();
  return { signal: controller.signal, release: () => clearTimeout(timer) };
}

/**
 * One signal that aborts with whichever of `signals` aborts first; `release()` removes its
 * listeners from them (unlike `AbortSignal.any`, nothing of it stays attached to a long-lived
 * source once the work is done).
 */
export function combinedSignal(...signals: (AbortSignal | undefined)[]): {
  signal: AbortSignal | undefined;
  release: () => void;
} {
  const set = signals.filter((s): s is AbortSignal => s !== undefined);
  if (set.length <= 1) return { signal: set[0], release: () => {} };
  const controller = new AbortController();
  const onAbort = (event: Event): void => controller.abort((event.target as AbortSignal).reason);
  const release = (): void => {
    for (const s of set) s.removeEventListener('abort', onAbort);
  };
  for (const s of set) {
    if (s.aborted) {
      controller.abort(s.reason);
      break;
    }
    s.addEventListener('abort', onAbort, { once: true });
  }
  if (controller.signal.aborted) release();
  return { signal: controller.signal, release };
}

/** Settles like `promise`, or rejects with the signal's reason as soon as it aborts. */
export function raceSignal<T>(promise: Promise<T>, signal: AbortSignal | undefined): Promise<T> {
  if (!signal) return promise;
  if (signal.aborted) return Promise.reject(signal.reason as Error);
  return new Promise<T>((resolve, reject) => {
    const onAbort = (): void => reject(signal.reason as Error);
    signal.addEventListener('abort', onAbort, { once: true });
    promise.then(
      (value) => {
        signal.removeEventListener('abort', onAbort);
        resolve(value);
      },
      (err: unknown) => {
        signal.removeEventListener('abort', onAbort);
        reject(err as Error);
      },
    );
  });
}

/** Waits `ms`, or rejects with the signal's reason when it aborts first. */
export function sleep(ms: number, signal?: AbortSignal): Promise<void> {
  return raceSignal(
    new Promise<void>((resolve) => {
      const timer = setTimeout(resolve, ms);
      signal?.addEventListener('abort', () => clearTimeout(timer), { once: true });
    }),
    signal,
  );
}
