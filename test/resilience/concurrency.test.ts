/**
 * The upstream concurrency budget: at most `max` calls in flight, free slots handed to the
 * requests' lanes in turn, each lane within its own cap, nothing refused for a long queue, and
 * a call shed only when it cannot be answered before its deadline (injected clock).
 */

import { Agent } from 'undici';
import { describe, expect, it } from 'vitest';
import { startSandbox } from '../../sandbox/index.js';
import { OpenHumansHttp, UpstreamError } from '../../src/datasources/open-humans-http.js';
import type { Owner, Release } from '../../src/datasources/resilience/concurrency.js';
import { ConcurrencyLimiter, ShedError } from '../../src/datasources/resilience/concurrency.js';
import { Resilience } from '../../src/datasources/resilience/index.js';
import { LatencyEstimate } from '../../src/datasources/resilience/latency-estimate.js';

const owner = (maxInFlight = Number.POSITIVE_INFINITY): Owner => ({ maxInFlight });

type Calls = Map<string, Promise<Release>>;

/** Queues one call of `who` per label; `order` gets the label when the call is granted. */
function queue(
  limiter: ConcurrencyLimiter,
  who: Owner,
  labels: readonly string[],
  order: string[],
  calls: Calls = new Map(),
): Calls {
  for (const label of labels) {
    calls.set(
      label,
      limiter.acquire(who).then((release) => {
        order.push(label);
        return release;
      }),
    );
  }
  return calls;
}

/** Lets every settled grant run its continuation. */
const settle = (): Promise<void> => new Promise((resolve) => setImmediate(resolve));

/** Ends the calls granted so far, one at a time (the latest first), until all were granted. */
async function drain(calls: Calls, order: string[]): Promise<void> {
  const ended = new Set<string>();
  for (let i = 0; i < calls.size; i += 1) {
    await settle();
    const next = [...order].reverse().find((label) => !ended.has(label));
    if (next === undefined) return;
    ended.add(next);
    (await calls.get(next))?.();
  }
}

describe('ConcurrencyLimiter: turns', () => {
  it('a request needing one call is served next, not behind all of a 10-call fan-out', async () => {
    const limiter = new ConcurrencyLimiter(1);
    const [big, small] = [owner(), owner()];
    const order: string[] = [];
    const first = await limiter.acquire(big);
    const calls = queue(
      limiter,
      big,
      ['b2', 'b3', 'b4', 'b5', 'b6', 'b7', 'b8', 'b9', 'b10'],
      order,
    );
    queue(limiter, small, ['s1'], order, calls);
    expect(limiter.queued).toBe(10);
    first();
    await drain(calls, order);
    // FIFO would give s1 the 11th slot; in turns it gets the 3rd (b2 had its turn already).
    expect(order.slice(0, 3)).toEqual(['b2', 's1', 'b3']);
    expect(order).toHaveLength(10);
    expect(limiter.inFlight).toBe(0);
  });

  it('lanes share slots in rotation, each within its own cap', async () => {
    const limiter = new ConcurrencyLimiter(2);
    const [a, b, c] = [owner(1), owner(1), owner(2)];
    const order: string[] = [];
    const heldA = await limiter.acquire(a);
    const heldC = await limiter.acquire(c);
    const calls = queue(limiter, a, ['a1', 'a2'], order);
    queue(limiter, b, ['b1', 'b2'], order, calls);
    queue(limiter, c, ['c1', 'c2'], order, calls);
    // `a` is at its cap of 1, so the slot `c` frees goes to `b`; then a's own goes to `c`.
    heldC();
    await settle();
    expect(order).toEqual(['b1']);
    heldA();
    await settle();
    expect(order).toEqual(['b1', 'c1']);
    // Ending the latest call first: `c`'s and `a`'s turns alternate while b1 still holds b's cap.
    await drain(calls, order);
    expect(order).toEqual(['b1', 'c1', 'a1', 'c2', 'a2', 'b2']);
  });

  it('never refuses for queue length: 2,000 waiting calls all get their turn', async () => {
    const limiter = new ConcurrencyLimiter(4);
    const order: string[] = [];
    const lanes = Array.from({ length: 20 }, () => owner(16));
    // Each call ends as soon as it is granted.
    const calls = lanes.flatMap((lane, i) =>
      Array.from({ length: 100 }, (_, j) =>
        limiter.acquire(lane).then((release) => {
          order.push(`${i}.${j}`);
          release();
        }),
      ),
    );
    expect(limiter.queued).toBe(2_000 - 4);
    await Promise.all(calls);
    expect(order).toHaveLength(2_000);
    expect(limiter.queued).toBe(0);
    expect(limiter.inFlight).toBe(0);
  });

  it('a waiter whose signal aborts leaves the queue and its lane', async () => {
    const limiter = new ConcurrencyLimiter(1);
    const held = await limiter.acquire();
    const controller = new AbortController();
    const waiting = limiter.acquire(owner(), { signal: controller.signal });
    expect(limiter.queued).toBe(1);
    controller.abort(new Error('client left'));
    await expect(waiting).rejects.toThrow('client left');
    expect(limiter.queued).toBe(0);
    held();
    expect(limiter.inFlight).toBe(0);
  });
});

