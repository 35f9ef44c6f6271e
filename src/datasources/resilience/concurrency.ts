/**
 * The upstream concurrency budget (`UPSTREAM_CONCURRENCY`): at most `max` calls to Open Humans
 * in flight, process-wide — the same number as the keep-alive connections of the dispatcher, so
 * a granted call never waits again inside the connection pool (docs/upstream-budget.md).
 *
 * Waiting calls queue per owner (one client request; see `RequestBudget`) and free slots go to
 * the owners in turn, one call each: a request's 100-id fan-out cannot make a request that needs
 * one call wait behind all of its calls. An owner never has more than its `maxInFlight` at once.
 *
 * Nothing is refused for a full queue. A call is shed (`ShedError`) only when it cannot finish
 * before its request's deadline: judged when it queues, from its place in the turn order and the
 * observed call latency, and again when its turn comes.
 */
import { LatencyEstimate } from './latency-estimate.js';

/**
 * Gives the slot back. `observed: false` when the call's duration says nothing about the
 * upstream (we gave up on it): such calls stay out of the latency estimate.
 */
export type Release = (observed?: boolean) => void;

/** Who a waiting call belongs to: a request (its budget), or a call made outside any request. */
export interface Owner {
  /** Calls this owner may have in flight at once. */
  readonly maxInFlight: number;
}

export interface AcquireOptions {
  /** Aborting it gives up waiting (the client left, the deadline passed). */
  signal?: AbortSignal;
  /** Epoch ms (of `now`) by which the call must be answered; none: never shed. */
  deadlineAt?: number;
}

export interface LimiterOptions {
  /** Clock in epoch ms, for the deadline and the latency observed. @default Date.now */
  now?: () => number;
  /** The latency assumed before any call was observed. @default 0 (no shedding until then) */
  initialLatencyMs?: number;
}

interface Waiter {
  readonly deadlineAt: number | undefined;
  grant(release: Release): void;
  shed(error: ShedError): void;
}

/** The queue and the calls in flight of one owner. */
interface Lane {
  readonly owner: Owner;
  inFlight: number;
  readonly waiting: Waiter[];
}

export class ConcurrencyLimiter {
  private active = 0;
  private waitingCount = 0;
  private readonly lanes = new Map<Owner, Lane>();
  /** Lanes with a waiting call and room under their own cap, in turn order (Map order). */
  private readonly turns = new Map<Owner, Lane>();
  private readonly now: () => number;
  readonly latency: LatencyEstimate;

  constructor(
    readonly max: number,
    options: LimiterOptions = {},
  ) {
    this.now = options.now ?? Date.now;
    this.latency = new LatencyEstimate(options.initialLatencyMs ?? 0);
  }

  get inFlight(): number {
    return this.active;
  }

  get queued(): number {
    return this.waitingCount;
  }

  /**
   * Resolves with a release function once `owner` may send one call; the release also records
   * how long the call held its slot (the latency estimate that shedding uses).
   * @throws ShedError when the call cannot finish before `deadlineAt`; the signal's reason when
   * it aborts first.
   */
  acquire(
    owner: Owner = { maxInFlight: Number.POSITIVE_INFINITY },
    options: AcquireOptions = {},
  ): Promise<Release> {
    const { signal, deadlineAt } = options;
    if (signal?.aborted) return Promise.reject(signal.reason as Error);
    const now = this.tryAcquire(owner);
    if (now) return Promise.resolve(now);
    const lane = this.laneOf(owner);
    const late = this.lateBy(lane, deadlineAt);
    if (late !== null) {
      this.dropIfIdle(lane);
      return Promise.reject(new ShedError(late));
    }
    return new Promise<Release>((resolve, reject) => {
      const onAbort = (): void => {
        if (this.remove(lane, waiter)) reject(signal?.reason as Error);
      };
      const waiter: Waiter = {
        deadlineAt,
        grant: (release) => {
          signal?.removeEventListener('abort', onAbort);
          resolve(release);
        },
        shed: (error) => {
          signal?.removeEventListener('abort', onAbort);
          reject(error);
        },
      };
      signal?.addEventListener('abort', onAbort, { once: true });
      lane.waiting.push(waiter);
      this.waitingCount += 1;
      if (lane.inFlight < owner.maxInFlight) this.turns.set(owner, lane);
    });
  }

