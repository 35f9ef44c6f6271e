import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { Sandbox } from '../../sandbox/index.js';
import { signWebhookBody } from '../../src/webhooks/signature.js';
import { redisAvailable } from '../helpers/redis.js';
import type { Stack } from '../helpers/stack.js';
import { startTwoInstances, type TwoInstances } from '../helpers/two-instances.js';
import { subscribeSse } from './sse.js';

const SECRET = 'fake-webhook-secret-0123';
const PATH = '/webhooks/openhumans/deauthorize';

describe.skipIf(!redisAvailable())(
  'deauthorization events shared through Redis by two gateway instances',
  () => {
    let instances: TwoInstances;
    let sandbox: Sandbox;
    let a: Stack;
    let b: Stack;

    beforeAll(async () => {
      instances = await startTwoInstances({ OPENHUMANS_WEBHOOK_SECRET: SECRET });
      ({ sandbox, a, b } = instances);
    });
    afterAll(() => instances?.close());

    it('delivers an event received by one instance to a subscriber on the other, and both keep it', async () => {
      const [baseA, baseB] = await Promise.all([a.listen(), b.listen()]);
      const sub = await subscribeSse<{
        memberDeauthorized: { projectMemberId: string; erasureRequested: boolean; cursor: string };
      }>(
        baseB,
        'subscription { memberDeauthorized { projectMemberId erasureRequested cursor } }',
        {},
        sandbox.masterToken,
      );
      try {
        expect(sub.status).toBe(200);
        const timestamp = new Date(Date.now() - 1_000).toISOString().replace('Z', '000+00:00');
        const text = `{"project_member_id": "61234567", "erasure_requested": true, "timestamp": "${timestamp}"}`;
        const res = await fetch(`${baseA}${PATH}`, {
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
        const got = await sub.next();
        expect(got?.data?.memberDeauthorized).toMatchObject({
          projectMemberId: '61234567',
          erasureRequested: true,
        });

        // A late consumer asking either instance finds the same event at the same position.
        for (const stack of [a, b]) {
          const page = await stack.execute<{
            deauthorizationEvents: {
              edges: { cursor: string; node: { projectMemberId: string } }[];
            };
          }>(
            '{ deauthorizationEvents(first: 10) { edges { cursor node { projectMemberId } } } }',
            {},
            { token: sandbox.masterToken },
          );
          expect(page.errors).toBeUndefined();
          expect(page.data?.deauthorizationEvents.edges).toEqual([
            { cursor: got?.data?.memberDeauthorized.cursor, node: { projectMemberId: '61234567' } },
          ]);
        }
      } finally {
        sub.close();
      }
    });
  },
);
