/** The global cap on concurrent upstream calls: FIFO queue, bounded by the deadline and a maximum. */
import { describe, expect, it } from 'vitest';
import { Agent } from 'undici';
import { startSandbox } from '../../sandbox/index.js';
import { OpenHumansHttp, UpstreamError } from '../../src/datasources/http.js';
import { ConcurrencyLimiter } from '../../src/datasources/resilience/concurrency.js';
import { Resilience } from '../../src/datasources/resilience/index.js';

describe('ConcurrencyLimiter', () => {
  it('admits at most `max` at once and hands slots on in FIFO order', async () => {
    const limiter = new ConcurrencyLimiter(2, 10);
    const order: number[] = [];
    const a = await limiter.acquire();
    const b = await limiter.acquire();
    const waits = [3, 4, 5].map((n) => limiter.acquire().then((release) => {
      order.push(n);
      return release;
    }));
    expect(limiter.inFlight).toBe(2);
    expect(limiter.queued).toBe(3);
    a();
    b();
    const [c] = await Promise.all(waits.slice(0, 2));
    expect(order).toEqual([3, 4]);
    c?.();
    (await waits[2])?.();
    expect(order).toEqual([3, 4, 5]);
  });

  it('a waiter whose signal aborts leaves the queue; a full queue refuses at once', async () => {
    const limiter = new ConcurrencyLimiter(1, 1);
    const held = await limiter.acquire();
    const controller = new AbortController();
    const waiting = limiter.acquire(controller.signal);
    await expect(limiter.acquire()).rejects.toThrow(/waiting/);
    controller.abort();
    await expect(waiting).rejects.toBeDefined();
    expect(limiter.queued).toBe(0);
    held();
    expect(limiter.inFlight).toBe(0);
  });
});

describe('through the HTTP layer', () => {
  it('calls beyond cap + queue fail fast as `overloaded` without reaching the upstream', async () => {
    const sandbox = await startSandbox({ port: 0, sizes: { publicFiles: 50, users: 20 }, latency: { ms: 100, jitterMs: 0 } });
    const dispatcher = new Agent();
    const http = new OpenHumansHttp({
      baseUrl: sandbox.url,
      dispatcher,
      headersTimeoutMs: 5_000,
      bodyTimeoutMs: 5_000,
      resilience: new Resilience({
        retry: { maxAttempts: 1, baseDelayMs: 0, maxDelayMs: 0 },
        breaker: { windowSize: 10, minimumCalls: 10, failureRatio: 1, openMs: 1_000 },
        concurrency: { max: 2, maxQueue: 1 },
      }),
    });
    try {
      const calls = Array.from({ length: 5 }, () =>
        http.request({ route: 'P10', method: 'GET', path: '/api/public/projects/' }).then(
          () => 'ok',
          (err: unknown) => (err instanceof UpstreamError ? err.kind : 'other'),
        ),
      );
      expect((await Promise.all(calls)).sort()).toEqual(['ok', 'ok', 'ok', 'overloaded', 'overloaded']);
      expect(sandbox.calls()).toEqual({ P10: 3 });
    } finally {
      await dispatcher.close();
      await sandbox.close();
    }
  });
});
