/**
 * Upstream resilience for every call of the HTTP layer, in one place: the request's deadline,
 * a circuit breaker per route class, the upstream concurrency budget shared fairly between
 * requests (`concurrency.ts`), and retries with jittered
 * exponential backoff for idempotent GETs only (honouring `Retry-After`, within the deadline).
 * `OpenHumansHttp.request` runs each call through `Resilience.run`.
 */
import type { Config } from '../../config/index.js';
import type { RouteClass, RouteId } from '../routes.js';
import { ROUTES } from '../routes.js';
import type { UpstreamFailure } from '../upstream-error.js';
import { UpstreamError } from '../upstream-error.js';
import type { BreakerOptions, BreakerState } from './breaker.js';
import { CircuitBreaker } from './breaker.js';
import type { LimiterOptions, Release } from './concurrency.js';
import { ConcurrencyLimiter, ShedError } from './concurrency.js';
import type { Deadline } from './deadline.js';
import { combinedSignal, currentDeadline, sleep } from './deadline.js';
import type { RequestBudget } from './request-budget.js';
import { currentBudget } from './request-budget.js';
import type { RetryOptions } from './retry.js';
import { backoffMs, judge, retriable } from './retry.js';

export type { BreakerState } from './breaker.js';
export { currentDeadline, Deadline, raceSignal, withDeadline } from './deadline.js';
export { currentBudget, RequestBudget, withBudget } from './request-budget.js';

export interface ResilienceOptions {
  retry: RetryOptions;
  breaker: BreakerOptions;
  /** `max`: `UPSTREAM_CONCURRENCY`, the calls in flight at once, process-wide. */
  concurrency: { max: number } & LimiterOptions;
  /** Breaker state changes (metrics, logs). Must not throw. */
  onBreakerChange?: (routeClass: RouteClass, state: BreakerState) => void;
  /** Source of jitter; @default Math.random */
  random?: () => number;
  /** Clock of the circuit breakers' open period (tests inject one); @default Date.now */
  now?: () => number;
}

/** No retries, no breaker, no cap: what a bare `OpenHumansHttp` does (the deadline still holds). */
export const PASS_THROUGH: ResilienceOptions = {
  retry: { maxAttempts: 1, baseDelayMs: 0, maxDelayMs: 0 },
  breaker: { windowSize: 1, minimumCalls: Number.MAX_SAFE_INTEGER, failureRatio: 1, openMs: 0 },
  concurrency: { max: Number.MAX_SAFE_INTEGER },
};

export interface CallInfo {
  route: RouteId;
  method: string;
  signal?: AbortSignal;
}

/** Builds an `UpstreamError` for a call that never got an answer (breaker, queue, deadline). */
export type FailCall = (kind: UpstreamFailure, detail: string) => UpstreamError;

export class Resilience {
  readonly limiter: ConcurrencyLimiter;
  private readonly breakers = new Map<RouteClass, CircuitBreaker>();
  private readonly random: () => number;

  constructor(private readonly options: ResilienceOptions = PASS_THROUGH) {
    this.limiter = new ConcurrencyLimiter(options.concurrency.max, options.concurrency);
    this.random = options.random ?? Math.random;
  }

  /** Breaker states by route class (for /metrics). */
  breakerStates(): Partial<Record<RouteClass, BreakerState>> {
    return Object.fromEntries([...this.breakers].map(([name, b]) => [name, b.current]));
  }

  /** The breaker of the route's class (the route table's `routeClass`). */
  breakerFor(route: RouteId): CircuitBreaker {
    const name = ROUTES[route].routeClass;
    let breaker = this.breakers.get(name);
    if (!breaker) {
      const onChange = this.options.onBreakerChange;
      breaker = new CircuitBreaker(
        name,
        this.options.breaker,
        onChange ? (_name, state) => onChange(name, state) : undefined,
        this.options.now,
      );
      this.breakers.set(name, breaker);
    }
    return breaker;
  }

