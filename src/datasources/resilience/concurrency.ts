/**
 * A cap on concurrent upstream calls (`UPSTREAM_MAX_CONCURRENCY`), process-wide. Callers beyond
 * it wait in a FIFO queue; a wait ends when its signal aborts (the request's deadline), and a
 * full queue (`UPSTREAM_MAX_QUEUE`) refuses at once rather than piling up work nobody will wait for.
 */
export class ConcurrencyLimiter {
  private active = 0;
  private readonly waiting: Array<{ grant: () => void }> = [];

  constructor(
    readonly max: number,
    readonly maxQueue: number,
  ) {}

  get inFlight(): number {
    return this.active;
  }

  get queued(): number {
    return this.waiting.length;
  }

  /**
   * Resolves with a release function once a slot is free.
   * @throws QueueFullError when the queue is full; the signal's reason when it aborts first.
   */
  async acquire(signal?: AbortSignal): Promise<() => void> {
    if (signal?.aborted) throw signal.reason as Error;
    if (this.active < this.max) {
      this.active += 1;
      return this.releaser();
    }
    if (this.waiting.length >= this.maxQueue) throw new QueueFullError();
    return new Promise<() => void>((resolve, reject) => {
      const entry = {
        grant: () => {
          signal?.removeEventListener('abort', onAbort);
          this.active += 1;
          resolve(this.releaser());
        },
      };
      const onAbort = (): void => {
        const at = this.waiting.indexOf(entry);
        if (at >= 0) this.waiting.splice(at, 1);
        reject(signal?.reason as Error);
      };
      signal?.addEventListener('abort', onAbort, { once: true });
      this.waiting.push(entry);
    });
  }

  private releaser(): () => void {
    let released = false;
    return () => {
      if (released) return;
      released = true;
      this.active -= 1;
      this.waiting.shift()?.grant();
    };
  }
}

export class QueueFullError extends Error {
  constructor() {
    super('Too many upstream calls waiting');
    this.name = 'QueueFullError';
  }
}
