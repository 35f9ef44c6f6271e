/**
 * A circuit breaker per route class (public API, direct-sharing API, OAuth2, storage; the
 * route table, src/datasources/routes.ts, says which class a route is in).
 *
 * Closed: outcomes go into a window of the last `windowSize` calls; once it holds at least
 * `minimumCalls` and the failure share reaches `failureRatio`, it opens. Open: calls fail fast
 * for `openMs`. Then half-open: ONE probe call goes through; success closes it (fresh window),
 * failure opens it again. Neutral outcomes (the caller gave up, a 500 that means "unknown id",
 * a 429) leave the window alone — otherwise anyone could open it with made-up usernames.
 */
export type BreakerState = 'closed' | 'open' | 'half_open';
export type Outcome = 'success' | 'failure' | 'neutral';

export interface BreakerOptions {
  windowSize: number;
  minimumCalls: number;
  /** 0..1 */
  failureRatio: number;
  openMs: number;
}

export class CircuitBreaker {
  private state: BreakerState = 'closed';
  private window: boolean[] = [];
  private failures = 0;
  private openedAt = 0;
  private probing = false;

  constructor(
    readonly name: string,
    private readonly options: BreakerOptions,
    private readonly onChange: (name: string, state: BreakerState) => void = () => {},
    private readonly now: () => number = Date.now,
  ) {}

  get current(): BreakerState {
    return this.state;
  }

  /** Milliseconds until an open breaker lets a probe through (0 when not open). */
  retryInMs(): number {
    return this.state === 'open'
      ? Math.max(0, this.openedAt + this.options.openMs - this.now())
      : 0;
  }

  /**
   * Whether a call may go out now. In half-open state only one probe at a time; the caller
   * MUST report its outcome with `record`.
   */
  tryAcquire(): boolean {
    if (this.state === 'open') {
      if (this.now() - this.openedAt < this.options.openMs) return false;
      this.transition('half_open');
    }
    if (this.state === 'half_open') {
      if (this.probing) return false;
      this.probing = true;
    }
    return true;
  }

  record(outcome: Outcome): void {
    if (this.state === 'half_open') {
      this.probing = false;
      if (outcome === 'success') this.close();
      else if (outcome === 'failure') this.open();
      return;
    }
    if (this.state === 'open' || outcome === 'neutral') return;
    const failed = outcome === 'failure';
    this.window.push(failed);
    if (failed) this.failures += 1;
    if (this.window.length > this.options.windowSize && this.window.shift()) this.failures -= 1;
    const calls = this.window.length;
    if (calls >= this.options.minimumCalls && this.failures / calls >= this.options.failureRatio)
      this.open();
  }

  private open(): void {
    this.openedAt = this.now();
    this.window = [];
    this.failures = 0;
    this.transition('open');
  }

  private close(): void {
    this.window = [];
    this.failures = 0;
    this.transition('closed');
  }

  private transition(state: BreakerState): void {
    if (this.state === state) return;
    this.state = state;
    try {
      this.onChange(this.name, state);
    } catch {
      // An observer must never break a call.
    }
  }
}
