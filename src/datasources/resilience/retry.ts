import type { RouteId } from '../routes.js';
import { ROUTES } from '../routes.js';
import type { UpstreamError } from '../upstream-error.js';
import type { Outcome } from './breaker.js';

export interface RetryOptions {
  /** Attempts in all, the first included (1 = no retry). */
  maxAttempts: number;
  baseDelayMs: number;
  maxDelayMs: number;
}

export interface Verdict {
  /** What the attempt says about the upstream's health (breaker input). */
  outcome: Outcome;
  /** Whether another attempt may help (before method and budget are considered). */
  transient: boolean;
}

/**
 * A 500 of a route where it can mean "unknown id" (nested public lists, exchange-member,
 * upload-complete; `unknownId500` in the route table): neither retried nor counted by the
 * breaker; the data source confirms it with the detail endpoint instead.
 */
export const isUnknownId500 = (err: UpstreamError): boolean =>
  err.kind === 'status' && err.status === 500 && ROUTES[err.route].unknownId500;

/** Judges one failed attempt. */
export function judge(err: UpstreamError): Verdict {
  switch (err.kind) {
    case 'timeout':
    case 'connection':
    case 'bad_response':
      return { outcome: 'failure', transient: true };
    case 'aborted':
    case 'circuit_open':
    case 'overloaded':
    case 'budget':
      return { outcome: 'neutral', transient: false };
    case 'status':
      break;
  }
  const status = err.status ?? 0;
  if (isUnknownId500(err)) return { outcome: 'neutral', transient: false };
  // 429 says "later", not "broken": retried after Retry-After, not held against the upstream.
  if (status === 429) return { outcome: 'neutral', transient: true };
  if (status >= 500) return { outcome: 'failure', transient: true };
  // Any other answer (4xx) shows a healthy upstream that refused this request: never retried.
  return { outcome: 'success', transient: false };
}

/**
 * Only idempotent reads are ever sent twice: the route table's `retriable`, and never a non-GET.
 */
export const retriable = (route: RouteId, method: string): boolean =>
  ROUTES[route].retriable && method === 'GET';

/**
 * Delay before attempt `attempt + 1` (attempt ≥ 1): "full jitter" exponential backoff
 * (uniform in [0, min(max, base·2^(attempt-1))]), but never less than the upstream's
 * `Retry-After`.
 */
export function backoffMs(
  attempt: number,
  options: RetryOptions,
  retryAfterMs: number | undefined,
  random: () => number,
): number {
  const ceiling = Math.min(options.maxDelayMs, options.baseDelayMs * 2 ** (attempt - 1));
  const jittered = Math.floor(random() * (ceiling + 1));
  return Math.max(jittered, retryAfterMs ?? 0);
}

/**
 * `Retry-After` as delay-seconds or an HTTP-date → milliseconds from `now` (undefined if
 * absent/bad).
 */
export function parseRetryAfter(
  value: string | string[] | undefined,
  now: number = Date.now(),
): number | undefined {
  const raw = Array.isArray(value) ? value[0] : value;
  if (raw === undefined || raw.trim() === '') return undefined;
  if (/^\s*\d+\s*$/.test(raw)) return Number(raw) * 1000;
  const at = Date.parse(raw);
  return Number.isNaN(at) ? undefined : Math.max(0, at - now);
}
