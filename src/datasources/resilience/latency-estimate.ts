/**
 * The upstream call latency the limiter expects, for deadline-aware shedding: the median of the
 * last 64 observed calls. A median, not a mean: one call held up for seconds (a GC pause, a
 * starved machine, a hanging socket) must not make every queued call look hopeless and shed it,
 * while a real change of the upstream's speed shows within 40 calls.
 */
export class LatencyEstimate {
  private readonly recent: number[] = [];
  private next = 0;
  private samples = 0;
  /** The median of `recent`, recomputed lazily after an observation. */
  private cached: number;
  private stale = false;

  constructor(initialMs = 0) {
    this.cached = Math.max(0, initialMs);
  }

  /** The current estimate in ms (the initial value until a call was observed). */
  get ms(): number {
    if (this.stale) {
      const sorted = [...this.recent].sort((a, b) => a - b);
      this.cached = sorted[Math.floor(sorted.length / 2)] ?? this.cached;
      this.stale = false;
    }
    return this.cached;
  }

  /** Calls observed so far. */
  get observed(): number {
    return this.samples;
  }

  observe(ms: number): void {
    if (!Number.isFinite(ms) || ms < 0) return;
    if (this.recent.length < WINDOW) this.recent.push(ms);
    else this.recent[this.next] = ms;
    this.next = (this.next + 1) % WINDOW;
    this.samples += 1;
    // Re-sorted on the next read after every 8th call only (every call while it warms up): the
    // limiter reads it for every queued call, and at 52 calls a query a sort per call showed in
    // the profile. A change of the upstream's speed still shows within 40 calls.
    if (this.samples < 16 || this.samples % 8 === 0) this.stale = true;
  }
}

const WINDOW = 64;
