/**
 * Live subscriptions re-prove their token: on an interval (driven by hand here, or 1 s over real
 * HTTP) and at once on a deauthorization event for the subscribing member; they end with a coded
 * error once Open Humans no longer accepts the token, and outlive upstream hiccups.
 */
import { randomBytes } from 'node:crypto';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { Sandbox } from '../../sandbox/index.js';
import { startSandbox } from '../../sandbox/index.js';
import { memberLeaves } from '../../sandbox/routes/direct-sharing-controls.js';
import { DirectSharingApi } from '../../src/datasources/direct-sharing-api.js';
import type { GatewayError } from '../../src/errors.js';
import { type WatchTimers, watchCredentials } from '../../src/events/credential-watch.js';
import { MemoryDeauthorizationEventStore } from '../../src/events/memory-store.js';
import { type Stack, startStack } from '../helpers/stack.js';
import { subscribeSse } from './sse.js';

/** Timers the test fires by hand: no waiting, no timing assertion. */
function manualTimers(): WatchTimers & { fire(): void; active: number } {
  const callbacks = new Map<number, () => void>();
  let next = 0;
  return {
    setInterval: (fn) => {
      callbacks.set(++next, fn);
      return next;
    },
    clearInterval: (handle) => {
      callbacks.delete(handle as number);
    },
    fire: () => {
      for (const fn of callbacks.values()) fn();
    },
    get active() {
      return callbacks.size;
    },
  };
}

let sandbox: Sandbox;
let stack: Stack;
beforeAll(async () => {
  sandbox = await startSandbox({ port: 0, sizes: { publicFiles: 300 } });
  stack = await startStack({
    sandbox,
    env: { OPENHUMANS_PROJECT_ID: String(sandbox.projectId), SUBSCRIPTION_RECHECK_SECONDS: '1' },
  });
});
afterAll(async () => {
  await stack?.close();
  await sandbox?.close();
});

describe('credential watch', () => {
  const projectInfoWith = (token: string) => (signal: AbortSignal) =>
    new DirectSharingApi({ http: stack.http, token, signal }).projectInfo().then(() => undefined);

  it('re-checks on each tick, lives through upstream failures, and ends once the token is refused', async () => {
    const [pmi, token] = Object.entries(sandbox.memberTokens).sort()[3] ?? ['', ''];
    const timers = manualTimers();
    const revoked: GatewayError[] = [];
    const hiccups: unknown[] = [];
    const calls = () => stack.upstreamCalls.filter((c) => c.route === 'D1').length;
    const watch = await watchCredentials((err) => revoked.push(err), {
      check: projectInfoWith(token),
      intervalMs: 30_000,
      timers,
      onCheckError: (err) => hiccups.push(err),
    });
    const before = calls();
    await watch.checkNow();
    expect(calls()).toBe(before + 1);
    expect(revoked).toEqual([]);

    sandbox.setFaults({ rules: [{ route: 'D1', kind: 'status', status: 503 }] });
    try {
      await watch.checkNow();
    } finally {
      sandbox.clearFaults();
    }
    expect(hiccups.length).toBe(1);
    expect(revoked).toEqual([]);

    await memberLeaves(sandbox.state, pmi);
    timers.fire();
    await watch.checkNow();
    expect(revoked.map((e) => [e.extensions.code, e.extensions.reason])).toEqual([
      ['UNAUTHENTICATED', 'TOKEN_INVALID'],
    ]);
    expect(timers.active).toBe(0);
  });

  it("re-checks at once when a deauthorization event names the subscriber's member", async () => {
    const [pmi, token] = Object.entries(sandbox.memberTokens).sort()[4] ?? ['', ''];
    const store = new MemoryDeauthorizationEventStore({ projectId: sandbox.projectId });
    const timers = manualTimers();
    let checks = 0;
    let ended: GatewayError | null = null;
    let settled: () => void = () => {};
    const done = new Promise<void>((resolve) => (settled = resolve));
    await watchCredentials(
      (err) => {
        ended = err;
        settled();
      },
      {
        check: async (signal) => {
          checks += 1;
          await projectInfoWith(token)(signal);
        },
        intervalMs: 3_600_000,
        timers,
        member: { store, projectMemberId: pmi },
      },
    );
    const event = (projectMemberId: string) => ({
      projectId: sandbox.projectId,
      projectMemberId,
      erasureRequested: false,
      timestamp: new Date(),
      receivedAt: new Date(),
    });
    // Another member's event: no check.
    await store.append(event('99999999'));
    expect(checks).toBe(0);
    await memberLeaves(sandbox.state, pmi);
    await store.append(event(pmi));
    await done;
    expect(checks).toBe(1);
    expect(ended).toMatchObject({ extensions: { code: 'UNAUTHENTICATED' } });
    await store.close();
  });
});

describe('memberDeauthorized over HTTP', () => {
  it('ends with UNAUTHENTICATED once the project resets its master token', async () => {
    const base = await stack.listen();
    const project = sandbox.state.store.project(sandbox.projectId);
    const oldToken = sandbox.masterToken;
    const sub = await subscribeSse<{ memberDeauthorized: { projectMemberId: string } }>(
      base,
      'subscription { memberDeauthorized { projectMemberId } }',
      {},
      oldToken,
    );
    try {
      expect(sub.status).toBe(200);
      // The project coordinator resets the master token on Open Humans: the old one stops working.
      sandbox.state.store.setMasterToken(
        sandbox.projectId,
        randomBytes(32).toString('hex'),
        project?.masterTokenExpires ?? 0,
      );
      const last = await sub.next();
      expect(last?.data ?? null).toBeNull();
      expect(last?.errors?.[0]?.extensions).toMatchObject({
        code: 'UNAUTHENTICATED',
        reason: 'TOKEN_INVALID',
      });
      // And the stream completes: no further events for that token.
      expect(await sub.next()).toBeNull();
    } finally {
      sub.close();
      if (project)
        sandbox.state.store.setMasterToken(sandbox.projectId, oldToken, project.masterTokenExpires);
    }
  });

  it('goes on while the token holds (checks pass, events still arrive)', async () => {
    const base = await stack.listen();
    const sub = await subscribeSse<{ memberDeauthorized: { projectMemberId: string } }>(
      base,
      'subscription { memberDeauthorized { projectMemberId } }',
      {},
      sandbox.masterToken,
    );
    try {
      const d1 = () => stack.upstreamCalls.filter((c) => c.route === 'D1').length;
      const start = d1();
      // Wait for at least two re-checks (1 s apart), driven by the upstream call log.
      while (d1() < start + 2) await new Promise((r) => setTimeout(r, 100));
      const pmi = Object.keys(sandbox.memberTokens).sort()[6] ?? '';
      const text = `{"project_member_id": "${pmi}", "erasure_requested": false, "timestamp": "${new Date().toISOString().replace('Z', '000+00:00')}"}`;
      expect(
        (
          await stack.fetch('/webhooks/openhumans/deauthorize', {
            method: 'POST',
            headers: { 'content-type': 'application/json' },
            body: text,
          })
        ).status,
      ).toBe(200);
      expect((await sub.next())?.data?.memberDeauthorized.projectMemberId).toBe(pmi);
    } finally {
      sub.close();
    }
  });
});
