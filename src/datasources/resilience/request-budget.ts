import { ScopeSlot } from '../../request-scope.js';
import type { Owner } from './concurrency.js';

/**
 * What one client request may take of the upstream (`MAX_UPSTREAM_CALLS_PER_REQUEST`,
 * `UPSTREAM_CONCURRENCY_PER_REQUEST`): a number of calls (every attempt counts, retries
 * included), and a number of calls in flight at once. It is also the request's lane in the
 * shared upstream queue (`ConcurrencyLimiter`), which serves lanes in turn: so one request can
 * neither make thousands of calls nor make other clients wait behind its fan-out.
 *
 * It also notes what the upstream said about the request's own token (accepted, rejected),
 * which the rate limit uses to key clients on what they cannot invent.
 */
export class RequestBudget implements Owner {
  private calls = 0;
  private tokenAccepted = false;
  private tokenRejected = false;

  constructor(
    readonly maxCalls: number,
    /** Calls this request may have in flight at once (its share of `UPSTREAM_CONCURRENCY`). */
    readonly maxInFlight: number,
    /** The request's bearer token, if any; never logged. */
    private readonly token: string | null = null,
  ) {}

  /** Counts one upstream call; false when the budget is spent (the call must not be sent). */
  take(): boolean {
    if (this.calls >= this.maxCalls) return false;
    this.calls += 1;
    return true;
  }

  get used(): number {
    return this.calls;
  }

  /** The upstream answered a call made with `token`: 2xx (`true`) or 401 (`false`). */
  noteTokenVerdict(token: string, accepted: boolean): void {
    if (this.token === null || token !== this.token) return;
    if (accepted) this.tokenAccepted = true;
    else this.tokenRejected = true;
  }

  /** `accepted` once Open Humans took the token and never refused it in this request. */
  get tokenVerdict(): 'accepted' | 'rejected' | 'unknown' {
    if (this.tokenRejected) return 'rejected';
    return this.tokenAccepted ? 'accepted' : 'unknown';
  }
}

/** A slot of the request's one async scope (src/request-scope.ts). */
const slot = new ScopeSlot<RequestBudget>('upstreamBudget');

/** The budget of the request being handled, if any (none outside a request: no limit). */
export const currentBudget = (): RequestBudget | undefined => slot.get();

/** Runs `fn` (and everything it starts) under `budget`. */
export const withBudget = <T>(budget: RequestBudget, fn: () => T): T => slot.run(budget, fn);

/** Runs the handling of `request` (and everything it starts) under its `budget`. */
export const withRequestBudget = <T>(request: object, budget: RequestBudget, fn: () => T): T =>
  slot.runFor(request, budget, fn);
