/**
 * The circuit breaker: opens on a failing upstream, then answers UPSTREAM_UNAVAILABLE without
 * calling it (sandbox counters stay at zero), lets one probe through after the open period and
 * closes when it succeeds, or opens again when it fails. The breakers run on a test clock: the
 * open period passes when the test moves the clock, not by waiting.
 */
import { afterAll, beforeAll, beforeEach, describe, expect, it } from 'vitest';
import { CircuitBreaker } from '../../src/datasources/resilience/breaker.js';
import { codes, type ResilientStack, startResilientStack } from './support.js';

// Long on purpose: only the test clock ends it, so a slow machine cannot half-open it early.
const OPEN_MS = 60_000;
let clock = 0;
let stack: ResilientStack;

beforeAll(async () => {
  stack = await startResilientStack({
    env: {
      UPSTREAM_RETRY_MAX_ATTEMPTS: '1',
      UPSTREAM_BREAKER_WINDOW: '4',
      UPSTREAM_BREAKER_MIN_CALLS: '4',
      UPSTREAM_BREAKER_FAILURE_PERCENT: '75',
      UPSTREAM_BREAKER_OPEN_MS: String(OPEN_MS),
      PUBLIC_CACHE_MAX_ENTRIES: '0',
    },
    breakerNow: () => clock,
  });
});
afterAll(async () => {
  await stack?.close();
});
beforeEach(() => {
  stack.sandbox.clearFaults();
  stack.sandbox.resetCalls();
});

const PROJECTS = '{ projects(first: 1) { totalCount } }';
/** Moves the breakers' clock to the end of the open period. */
const endOpenPeriod = (): void => {
  clock += OPEN_MS;
};

async function openBreaker(): Promise<void> {
  stack.sandbox.setFaults({ rules: [{ route: '*', kind: 'status', status: 503 }] });
  for (let i = 0; i < 4; i += 1)
    expect(codes(await stack.execute(PROJECTS))).toEqual(['UPSTREAM_UNAVAILABLE']);
  expect(stack.http.resilience.breakerStates().public).toBe('open');
}

describe('circuit breaker', () => {
  it('opens, fails fast without calling the upstream, then recovers through a probe', async () => {
    await openBreaker();
    stack.sandbox.resetCalls();
    stack.sandbox.clearFaults();
    const fast = await stack.execute(PROJECTS);
    expect(codes(fast)).toEqual(['UPSTREAM_UNAVAILABLE']);
    expect(fast.errors?.[0]?.message).toMatch(/pauses calls/);
    expect(stack.sandbox.calls()).toEqual({});
    // Other route classes have their own breaker.
    expect(stack.http.resilience.breakerStates()['direct-sharing']).toBeUndefined();

    endOpenPeriod();
    const probe = await stack.execute(PROJECTS);
    expect(probe.errors).toBeUndefined();
    expect(stack.sandbox.calls()).toEqual({ P10: 1 });
    expect(stack.http.resilience.breakerStates().public).toBe('closed');
    expect(stack.breakerChanges.slice(-3).map((c) => c.state)).toEqual([
      'open',
      'half_open',
      'closed',
    ]);
  });

  it('a failed probe opens it again', async () => {
    await openBreaker();
    endOpenPeriod();
    stack.sandbox.resetCalls();
    expect(codes(await stack.execute(PROJECTS))).toEqual(['UPSTREAM_UNAVAILABLE']);
    expect(stack.sandbox.calls()).toEqual({ P10: 1 });
    expect(stack.http.resilience.breakerStates().public).toBe('open');
    expect(codes(await stack.execute(PROJECTS))).toEqual(['UPSTREAM_UNAVAILABLE']);
    expect(stack.sandbox.calls()).toEqual({ P10: 1 });
    stack.sandbox.clearFaults();
    endOpenPeriod();
    expect((await stack.execute(PROJECTS)).errors).toBeUndefined();
  });
});

describe('CircuitBreaker (clock-driven)', () => {
  const options = { windowSize: 10, minimumCalls: 5, failureRatio: 0.5, openMs: 1_000 };

  it('needs the minimum of calls, then opens at the failure share', () => {
    const b = new CircuitBreaker('x', options, undefined, () => 0);
    for (let i = 0; i < 4; i += 1) b.record('failure');
    expect(b.current).toBe('closed'); // 4 calls < minimumCalls
    const fresh = new CircuitBreaker('y', options, undefined, () => 0);
    for (const outcome of ['failure', 'failure', 'success', 'success', 'success'] as const)
      fresh.record(outcome);
    expect(fresh.current).toBe('closed'); // 2 of 5 failed
    fresh.record('failure');
    expect(fresh.current).toBe('open'); // 3 of 6
  });

  it('lets exactly one probe through when half-open; neutral outcomes free the slot', () => {
    let now = 0;
    const b = new CircuitBreaker('x', options, undefined, () => now);
    for (let i = 0; i < 5; i += 1) b.record('failure');
    expect(b.current).toBe('open');
    expect(b.tryAcquire()).toBe(false);
    now = 1_000;
    expect(b.tryAcquire()).toBe(true);
    expect(b.current).toBe('half_open');
    expect(b.tryAcquire()).toBe(false);
    b.record('neutral');
    expect(b.tryAcquire()).toBe(true);
    b.record('success');
    expect(b.current).toBe('closed');
  });

  it('neutral outcomes never count', () => {
    const b = new CircuitBreaker('x', options, undefined, () => 0);
    for (let i = 0; i < 50; i += 1) b.record('neutral');
    expect(b.current).toBe('closed');
  });
});
