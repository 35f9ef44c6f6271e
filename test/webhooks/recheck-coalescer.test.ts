import { describe, expect, it } from 'vitest';
import { loadConfig } from '../../src/config/index.js';
import { RecheckCoalescer } from '../../src/events/recheck-coalescer.js';

describe('re-checks shared between subscriptions of one token', () => {
  it('makes one call for concurrent checks, none while a pass is fresh, and forgets failures', async () => {
    let clock = 0;
    let calls = 0;
    let fail = false;
    const coalescer = new RecheckCoalescer({ freshMs: 15_000, now: () => clock });
    const check = async () => {
      calls += 1;
      await Promise.resolve();
      if (fail) throw new Error('refused');
    };
    await Promise.all([
      coalescer.run('token-a', check),
      coalescer.run('token-a', check),
      coalescer.run('token-a', check),
    ]);
    expect(calls).toBe(1);
    clock = 14_999;
    await coalescer.run('token-a', check);
    expect(calls).toBe(1);
    // Another token never shares a result.
    await coalescer.run('token-b', check);
    expect(calls).toBe(2);
    clock = 15_000;
    fail = true;
    const both = [coalescer.run('token-a', check), coalescer.run('token-a', check)];
    await expect(Promise.all(both)).rejects.toThrow('refused');
    expect(calls).toBe(3);
    // A failure is not remembered as a pass, nor as a failure: the next check asks again.
    await expect(coalescer.run('token-a', check)).rejects.toThrow('refused');
    expect(calls).toBe(4);
  });

  it('stays bounded', async () => {
    const coalescer = new RecheckCoalescer({ freshMs: 60_000, max: 3 });
    let calls = 0;
    const check = async () => {
      calls += 1;
    };
    for (const key of ['a', 'b', 'c', 'd', 'a']) await coalescer.run(key, check);
    // 'a' was evicted by 'd' (max 3), so it is checked again.
    expect(calls).toBe(5);
  });
});

describe('webhook and event settings', () => {
  it('has safe defaults', () => {
    expect(loadConfig({}).deauthorization).toEqual({
      webhookPath: '/webhooks/openhumans/deauthorize',
      eventCapacity: 10_000,
      allowUnsigned: false,
      timestampToleranceMs: 900_000,
      redisTimeoutMs: 500,
      subscriptionRecheckMs: 30_000,
    });
  });

  it('parses and bounds every variable, naming each bad one', () => {
    const config = loadConfig({
      OPENHUMANS_WEBHOOK_ALLOW_UNSIGNED: 'true',
      DEAUTH_WEBHOOK_TOLERANCE_SECONDS: '120',
      DEAUTH_EVENTS_REDIS_TIMEOUT_MS: '250',
      SUBSCRIPTION_RECHECK_SECONDS: '5',
    });
    expect(config.deauthorization).toMatchObject({
      allowUnsigned: true,
      timestampToleranceMs: 120_000,
      redisTimeoutMs: 250,
      subscriptionRecheckMs: 5_000,
    });
    const bad = {
      OPENHUMANS_WEBHOOK_ALLOW_UNSIGNED: 'yes please',
      DEAUTH_WEBHOOK_TOLERANCE_SECONDS: '5',
      DEAUTH_EVENTS_REDIS_TIMEOUT_MS: '0',
      SUBSCRIPTION_RECHECK_SECONDS: '0',
    };
    expect(() => loadConfig(bad)).toThrow(
      /OPENHUMANS_WEBHOOK_ALLOW_UNSIGNED[\s\S]*DEAUTH_WEBHOOK_TOLERANCE_SECONDS[\s\S]*DEAUTH_EVENTS_REDIS_TIMEOUT_MS[\s\S]*SUBSCRIPTION_RECHECK_SECONDS/,
    );
  });
});
