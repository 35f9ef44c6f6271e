/**
 * The breaker around Redis. After `failureThreshold` failures in a row, spread over at least
 * `minFailureSpanMs` (so one burst of commands timing out together, as after an event-loop
 * stall, does not open it, while a Redis that stays silent does), it opens: callers skip
 * Redis at once (no per-request timeout) for `openMs`; then ONE background probe decides
 * whether it closes. Requests never wait on a Redis known to be unwell.
 */
export type RedisHealth = 'up' | 'down';

export interface RedisBreakerOptions {
  /** Failures in a row that open it. @default 3 */
  failureThreshold?: number;
  /** Time from the first to the last of those failures (the command timeout). @default 0 */
  minFailureSpanMs?: number;
  openMs: number;
  /** Epoch-ms clock (tests inject one). @default Date.now */
  now?: () => number;
  /** Runs the probe (a PING); resolves when Redis answered. */
  probe: () => Promise<unknown>;
  /** Called once per change (logging, metrics). */
  onChange?: (health: RedisHealth) => void;
}

export class RedisBreaker {
  private failures = 0;
  private firstFailureAt = 0;
  private openedAt: number | null = null;
  private probing = false;
  private timer: NodeJS.Timeout | undefined;
  private readonly now: () => number;

  constructor(private readonly options: RedisBreakerOptions) {
    this.now = options.now ?? Date.now;
  }

  get health(): RedisHealth {
    return this.openedAt === null ? 'up' : 'down';
  }

  /** True when a command may be sent now; while open, may start the background probe. */
  allow(): boolean {
    if (this.openedAt === null) return true;
    if (this.now() - this.openedAt >= this.options.openMs) this.probeNow();
    return false;
  }

  success(): void {
    this.failures = 0;
  }

  failure(): void {
    const now = this.now();
    if (this.failures === 0) this.firstFailureAt = now;
    this.failures += 1;
    const enough = this.failures >= (this.options.failureThreshold ?? 3);
    const lasting = now - this.firstFailureAt >= (this.options.minFailureSpanMs ?? 0);
    if (this.openedAt === null && enough && lasting) this.open();
  }

  /** Opens now (the connection closed): no need to wait for failures to pile up. */
  trip(): void {
    if (this.openedAt === null) this.open();
  }

  /** Probes at once (e.g. when the connection came back) unless a probe is under way. */
  probeNow(): void {
    if (this.probing || this.openedAt === null) return;
    this.probing = true;
    this.options
      .probe()
      .then(
        () => this.close(),
        () => {
          this.openedAt = this.now(); // still unwell: wait a whole period again
          this.scheduleProbe();
        },
      )
      .finally(() => {
        this.probing = false;
      });
  }

  private open(): void {
    this.openedAt = this.now();
    this.scheduleProbe();
    this.options.onChange?.('down');
  }

  /** Without traffic nothing calls `allow`: a timer probes, so an idle instance recovers too. */
  private scheduleProbe(): void {
    if (this.timer) return;
    this.timer = setTimeout(() => {
      this.timer = undefined;
      this.probeNow();
    }, this.options.openMs);
    this.timer.unref();
  }

  /** Stops the probe timer (shutdown). */
  stop(): void {
    if (this.timer) clearTimeout(this.timer);
    this.timer = undefined;
  }

  private close(): void {
    if (this.openedAt === null) return;
    this.openedAt = null;
    this.failures = 0;
    this.options.onChange?.('up');
  }
}
