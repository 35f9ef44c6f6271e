/**
 * A call's slot of the upstream budget is held while Open Humans works on it, not while we parse
 * its answer: released as soon as the answer's bytes are in. And a call carrying the request's
 * own signal listens on the request deadline's signal alone (no per-call combined signal).
 */

import { Agent } from 'undici';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { Sandbox } from '../../sandbox/index.js';
import { startSandbox } from '../../sandbox/index.js';
import { OpenHumansHttp, UpstreamError } from '../../src/datasources/open-humans-http.js';
import { ConcurrencyLimiter } from '../../src/datasources/resilience/concurrency.js';
import type { ResilienceOptions } from '../../src/datasources/resilience/index.js';
import { Deadline, Resilience, withDeadline } from '../../src/datasources/resilience/index.js';

const options = (max: number): ResilienceOptions => ({
  retry: { maxAttempts: 1, baseDelayMs: 0, maxDelayMs: 0 },
  breaker: { windowSize: 10, minimumCalls: 10, failureRatio: 1, openMs: 1_000 },
  concurrency: { max },
});

const fail = (): UpstreamError =>
  new UpstreamError('overloaded', { route: 'P10', method: 'GET', url: '/', hadToken: false });

describe('Resilience.run: the early release', () => {
  it('gives the slot to the next call while the first is still being finished', async () => {
    const resilience = new Resilience(options(1));
    let finish = (): void => {};
    const finishing = new Promise<void>((resolve) => {
      finish = resolve;
    });
    const order: string[] = [];
    const first = resilience.run(
      { route: 'P10', method: 'GET' },
      async (_signal, release) => {
        order.push('first sent');
        release();
        // Parsing, promise hops: no slot needed any more.
        await finishing;
        order.push('first finished');
        return 1;
      },
      fail,
    );
    const second = resilience.run(
      { route: 'P10', method: 'GET' },
      async () => {
        order.push('second sent');
        return 2;
      },
      fail,
    );
    expect(await second).toBe(2);
    expect(resilience.limiter.inFlight).toBe(0);
    finish();
    expect(await first).toBe(1);
    expect(order).toEqual(['first sent', 'second sent', 'first finished']);
    expect(resilience.limiter.inFlight).toBe(0);
  });

  it('without an early release the slot is held until the attempt settles', async () => {
    const resilience = new Resilience(options(1));
    let finish = (): void => {};
    const finishing = new Promise<void>((resolve) => {
      finish = resolve;
    });
    const order: string[] = [];
    const first = resilience.run(
      { route: 'P10', method: 'GET' },
      async () => {
        await finishing;
        order.push('first finished');
        return 1;
      },
      fail,
    );
    const second = resilience.run(
      { route: 'P10', method: 'GET' },
      async () => {
        order.push('second sent');
        return 2;
      },
      fail,
    );
    await new Promise((resolve) => setImmediate(resolve));
    expect(resilience.limiter.queued).toBe(1);
    finish();
    await Promise.all([first, second]);
    expect(order).toEqual(['first finished', 'second sent']);
  });

  it("a call carrying the request's signal listens on its deadline's signal alone", async () => {
    const resilience = new Resilience(options(4));
    const client = new AbortController();
    const deadline = Deadline.after(60_000, client.signal);
    const foreign = new AbortController();
    try {
      const seen = await withDeadline(deadline, () =>
        Promise.all([
          resilience.run(
            { route: 'P10', method: 'GET', signal: client.signal },
            async (s) => s,
            fail,
          ),
          resilience.run({ route: 'P10', method: 'GET' }, async (s) => s, fail),
          resilience.run(
            { route: 'P10', method: 'GET', signal: foreign.signal },
            async (s) => s,
            fail,
          ),
        ]),
      );
      expect(seen[0]).toBe(deadline.signal);
      expect(seen[1]).toBe(deadline.signal);
      // Another signal is still combined with the deadline: aborting it aborts the call's.
      expect(seen[2]).not.toBe(deadline.signal);
      expect(seen[2]?.aborted).toBe(false);
    } finally {
      deadline.end();
    }
  });
});

describe('through the HTTP layer', () => {
  let sandbox: Sandbox;
  let dispatcher: Agent;

  beforeAll(async () => {
    sandbox = await startSandbox({
      port: 0,
      sizes: { publicFiles: 20, users: 5 },
      latency: { ms: 20, jitterMs: 0 },
    });
    dispatcher = new Agent({ connections: 2 });
  });

  afterAll(async () => {
    await dispatcher?.close();
    await sandbox?.close();
  });

  it('the slot is free before the answer is parsed', async () => {
    const inFlightAtParse: number[] = [];
    let http: OpenHumansHttp | undefined;
    http = new OpenHumansHttp({
      baseUrl: sandbox.url,
      dispatcher,
      headersTimeoutMs: 5_000,
      bodyTimeoutMs: 5_000,
      resilience: new Resilience(options(2)),
      // Called from the parse step, once the answer is judged.
      onCall: () => inFlightAtParse.push(http?.resilience.limiter.inFlight ?? -1),
    });
    await http.request({ route: 'P10', method: 'GET', path: '/api/public/projects/' });
    await http.request({ route: 'P3', method: 'GET', path: '/api/public/datatypes/' });
    expect(inFlightAtParse).toEqual([0, 0]);
  });

  it('a failed answer still frees its slot and is still judged (status error)', async () => {
    const resilience = new Resilience(options(1));
    const http = new OpenHumansHttp({
      baseUrl: sandbox.url,
      dispatcher,
      headersTimeoutMs: 5_000,
      bodyTimeoutMs: 5_000,
      resilience,
    });
    const err = await http
      .request({ route: 'P2', method: 'GET', path: '/api/public/datafile/999999999/' })
      .catch((e: unknown) => e);
    expect(err).toBeInstanceOf(UpstreamError);
    expect((err as UpstreamError).status).toBe(404);
    expect(resilience.limiter.inFlight).toBe(0);
  });

  it("the sandbox reports its calls' mean time, the injected latency included", async () => {
    const http = new OpenHumansHttp({
      baseUrl: sandbox.url,
      dispatcher,
      headersTimeoutMs: 5_000,
      bodyTimeoutMs: 5_000,
    });
    sandbox.resetCalls();
    for (let i = 0; i < 3; i += 1)
      await http.request({ route: 'P10', method: 'GET', path: '/api/public/projects/' });
    const { answeredCalls, answeredMs } = sandbox.concurrency();
    expect(answeredCalls).toBe(3);
    expect(answeredMs / answeredCalls).toBeGreaterThanOrEqual(19);
    sandbox.resetCalls();
    expect(sandbox.concurrency()).toMatchObject({ answeredCalls: 0, answeredMs: 0 });
  });
});

describe('ConcurrencyLimiter.tryAcquire (the fast path without a promise)', () => {
  it('grants at once only while a slot is free and the owner is under its cap, else null', async () => {
    const limiter = new ConcurrencyLimiter(2);
    const capped = { maxInFlight: 1 };
    const first = limiter.tryAcquire(capped);
    expect(first).not.toBeNull();
    expect(limiter.tryAcquire(capped)).toBeNull();
    const waiting = limiter.acquire(capped);
    const other = { maxInFlight: 5 };
    const second = limiter.tryAcquire(other);
    expect(second).not.toBeNull();
    expect(limiter.tryAcquire(other)).toBeNull();
    expect(limiter.inFlight).toBe(2);
    first?.();
    (await waiting)();
    second?.();
    expect(limiter.inFlight).toBe(0);
    expect(limiter.queued).toBe(0);
  });
});
