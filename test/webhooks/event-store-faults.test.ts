/**
 * The webhook acknowledges exactly what it keeps, with a real redis-server that hangs (SIGSTOP,
 * CLIENT PAUSE) or dies: a 503 means the event was not kept and never will be, GraphQL readers
 * get a coded UPSTREAM_UNAVAILABLE (not a masked error), and a retry is kept once.
 */
import { Redis } from 'ioredis';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { Sandbox } from '../../sandbox/index.js';
import { startSandbox } from '../../sandbox/index.js';
import type { DeauthorizationEvent } from '../../src/events/deauthorization-event.js';
import { EventStoreUnavailableError } from '../../src/events/redis-guard.js';
import { RedisDeauthorizationEventStore } from '../../src/events/redis-store.js';
import { signWebhookBody } from '../../src/webhooks/signature.js';
import { type RedisServer, redisAvailable, startRedis } from '../helpers/redis.js';
import { type Stack, startStack } from '../helpers/stack.js';
import { subscribeSse } from './sse.js';

const SECRET = 'fake-webhook-secret-faults';
const PATH = '/webhooks/openhumans/deauthorize';
const pyIso = (date: Date): string => date.toISOString().replace('Z', '000+00:00');
const body = (id: string): string =>
  `{"project_member_id": "${id}", "erasure_requested": true, "timestamp": "${pyIso(new Date(Date.now() - 2_000))}"}`;
const signed = (text: string) => ({
  'X-OpenHumans-Webhooks-Signature': signWebhookBody(SECRET, new TextEncoder().encode(text)),
});
const EVENTS = '{ deauthorizationEvents(first: 50) { edges { node { projectMemberId } } } }';

/** Polls until `probe` holds; the test timeout bounds it (no timing assertion). */
async function until(probe: () => Promise<boolean> | boolean): Promise<void> {
  while (!(await probe())) await new Promise((r) => setTimeout(r, 50));
}

describe.skipIf(!redisAvailable())('event store while Redis hangs or dies', () => {
  let redis: RedisServer;
  beforeAll(async () => {
    redis = await startRedis();
  });
  afterAll(async () => {
    await redis?.stop();
  });

  it('never keeps or publishes an append that Redis runs after the caller gave up (CLIENT PAUSE)', async () => {
    const store = new RedisDeauthorizationEventStore({
      url: redis.url,
      projectId: 7,
      keyPrefix: 'pause:',
      commandTimeoutMs: 300,
    });
    const watcher = new RedisDeauthorizationEventStore({
      url: redis.url,
      projectId: 7,
      keyPrefix: 'pause:',
    });
    const admin = new Redis(redis.url);
    try {
      const seen: string[] = [];
      await watcher.subscribe((e) => seen.push(e.projectMemberId));
      const event: DeauthorizationEvent = {
        projectId: 7,
        projectMemberId: '70000001',
        erasureRequested: true,
        timestamp: new Date(),
        receivedAt: new Date(),
      };
      // Reads (TIME) still run; the append script waits until the pause ends, past its deadline.
      await admin.call('CLIENT', 'PAUSE', '1500', 'WRITE');
      await expect(store.append(event)).rejects.toBeInstanceOf(EventStoreUnavailableError);
      await until(async () => (await admin.call('CLIENT', 'UNPAUSE')) === 'OK');
      // The paused script has run by now (PING is answered after it, on the same connection).
      await until(async () => {
        try {
          await store.listAfter(null, 1);
          return true;
        } catch {
          return false;
        }
      });
      expect(await admin.xlen('pause:deauthorization-events:7')).toBe(0);
      // The retry is kept, once, and published once.
      expect((await store.append(event)).duplicate).toBe(false);
      expect((await store.append(event)).duplicate).toBe(true);
      await until(() => seen.length >= 1);
      expect(seen).toEqual(['70000001']);
      expect(await admin.xlen('pause:deauthorization-events:7')).toBe(1);
    } finally {
      admin.disconnect();
      await Promise.all([store.close(), watcher.close()]);
    }
  });

  describe('through the gateway', () => {
    let sandbox: Sandbox;
    let stack: Stack;
    let base: string;
    beforeAll(async () => {
      sandbox = await startSandbox({ port: 0 });
      stack = await startStack({
        sandbox,
        env: {
          OPENHUMANS_PROJECT_ID: String(sandbox.projectId),
          OPENHUMANS_WEBHOOK_SECRET: SECRET,
          REDIS_URL: redis.url,
          DEAUTH_EVENTS_REDIS_TIMEOUT_MS: '300',
        },
      });
      base = await stack.listen();
    });
    afterAll(async () => {
      await stack?.close();
      await sandbox?.close();
    });

    const post = (text: string) =>
      fetch(`${base}${PATH}`, {
        method: 'POST',
        headers: { 'content-type': 'application/json', ...signed(text) },
        body: text,
      });
    const events = () =>
      stack.execute<{ deauthorizationEvents: { edges: { node: { projectMemberId: string } }[] } }>(
        EVENTS,
        {},
        { token: sandbox.masterToken },
      );
    const healthy = async () => (await events()).errors === undefined;

    it('hung (SIGSTOP): 503, coded errors for readers and new subscribers; after SIGCONT nothing appears, and the retry is kept once', async () => {
      await until(healthy);
      const live = await subscribeSse<{ memberDeauthorized: { projectMemberId: string } }>(
        base,
        'subscription { memberDeauthorized { projectMemberId } }',
        {},
        sandbox.masterToken,
      );
      try {
        const text = body('71000001');
        redis.signal('SIGSTOP');
        try {
          const statuses = [
            (await post(text)).status,
            (await post(text)).status,
            (await post(text)).status,
          ];
          expect(statuses).toEqual([503, 503, 503]);
          const read = await events();
          expect(read.errors?.[0]?.extensions).toMatchObject({
            code: 'UPSTREAM_UNAVAILABLE',
            service: 'event-store',
          });
          const sub = await subscribeSse(
            base,
            'subscription { memberDeauthorized { projectMemberId } }',
            {},
            sandbox.masterToken,
          );
          try {
            expect((await sub.next())?.errors?.[0]?.extensions).toMatchObject({
              code: 'UPSTREAM_UNAVAILABLE',
            });
          } finally {
            sub.close();
          }
        } finally {
          redis.signal('SIGCONT');
        }
        await until(healthy);
        expect((await events()).data?.deauthorizationEvents.edges).toEqual([]);
        // The sender retries: kept and delivered once; a second retry is acknowledged only.
        expect((await post(text)).status).toBe(200);
        expect((await post(text)).status).toBe(200);
        expect((await live.next())?.data?.memberDeauthorized.projectMemberId).toBe('71000001');
        const marker = body('71000002');
        expect((await post(marker)).status).toBe(200);
        expect((await live.next())?.data?.memberDeauthorized.projectMemberId).toBe('71000002');
        expect(
          (await events()).data?.deauthorizationEvents.edges.map((e) => e.node.projectMemberId),
        ).toEqual(['71000001', '71000002']);
      } finally {
        live.close();
      }
    });

    it('gone (killed): 503 and coded errors at once', async () => {
      await until(healthy);
      await redis.stop();
      const text = body('72000001');
      expect((await post(text)).status).toBe(503);
      const read = await events();
      expect(read.errors?.[0]?.extensions).toMatchObject({
        code: 'UPSTREAM_UNAVAILABLE',
        service: 'event-store',
      });
      expect(read.errors?.[0]?.message).toMatch(/event store/);
    });
  });
});
