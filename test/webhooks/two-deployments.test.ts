/**
 * Two deployments (two sandboxes = two Open Humans projects, two webhook secrets) and two
 * instances of the first, all on ONE redis-server: each deployment keeps, lists and delivers only
 * its own project's events, dedupes only its own, and instances of one deployment share theirs.
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { Sandbox } from '../../sandbox/index.js';
import { startSandbox } from '../../sandbox/index.js';
import { configureOAuthApp, memberLeaves } from '../../sandbox/routes/direct-sharing-controls.js';
import { signWebhookBody } from '../../src/webhooks/signature.js';
import { type RedisServer, redisAvailable, startRedis } from '../helpers/redis.js';
import { type Stack, startStack } from '../helpers/stack.js';
import { type SseSubscription, subscribeSse } from './sse.js';

const PATH = '/webhooks/openhumans/deauthorize';
const SECRET_A = 'fake-webhook-secret-deploy-a';
const SECRET_B = 'fake-webhook-secret-deploy-b';
const EVENTS = '{ deauthorizationEvents(first: 100) { edges { node { projectMemberId } } } }';

type Deauthorized = { memberDeauthorized: { projectMemberId: string } };

describe.skipIf(!redisAvailable())('two deployments sharing one Redis', () => {
  let redis: RedisServer;
  let sandboxA: Sandbox;
  let sandboxB: Sandbox;
  let a1: Stack;
  let a2: Stack;
  let b1: Stack;
  const bases: Record<string, string> = {};

  beforeAll(async () => {
    redis = await startRedis();
    // Same seed: the two projects have the same member ids, so only the project tells them apart.
    sandboxA = await startSandbox({ port: 0, sizes: { publicFiles: 300 } });
    sandboxB = await startSandbox({ port: 0, sizes: { publicFiles: 300, projects: 30 } });
    expect(sandboxA.projectId).not.toBe(sandboxB.projectId);
    const env = (sandbox: Sandbox, secret: string) => ({
      OPENHUMANS_PROJECT_ID: String(sandbox.projectId),
      OPENHUMANS_WEBHOOK_SECRET: secret,
      REDIS_URL: redis.url,
    });
    a1 = await startStack({ sandbox: sandboxA, env: env(sandboxA, SECRET_A) });
    a2 = await startStack({ sandbox: sandboxA, env: env(sandboxA, SECRET_A) });
    b1 = await startStack({ sandbox: sandboxB, env: env(sandboxB, SECRET_B) });
    [bases.a1, bases.a2, bases.b1] = await Promise.all([a1.listen(), a2.listen(), b1.listen()]);
    configureOAuthApp(sandboxA.state, {
      webhookUrl: `${bases.a1}${PATH}`,
      webhookSecret: SECRET_A,
    });
    configureOAuthApp(sandboxB.state, {
      webhookUrl: `${bases.b1}${PATH}`,
      webhookSecret: SECRET_B,
    });
  });
  afterAll(async () => {
    await Promise.all([a1?.close(), a2?.close(), b1?.close()]);
    await Promise.all([sandboxA?.close(), sandboxB?.close()]);
    await redis?.stop();
  });

  const kept = async (stack: Stack, token: string) => {
    const res = await stack.execute<{
      deauthorizationEvents: { edges: { node: { projectMemberId: string } }[] };
    }>(EVENTS, {}, { token });
    expect(res.errors).toBeUndefined();
    return res.data?.deauthorizationEvents.edges.map((e) => e.node.projectMemberId) ?? [];
  };
  const subscribe = (base: string, token: string): Promise<SseSubscription<Deauthorized>> =>
    subscribeSse<Deauthorized>(
      base,
      'subscription { memberDeauthorized { projectMemberId } }',
      {},
      token,
    );

  it("delivers each project's deauthorizations to its own deployment only", async () => {
    const [pmiA, pmiB] = [
      Object.keys(sandboxA.memberTokens).sort()[0] ?? '',
      Object.keys(sandboxB.memberTokens).sort()[1] ?? '',
    ];
    const subA = await subscribe(bases.a2 ?? '', sandboxA.masterToken);
    const subB = await subscribe(bases.b1 ?? '', sandboxB.masterToken);
    try {
      // B's member leaves on B's Open Humans: B's webhook, signed with B's secret.
      expect(
        (await memberLeaves(sandboxB.state, pmiB, { erasureRequested: true })).map((d) => d.status),
      ).toEqual([200]);
      expect((await subB.next())?.data?.memberDeauthorized.projectMemberId).toBe(pmiB);
      // Then A's: A's subscriber (on the other instance of A) gets A's event first, not B's.
      expect((await memberLeaves(sandboxA.state, pmiA)).map((d) => d.status)).toEqual([200]);
      expect((await subA.next())?.data?.memberDeauthorized.projectMemberId).toBe(pmiA);

      expect(await kept(a1, sandboxA.masterToken)).toEqual([pmiA]);
      expect(await kept(a2, sandboxA.masterToken)).toEqual([pmiA]);
      expect(await kept(b1, sandboxB.masterToken)).toEqual([pmiB]);
      // B's master token means nothing to A's Open Humans: it reads nothing there.
      const cross = await a1.execute(EVENTS, {}, { token: sandboxB.masterToken });
      expect(cross.errors?.[0]?.extensions?.code).toBe('UNAUTHENTICATED');
    } finally {
      subA.close();
      subB.close();
    }
  });

  it('deduplicates within a deployment, never across: the same call to both is kept by both', async () => {
    const text = `{"project_member_id": "88000001", "erasure_requested": true, "timestamp": "${new Date().toISOString().replace('Z', '000+00:00')}"}`;
    const post = (base: string, secret: string) =>
      fetch(`${base}${PATH}`, {
        method: 'POST',
        headers: {
          'content-type': 'application/json',
          'X-OpenHumans-Webhooks-Signature': signWebhookBody(
            secret,
            new TextEncoder().encode(text),
          ),
        },
        body: text,
      });
    expect((await post(bases.a1 ?? '', SECRET_A)).status).toBe(200);
    expect((await post(bases.b1 ?? '', SECRET_B)).status).toBe(200);
    // A replay through A's other instance is recognised: shared by A's instances.
    expect((await post(bases.a2 ?? '', SECRET_A)).status).toBe(200);
    // B's secret does not sign for A.
    expect((await post(bases.a1 ?? '', SECRET_B)).status).toBe(403);
    expect((await kept(a2, sandboxA.masterToken)).filter((id) => id === '88000001')).toEqual([
      '88000001',
    ]);
    expect((await kept(b1, sandboxB.masterToken)).filter((id) => id === '88000001')).toEqual([
      '88000001',
    ]);
  });
});
