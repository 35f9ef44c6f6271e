import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { Sandbox } from '../../sandbox/index.js';
import { startSandbox } from '../../sandbox/index.js';
import {
  configureOAuthApp,
  memberLeaves,
  webhookDeliveries,
} from '../../sandbox/routes/direct-sharing-controls.js';
import { type Stack, startStack } from '../helpers/stack.js';
import { type SseSubscription, subscribeSse } from './sse.js';

const SECRET = 'fake-webhook-secret-abcdef';
const PATH = '/webhooks/openhumans/deauthorize';

interface Deauthorized {
  memberDeauthorized: {
    projectMemberId: string;
    erasureRequested: boolean;
    timestamp: string;
    cursor: string;
  };
}

/** End to end over HTTP: the sandbox (Open Humans) calls the listening gateway's webhook. */
describe('deauthorization from the sandbox to a subscriber', () => {
  let sandbox: Sandbox;
  let stack: Stack;
  let base: string;

  beforeAll(async () => {
    sandbox = await startSandbox({ port: 0 });
    stack = await startStack({
      sandbox,
      env: { OPENHUMANS_PROJECT_ID: String(sandbox.projectId), OPENHUMANS_WEBHOOK_SECRET: SECRET },
    });
    base = await stack.listen();
    configureOAuthApp(sandbox.state, { webhookUrl: `${base}${PATH}`, webhookSecret: SECRET });
  });
  afterAll(async () => {
    await stack?.close();
    await sandbox?.close();
  });

  const subscribe = (): Promise<SseSubscription<Deauthorized>> =>
    subscribeSse<Deauthorized>(
      base,
      'subscription { memberDeauthorized { projectMemberId erasureRequested timestamp cursor } }',
      {},
      sandbox.masterToken,
    );

  it('remove-members fires a signed webhook that reaches a subscriber, and a late consumer still finds it', async () => {
    const [pmi] = Object.keys(sandbox.memberTokens).sort();
    const sub = await subscribe();
    try {
      const removed = await fetch(`${sandbox.url}/api/direct-sharing/project/remove-members/`, {
        method: 'POST',
        headers: {
          authorization: `Bearer ${sandbox.masterToken}`,
          'content-type': 'application/x-www-form-urlencoded',
        },
        body: new URLSearchParams({ project_member_ids: pmi ?? '' }),
      });
      expect(removed.status).toBe(200);
      const got = (await sub.next())?.data?.memberDeauthorized;
      expect(got).toMatchObject({ projectMemberId: pmi, erasureRequested: false });

      const deliveries = webhookDeliveries(sandbox.state);
      expect(deliveries.map((d) => [d.attempt, d.status])).toEqual([['signed', 200]]);
      expect(Object.keys(deliveries[0]?.headers ?? {})).toContain(
        'X-OpenHumans-Webhooks-Signature',
      );

      const late = await stack.execute<{
        deauthorizationEvents: { edges: { cursor: string; node: { projectMemberId: string } }[] };
      }>(
        '{ deauthorizationEvents(first: 50) { edges { cursor node { projectMemberId } } } }',
        {},
        { token: sandbox.masterToken },
      );
      expect(late.data?.deauthorizationEvents.edges).toEqual([
        { cursor: got?.cursor, node: { projectMemberId: pmi } },
      ]);
    } finally {
      sub.close();
    }
  });

  it('carries erasure requests from a member who leaves', async () => {
    const pmi = Object.keys(sandbox.memberTokens).sort()[1] ?? '';
    const sub = await subscribe();
    try {
      const before = Date.now();
      await memberLeaves(sandbox.state, pmi, { erasureRequested: true });
      const got = (await sub.next())?.data?.memberDeauthorized;
      expect(got).toMatchObject({ projectMemberId: pmi, erasureRequested: true });
      expect(new Date(got?.timestamp ?? 0).getTime()).toBeGreaterThanOrEqual(before - 1_000);
    } finally {
      sub.close();
    }
  });

  it('refuses calls signed with another secret, including the unsigned legacy retry', async () => {
    const pmi = Object.keys(sandbox.memberTokens).sort()[2] ?? '';
    configureOAuthApp(sandbox.state, { webhookSecret: 'another-fake-secret-xyz' });
    try {
      const count = webhookDeliveries(sandbox.state).length;
      await memberLeaves(sandbox.state, pmi);
      const attempts = webhookDeliveries(sandbox.state).slice(count);
      expect(attempts.map((d) => [d.attempt, d.status])).toEqual([
        ['signed', 403],
        ['fallback', 403],
      ]);
      const events = await stack.execute<{
        deauthorizationEvents: { edges: { node: { projectMemberId: string } }[] };
      }>(
        '{ deauthorizationEvents(first: 50) { edges { node { projectMemberId } } } }',
        {},
        { token: sandbox.masterToken },
      );
      expect(
        events.data?.deauthorizationEvents.edges.map((e) => e.node.projectMemberId),
      ).not.toContain(pmi);
    } finally {
      configureOAuthApp(sandbox.state, { webhookSecret: SECRET });
    }
  });
});