describe('ConcurrencyLimiter: deadline-aware shedding (injected clock)', () => {
  /** A limiter of `max` slots whose latency estimate is 100 ms, at clock time 0. */
  async function warmed(
    max: number,
  ): Promise<{ limiter: ConcurrencyLimiter; clock: { t: number } }> {
    const clock = { t: 0 };
    const limiter = new ConcurrencyLimiter(max, { now: () => clock.t });
    const release = await limiter.acquire();
    clock.t += 100;
    release();
    clock.t = 0;
    expect(limiter.latency.ms).toBe(100);
    return { limiter, clock };
  }

  it('queues a call that can finish in time, sheds one that cannot, at once', async () => {
    const { limiter } = await warmed(1);
    const held = await limiter.acquire();
    const lane = owner();
    // 1st waiting: one call (100 ms) after the slot frees: in time for 150 ms.
    const inTime = limiter.acquire(lane, { deadlineAt: 150 });
    // 2nd waiting: a round behind it, ending near 200 ms: shed for 150, queued for 250.
    await expect(limiter.acquire(lane, { deadlineAt: 150 })).rejects.toBeInstanceOf(ShedError);
    const later = limiter.acquire(lane, { deadlineAt: 250 });
    expect(limiter.queued).toBe(2);
    held();
    (await inTime)();
    (await later)();
    expect(limiter.queued).toBe(0);
  });

  it('with no deadline (or no latency observed yet) nothing is shed', async () => {
    const clock = { t: 0 };
    const limiter = new ConcurrencyLimiter(1, { now: () => clock.t });
    const held = await limiter.acquire();
    const waiting = [
      limiter.acquire(owner(), { deadlineAt: 1 }),
      limiter.acquire(owner(), { deadlineAt: 1 }),
    ];
    expect(limiter.queued).toBe(2);
    held();
    for (const w of waiting) (await w)();
    const noDeadline = await (await warmed(1)).limiter.acquire(owner());
    noDeadline();
  });

  it('a call whose turn comes too late is shed then, and the slot goes to the next', async () => {
    const { limiter, clock } = await warmed(1);
    const held = await limiter.acquire();
    const doomed = limiter.acquire(owner(), { deadlineAt: 190 });
    const patient = limiter.acquire(owner(), { deadlineAt: 10_000 });
    clock.t = 120; // 70 ms left for a 100 ms call
    held();
    await expect(doomed).rejects.toBeInstanceOf(ShedError);
    const release = await patient;
    expect(limiter.inFlight).toBe(1);
    release();
  });

  it('calls given up on stay out of the latency estimate', async () => {
    const { limiter, clock } = await warmed(1);
    const release = await limiter.acquire();
    clock.t += 5_000;
    release(false);
    expect(limiter.latency.ms).toBe(100);
  });
});

describe('LatencyEstimate', () => {
  it('is the median of recent calls: one stalled call does not move it, a slower upstream does', () => {
    const estimate = new LatencyEstimate();
    expect(estimate.ms).toBe(0);
    for (let i = 0; i < 20; i += 1) estimate.observe(20);
    estimate.observe(30_000);
    expect(estimate.ms).toBe(20);
    for (let i = 0; i < 64; i += 1) estimate.observe(200);
    expect(estimate.ms).toBe(200);
    estimate.observe(Number.NaN);
    estimate.observe(-1);
    expect(estimate.observed).toBe(85);
  });
});

describe('through the HTTP layer', () => {
  it('calls beyond the budget wait their turn: none refused, the sandbox never sees more than the budget', async () => {
    const sandbox = await startSandbox({
      port: 0,
      sizes: { publicFiles: 50, users: 20 },
      latency: { ms: 20, jitterMs: 0 },
    });
    const dispatcher = new Agent({ connections: 2 });
    const http = new OpenHumansHttp({
      baseUrl: sandbox.url,
      dispatcher,
      headersTimeoutMs: 5_000,
      bodyTimeoutMs: 5_000,
      resilience: new Resilience({
        retry: { maxAttempts: 1, baseDelayMs: 0, maxDelayMs: 0 },
        breaker: { windowSize: 10, minimumCalls: 10, failureRatio: 1, openMs: 1_000 },
        concurrency: { max: 2 },
      }),
    });
    try {
      sandbox.resetCalls();
      const calls = Array.from({ length: 12 }, () =>
        http.request({ route: 'P10', method: 'GET', path: '/api/public/projects/' }).then(
          () => 'ok',
          (err: unknown) => (err instanceof UpstreamError ? err.kind : 'other'),
        ),
      );
      expect(await Promise.all(calls)).toEqual(Array.from({ length: 12 }, () => 'ok'));
      expect(sandbox.calls()).toEqual({ P10: 12 });
      expect(sandbox.concurrency()).toMatchObject({ peakCalls: 2, peakConnections: 2 });
    } finally {
      await dispatcher.close();
      await sandbox.close();
    }
  });
});
