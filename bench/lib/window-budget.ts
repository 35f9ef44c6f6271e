/** The measured windows' share of the bench's time budget (`runBench`). */

/**
 * Keeps the cases inside their time budget: each measured window is the configured length
 * unless the remaining budget, shared among the remaining runs after what each run costs on top
 * of its window (warm-up, drain, counters — measured as the run goes), is shorter; never below 1 s.
 */
export class WindowBudget {
  private readonly deadline: number;
  private runsLeft: number;
  private last: { start: number; window: number } | null = null;
  private overheadMs = 1_000;

  constructor(
    private readonly windowMs: number,
    budgetMs: number,
    runs: number,
  ) {
    this.deadline = performance.now() + budgetMs;
    this.runsLeft = Math.max(1, runs);
  }

  next(): number {
    const now = performance.now();
    if (this.last) {
      // Exponential average of the time a run takes beyond its measured window.
      const overhead = Math.max(0, now - this.last.start - this.last.window);
      this.overheadMs = 0.7 * this.overheadMs + 0.3 * overhead;
    }
    const share = (this.deadline - now) / this.runsLeft - this.overheadMs;
    const window = Math.round(Math.max(1_000, Math.min(this.windowMs, share)));
    this.runsLeft = Math.max(1, this.runsLeft - 1);
    this.last = { start: now, window };
    return window;
  }
}
