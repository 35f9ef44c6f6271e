/** The breaker around Redis, on an injected clock (no Redis needed). */
import { describe, expect, it } from 'vitest';
import type { RedisHealth } from '../../src/redis/breaker.js';
import { RedisBreaker } from '../../src/redis/breaker.js';

function setUp(probeAnswers: boolean[]) {
  let now = 1_000;
  const changes: RedisHealth[] = [];
  let probes = 0;
  const breaker = new RedisBreaker({
    openMs: 500,
    minFailureSpanMs: 100,
    now: () => now,
    probe: async () => {
      probes += 1;
      if (!(probeAnswers.shift() ?? true)) throw new Error('timeout');
    },
    onChange: (h) => changes.push(h),
  });
  return { breaker, changes, advance: (ms: number) => (now += ms), probes: () => probes };
}

const settle = (): Promise<void> => new Promise((resolve) => setImmediate(resolve));

describe('RedisBreaker', () => {
  it('a burst of failures at one instant (an event-loop stall) does not open it; lasting failures do', () => {
    const { breaker, changes, advance } = setUp([]);
    for (let i = 0; i < 10; i += 1) breaker.failure();
    expect(breaker.health).toBe('up');
    breaker.success();
    breaker.failure();
    advance(60);
    breaker.failure();
    advance(60);
    breaker.failure();
    expect(breaker.health).toBe('down');
    expect(changes).toEqual(['down']);
    expect(breaker.allow()).toBe(false);
    breaker.stop();
  });

  it('while open nothing is let through; after openMs one probe decides, once per change', async () => {
    const { breaker, changes, advance, probes } = setUp([false, true]);
    breaker.trip();
    expect(breaker.allow()).toBe(false);
    advance(500);
    expect(breaker.allow()).toBe(false); // starts the probe, which fails
    await settle();
    expect(breaker.health).toBe('down');
    advance(499);
    expect(breaker.allow()).toBe(false);
    expect(probes()).toBe(1);
    advance(1);
    breaker.allow(); // second probe, which succeeds
    await settle();
    expect(breaker.health).toBe('up');
    expect(breaker.allow()).toBe(true);
    expect(changes).toEqual(['down', 'up']);
    breaker.stop();
  });
});