  /**
   * Runs `attempt` until it succeeds, fails for good, or the request's deadline leaves no room
   * for another try. `attempt` gets the signal to send with (caller's signal + deadline) and
   * `release`, to call once the upstream's answer is in: the slot of the upstream budget goes
   * to the next call then, not after parsing and the promise hops back here (the budget counts
   * calls Open Humans is working on, not our CPU time).
   */
  async run<T>(
    call: CallInfo,
    attempt: (signal: AbortSignal | undefined, release: () => void) => Promise<T>,
    fail: FailCall,
  ): Promise<T> {
    const deadline = currentDeadline();
    const budget = currentBudget();
    // The deadline already aborts with the client request's signal, so a call carrying that
    // signal (most do) listens on the deadline's alone; another signal is combined with it, and
    // released when the call is done: nothing of it stays attached to the request's signal.
    const combined =
      deadline !== undefined && (call.signal === undefined || call.signal === deadline.parent)
        ? undefined
        : combinedSignal(call.signal, deadline?.signal);
    const signal = combined ? combined.signal : deadline?.signal;
    const breaker = this.breakerFor(call.route);
    const maxAttempts = retriable(call.route, call.method) ? this.options.retry.maxAttempts : 1;
    try {
      for (let n = 1; ; n += 1) {
        if (deadline?.expired) throw fail('timeout', 'request deadline exceeded');
        if (signal?.aborted) throw fail('aborted', 'request cancelled');
        if (budget && !budget.take())
          throw fail('budget', `upstream call budget of ${budget.maxCalls} spent`);
        if (!breaker.tryAcquire()) {
          throw fail(
            'circuit_open',
            `circuit open for ${breaker.name} calls (retry in ${breaker.retryInMs()} ms)`,
          );
        }
        let error: UpstreamError;
        try {
          const result = await this.limited(signal, deadline, budget, attempt, fail);
          breaker.record('success');
          return result;
        } catch (err) {
          if (!(err instanceof UpstreamError)) {
            breaker.record('neutral');
            throw err;
          }
          // Our own deadline or the client leaving is no verdict on the upstream.
          const gaveUp = signal?.aborted === true;
          const verdict = gaveUp ? { outcome: 'neutral' as const, transient: false } : judge(err);
          breaker.record(verdict.outcome);
          if (gaveUp && deadline?.expired) throw fail('timeout', 'request deadline exceeded');
          error = err;
          if (!verdict.transient || n >= maxAttempts) throw err;
        }
        const delay = backoffMs(n, this.options.retry, error.retryAfterMs, this.random);
        if (deadline && delay >= deadline.remainingMs()) throw error;
        try {
          await sleep(delay, signal);
        } catch {
          throw error;
        }
      }
    } finally {
      combined?.release();
    }
  }

  /**
   * Runs `attempt` holding one slot of the upstream budget, queued in the request's own lane
   * (its budget; a call outside any request is a lane of its own) and shed when it cannot be
   * answered before the request's deadline. The slot is given back when `attempt` calls its
   * `release`, or when it settles.
   */
  private async limited<T>(
    signal: AbortSignal | undefined,
    deadline: Deadline | undefined,
    budget: RequestBudget | undefined,
    attempt: (signal: AbortSignal | undefined, release: () => void) => Promise<T>,
    fail: FailCall,
  ): Promise<T> {
    let release: Release;
    try {
      release =
        this.limiter.tryAcquire(budget) ??
        (await this.limiter.acquire(budget, { signal, deadlineAt: deadline?.at }));
    } catch (err) {
      if (err instanceof ShedError)
        throw fail('overloaded', 'it could not be answered before the request deadline');
      throw fail(
        deadline?.expired ? 'timeout' : 'aborted',
        'gave up waiting for an upstream connection',
      );
    }
    // A release after the first is a no-op (`ConcurrencyLimiter`): the early one wins.
    let observed = false;
    try {
      const result = await attempt(signal, () => release(true));
      observed = true;
      return result;
    } catch (err) {
      // A call we gave up on (deadline, client gone) says nothing about the upstream's latency.
      observed = signal?.aborted !== true;
      throw err;
    } finally {
      release(observed);
    }
  }
}

/** One HTTP layer's resilience from the configuration (one per process, like the HTTP layer). */
export function resilienceFromConfig(
  config: { upstream: Config['upstream'] },
  onBreakerChange?: ResilienceOptions['onBreakerChange'],
  now?: ResilienceOptions['now'],
): Resilience {
  const { retry, breaker, concurrency } = config.upstream;
  return new Resilience({
    retry,
    breaker,
    concurrency: { max: concurrency },
    onBreakerChange,
    now,
  });
}
