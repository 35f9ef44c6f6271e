/**
 * The upstream call latency the limiter expects, for deadline-aware shedding: an exponentially
 * weighted moving average of observed calls (weight 0.2 on the newest), so a slower or faster
 * upstream shows within a few dozen calls while one outlier moves it little.
 */
export class LatencyEstimate {
  private value: number;
  private samples = 0;

  constructor(initialMs = 0) {
    this.value = Math.max(0, initialMs);
  }

  /** The current estimate in ms (the initial value until a call was observed). */
  get ms(): number {
    return this.value;
  }

  /** Calls observed so far. */
  get observed(): number {
    return this.samples;
  }

  observe(ms: number): void {
    if (!Number.isFinite(ms) || ms < 0) return;
    // The first observation replaces the guess outright; later ones are averaged in.
    this.value = this.samples === 0 ? ms : this.value + WEIGHT * (ms - this.value);
    this.samples += 1;
  }
}

const WEIGHT = 0.2;