  /**
   * The slot at once when one is free, nobody waits for a turn and `owner` is under its cap;
   * null when the call must queue (`acquire`). Spares the common case a promise and a hop.
   */
  tryAcquire(owner: Owner = { maxInFlight: Number.POSITIVE_INFINITY }): Release | null {
    if (this.active >= this.max || this.turns.size > 0) return null;
    const lane = this.lanes.get(owner);
    if (lane && lane.inFlight >= owner.maxInFlight) return null;
    return this.start(lane ?? this.laneOf(owner));
  }

  private laneOf(owner: Owner): Lane {
    let lane = this.lanes.get(owner);
    if (!lane) {
      lane = { owner, inFlight: 0, waiting: [] };
      this.lanes.set(owner, lane);
    }
    return lane;
  }

  /**
   * How many ms past `deadlineAt` a call queued now would end (null: in time, or no deadline).
   * Ahead of it: its lane's own waiting calls, and from every other lane in turn as many as its
   * lane has, up to their length; its lane's own cap spreads its calls over rounds too.
   */
  private lateBy(lane: Lane, deadlineAt: number | undefined): number | null {
    if (deadlineAt === undefined) return null;
    const latency = this.latency.ms;
    if (latency <= 0) return null;
    const own = lane.waiting.length + 1;
    let ahead = own - 1;
    for (const other of this.lanes.values())
      if (other !== lane) ahead += Math.min(other.waiting.length, own);
    // Optimistic on purpose (calls in flight may end at once): shed only what surely ends late.
    const rounds = Math.max(
      Math.floor(ahead / this.max),
      Math.floor((own - 1) / lane.owner.maxInFlight),
    );
    const late = this.now() + (rounds + 1) * latency - deadlineAt;
    return late > 0 ? late : null;
  }

  private start(lane: Lane): Release {
    this.active += 1;
    lane.inFlight += 1;
    const started = this.now();
    let released = false;
    return (observed = true) => {
      if (released) return;
      released = true;
      if (observed) this.latency.observe(this.now() - started);
      this.active -= 1;
      lane.inFlight -= 1;
      if (lane.waiting.length > 0 && lane.inFlight < lane.owner.maxInFlight) {
        if (!this.turns.has(lane.owner)) this.turns.set(lane.owner, lane);
      }
      this.dropIfIdle(lane);
      this.pump();
    };
  }

  /** Hands free slots to the lanes in turn, shedding calls whose deadline can no longer be met. */
  private pump(): void {
    while (this.active < this.max) {
      const next = this.turns.values().next();
      if (next.done) return;
      const lane = next.value;
      // Its turn is used: back to the end of the order (below) if it still may and does wait.
      this.turns.delete(lane.owner);
      const waiter = lane.waiting.shift();
      if (!waiter) continue;
      this.waitingCount -= 1;
      const remaining =
        waiter.deadlineAt === undefined ? Number.POSITIVE_INFINITY : waiter.deadlineAt - this.now();
      // Its turn came too late: sending it would only hold a slot for an answer nobody awaits.
      const shed = remaining < this.latency.ms;
      const release = shed ? null : this.start(lane);
      if (lane.waiting.length > 0 && lane.inFlight < lane.owner.maxInFlight)
        this.turns.set(lane.owner, lane);
      if (release) {
        waiter.grant(release);
      } else {
        this.dropIfIdle(lane);
        waiter.shed(new ShedError(this.latency.ms - remaining));
      }
    }
  }

  private remove(lane: Lane, waiter: Waiter): boolean {
    const at = lane.waiting.indexOf(waiter);
    if (at < 0) return false;
    lane.waiting.splice(at, 1);
    this.waitingCount -= 1;
    if (lane.waiting.length === 0) this.turns.delete(lane.owner);
    this.dropIfIdle(lane);
    return true;
  }

  private dropIfIdle(lane: Lane): void {
    if (lane.inFlight === 0 && lane.waiting.length === 0) {
      this.lanes.delete(lane.owner);
      this.turns.delete(lane.owner);
    }
  }
}

/** A call not sent because it could not be answered before its request's deadline. */
export class ShedError extends Error {
  constructor(readonly lateByMs: number) {
    super(
      `Upstream call shed: it would end about ${Math.ceil(lateByMs)} ms after the request deadline`,
    );
    this.name = 'ShedError';
  }
}
