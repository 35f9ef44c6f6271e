/**
 * Two gateway instances sharing Redis: a webhook delivery received by instance A reaches a
 * WebSocket subscriber (graphql-ws client) and a graphql-sse subscriber on instance B.
 */
import { createClient as createSseClient } from 'graphql-sse';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { Sandbox } from '../../sandbox/index.js';
import { signWebhookBody } from '../../src/webhooks/signature.js';
import { redisAvailable } from '../helpers/redis.js';
import type { Stack } from '../helpers/stack.js';
import { startTwoInstances, type TwoInstances } from '../helpers/two-instances.js';
import { deliverUntil, listenWithWebSockets, type WsServer, wsClient } from './support.js';

const SECRET = 'fake-webhook-secret-0123';
const SUBSCRIPTION = 'subscription { memberDeauthorized { projectMemberId } }';
type Event = { memberDeauthorized: { projectMemberId: string } };

describe.skipIf(!redisAvailable())('subscriptions across two instances sharing Redis', () => {
  let instances: TwoInstances;
  let sandbox: Sandbox;
  let a: Stack;
  let bServer: WsServer;

  beforeAll(async () => {
    instances = await startTwoInstances({ OPENHUMANS_WEBHOOK_SECRET: SECRET });
    ({ sandbox, a } = instances);
    bServer = await listenWithWebSockets(instances.b);
  });
  afterAll(async () => {
    await bServer?.close();
    await instances?.close();
  });

  it('an event received by A reaches WebSocket and SSE subscribers on B', async () => {
    const ws = wsClient(bServer.wsUrl, { connectionParams: { token: sandbox.masterToken } });
    const sse = createSseClient({
      url: `${bServer.httpUrl}/graphql`,
      headers: { authorization: `Bearer ${sandbox.masterToken}` },
      retryAttempts: 0,
    });
    try {
      const overWs = ws.iterate<Event>({ query: SUBSCRIPTION })[Symbol.asyncIterator]();
      const overSse = sse.iterate<Event>({ query: SUBSCRIPTION })[Symbol.asyncIterator]();
      const [firstWs, firstSse] = [overWs.next(), overSse.next()];
      const deliver = async () => {
        const text = `{"project_member_id": "71234567", "erasure_requested": false, "timestamp": "${new Date(Date.now() - 1_000).toISOString().replace('Z', '000+00:00')}"}`;
        const res = await a.fetch('/webhooks/openhumans/deauthorize', {
          method: 'POST',
          headers: {
            'content-type': 'application/json',
            'X-OpenHumans-Webhooks-Signature': signWebhookBody(
              SECRET,
              new TextEncoder().encode(text),
            ),
          },
          body: text,
        });
        expect(res.status).toBe(200);
      };
      await deliverUntil(Promise.all([firstWs, firstSse]), deliver);
      const [gotWs, gotSse] = await Promise.all([firstWs, firstSse]);
      expect(gotWs.done ? null : gotWs.value.data?.memberDeauthorized.projectMemberId).toBe(
        '71234567',
      );
      expect(gotSse.done ? null : gotSse.value.data?.memberDeauthorized.projectMemberId).toBe(
        '71234567',
      );
      await Promise.all([overWs.return?.(), overSse.return?.()]);
    } finally {
      await ws.dispose();
      sse.dispose();
    }
  });
});
