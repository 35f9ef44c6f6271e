/**
 * Upstream resilience for every call of the HTTP layer, in one place: the request's deadline,
 * a circuit breaker per route class, the upstream concurrency budget shared fairly between
 * requests (`concurrency.ts`), and retries with jittered
 * exponential backoff for idempotent GETs only (honouring `Retry-After`, within the deadline).
 * `OpenHumansHttp.request` runs each call through `Resilience.run`.
 */
import { setMaxListeners } from 'node:events';
import type { Config } from '../../config/index.js';
import type { RouteClass, RouteId } from '../routes.js';
import { ROUTES } from '../routes.js';
import type { UpstreamFailure } from '../upstream-error.js';
import { UpstreamError } from '../upstream-error.js';
import type { BreakerOptions, BreakerState } from './breaker.js';
import { CircuitBreaker } from './breaker.js';
import type { LimiterOptions, Release } from './concurrency.js';
import { ConcurrencyLimiter, ShedError } from './concurrency.js';
import { combinedSignal, currentDeadline, sleep } from './deadline.js';
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
   * for another try. `attempt` gets the signal to send with (caller's signal + deadline).
   */
  async run<T>(
    call: CallInfo,
    attempt: (signal: AbortSignal | undefined) => Promise<T>,
    fail: FailCall,
  ): Promise<T> {
    const deadline = currentDeadline();
    // Released when the call is done: nothing of it stays attached to the request's signal.
    const combined = combinedSignal(call.signal, deadline?.signal);
    const signal = combined.signal;
    const breaker = this.breakerFor(call.route);
    const maxAttempts = retriable(call.route, call.method) ? this.options.retry.maxAttempts : 1;
    try {
      for (let n = 1; ; n += 1) {
        if (deadline?.expired) throw fail('timeout', 'request deadline exceeded');
        if (signal?.aborted) throw fail('aborted', 'request cancelled');
        const budget = currentBudget();
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
          const result = await this.limited(signal, () => attempt(signal), fail);
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
      combined.release();
    }
  }

  /**
   * Runs `fn` holding one slot of the upstream budget, queued in the request's own lane (its
   * budget; a call outside any request is a lane of its own) and shed when it cannot be
   * answered before the request's deadline.
   */
  private async limited<T>(
    signal: AbortSignal | undefined,
    fn: () => Promise<T>,
    fail: FailCall,
  ): Promise<T> {
    const budget = currentBudget();
    // Each waiting call listens on the request's one signal: up to the budget, not a leak.
    if (budget && signal) setMaxListeners(budget.maxCalls + 20, signal);
    const release = await this.acquire(signal, fail);
    let observed = false;
    try {
      const result = await fn();
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

  private async acquire(signal: AbortSignal | undefined, fail: FailCall): Promise<Release> {
    const deadline = currentDeadline();
    try {
      return await this.limiter.acquire(currentBudget(), { signal, deadlineAt: deadline?.at });
    } catch (err) {
      if (err instanceof ShedError)
        throw fail('overloaded', 'it could not be answered before the request deadline');
      throw fail(
        deadline?.expired ? 'timeout' : 'aborted',
        'gave up waiting for an upstream connection',
      );
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
