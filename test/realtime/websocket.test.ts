/**
 * Subscriptions over WebSocket (graphql-transport-ws) with the real graphql-ws client, against
 * the gateway on a real listener and the sandbox: the three ways to authenticate, the same
 * credential re-checks as over SSE, the legacy subprotocol refused, and every bound enforced.
 */
import { randomBytes } from 'node:crypto';
import { SpanKind, trace } from '@opentelemetry/api';
import {
  BasicTracerProvider,
  InMemorySpanExporter,
  SimpleSpanProcessor,
} from '@opentelemetry/sdk-trace-base';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import WebSocket from 'ws';
import type { Sandbox } from '../../sandbox/index.js';
import { startSandbox } from '../../sandbox/index.js';
import { GatewayMetrics } from '../../src/observability/metrics.js';
import { type Stack, startStack } from '../helpers/stack.js';
import { collect, deliverUntil, listenWithWebSockets, type WsServer, wsClient } from './support.js';

const SUBSCRIPTION = 'subscription { memberDeauthorized { projectMemberId } }';
type Event = { memberDeauthorized: { projectMemberId: string } };

let sandbox: Sandbox;
let stack: Stack;
let ws: WsServer;
const metrics = new GatewayMetrics();
beforeAll(async () => {
  sandbox = await startSandbox({ port: 0, sizes: { publicFiles: 50 } });
  stack = await startStack({
    sandbox,
    env: { OPENHUMANS_PROJECT_ID: String(sandbox.projectId), SUBSCRIPTION_RECHECK_SECONDS: '1' },
  });
  ws = await listenWithWebSockets(stack, {}, metrics);
});
afterAll(async () => {
  await ws?.close();
  await stack?.close();
  await sandbox?.close();
});

/** Posts a deauthorization notice to the gateway's webhook, as Open Humans does. */
async function deauthorize(pmi: string): Promise<void> {
  const body = `{"project_member_id": "${pmi}", "erasure_requested": false, "timestamp": "${new Date().toISOString().replace('Z', '000+00:00')}"}`;
  const res = await fetch(`${ws.httpUrl}/webhooks/openhumans/deauthorize`, {
    method: 'POST',
    headers: { 'content-type': 'application/json' },
    body,
  });
  expect(res.status).toBe(200);
}

/** Subscribes, then delivers events for `pmi`-prefixed members until the first arrives. */
async function receivesEvent(
  client: ReturnType<typeof wsClient>,
  pmi: string,
): Promise<string | undefined> {
  const iterator = client.iterate<Event>({ query: SUBSCRIPTION })[Symbol.asyncIterator]();
  const result = await deliverUntil(iterator.next(), () => deauthorize(pmi));
  await iterator.return?.();
  return result.done ? undefined : result.value.data?.memberDeauthorized.projectMemberId;
}

describe('WebSocket subscriptions (graphql-transport-ws)', () => {
  it('runs queries on the same schema and limits as HTTP', async () => {
    const client = wsClient(ws.wsUrl);
    try {
      const { results } = await collect<{ projects: { totalCount: number } }>(
        client,
        '{ projects(first: 1) { totalCount } }',
      );
      expect(results[0]?.data?.projects.totalCount).toBeGreaterThan(0);
      // The operation limits apply over WebSocket too, with the same answer as over HTTP.
      const query = `{ ${Array.from({ length: 30 }, (_, i) => `p${i}: projects(first: 1) { totalCount }`).join(' ')} }`;
      const overHttp = await stack.execute(query);
      expect(overHttp.errors?.length).toBeGreaterThan(0);
      const aliases = await collect(client, query);
      const errors = aliases.results[0]?.errors ?? aliases.error;
      expect(JSON.stringify(errors)).toContain(String(overHttp.errors?.[0]?.extensions?.code));
    } finally {
      await client.dispose();
    }
  });

  it('authenticates with the token in connection_init and delivers events', async () => {
    const client = wsClient(ws.wsUrl, {
      connectionParams: { Authorization: `Bearer ${sandbox.masterToken}` },
    });
    try {
      const pmi = Object.keys(sandbox.memberTokens).sort()[1] ?? '';
      expect(await receivesEvent(client, pmi)).toBe(pmi);
    } finally {
      await client.dispose();
    }
  });

  it('authenticates with a bare `token` in connection_init', async () => {
    const client = wsClient(ws.wsUrl, { connectionParams: { token: sandbox.masterToken } });
    try {
      const pmi = Object.keys(sandbox.memberTokens).sort()[2] ?? '';
      expect(await receivesEvent(client, pmi)).toBe(pmi);
    } finally {
      await client.dispose();
    }
  });

  it('authenticates with the Authorization header of the upgrade', async () => {
    const client = wsClient(ws.wsUrl, {}, { authorization: `Bearer ${sandbox.masterToken}` });
    try {
      const pmi = Object.keys(sandbox.memberTokens).sort()[3] ?? '';
      expect(await receivesEvent(client, pmi)).toBe(pmi);
    } finally {
      await client.dispose();
    }
  });

  it('answers a coded UNAUTHENTICATED error without a token, FORBIDDEN-free of work', async () => {
    const client = wsClient(ws.wsUrl);
    try {
      const { results, error } = await collect(client, SUBSCRIPTION);
      const errors = results[0]?.errors ?? (error as { extensions?: unknown }[] | undefined);
      expect(JSON.stringify(errors)).toContain('UNAUTHENTICATED');
      expect(JSON.stringify(errors)).toContain('TOKEN_MISSING');
    } finally {
      await client.dispose();
    }
  });

  it('refuses a connection_init whose token is not a string (close 4403)', async () => {
    const closed: number[] = [];
    const client = wsClient(ws.wsUrl, {
      connectionParams: { token: 42 },
      on: { closed: (e) => closed.push((e as { code: number }).code) },
    });
    const { error } = await collect(client, '{ __typename }');
    expect(error).toBeTruthy();
    expect(closed).toContain(4403);
    await client.dispose();
  });

  it('ends the subscription with UNAUTHENTICATED once the master token is reset (same re-check as SSE)', async () => {
    const project = sandbox.state.store.project(sandbox.projectId);
    const oldToken = sandbox.masterToken;
    const client = wsClient(ws.wsUrl, { connectionParams: { token: oldToken } });
    try {
      const d1 = () => stack.upstreamCalls.filter((c) => c.route === 'D1').length;
      const before = d1();
      const running = collect(client, SUBSCRIPTION);
      while (d1() <= before) await new Promise((r) => setTimeout(r, 20));
      sandbox.state.store.setMasterToken(
        sandbox.projectId,
        randomBytes(32).toString('hex'),
        project?.masterTokenExpires ?? 0,
      );
      const { results, error } = await running;
      const last = results.at(-1)?.errors ?? (error as unknown[] | undefined);
      expect(JSON.stringify(last)).toContain('UNAUTHENTICATED');
      expect(JSON.stringify(last)).toContain('TOKEN_INVALID');
    } finally {
      await client.dispose();
      if (project)
        sandbox.state.store.setMasterToken(sandbox.projectId, oldToken, project.masterTokenExpires);
    }
  });

  it('counts connections and operations by type in /metrics series', async () => {
    const client = wsClient(ws.wsUrl, { connectionParams: { token: sandbox.masterToken } });
    try {
      await collect(client, '{ __typename }');
      const text = await metrics.render();
      expect(text).toMatch(/websocket_operations_total\{operation_type="query"\} [1-9]/);
      expect(text).toMatch(/websocket_operations_total\{operation_type="subscription"\} [1-9]/);
      expect(text).toMatch(/websocket_connections [1-9]/);
    } finally {
      await client.dispose();
    }
  });

  it("logs an operation's lines with the upgrade's x-request-id", async () => {
    const client = wsClient(
      ws.wsUrl,
      { connectionParams: { token: 'not-a-valid-token-ws' } },
      { 'x-request-id': 'ws-request-7' },
    );
    try {
      const { results } = await collect(client, '{ viewer { member { created } } }');
      expect(JSON.stringify(results[0]?.errors)).toContain('UNAUTHENTICATED');
      expect(stack.logLines.some((line) => line.includes('ws-request-7'))).toBe(true);
      expect(stack.logLines.some((line) => line.includes('not-a-valid-token-ws'))).toBe(false);
    } finally {
      await client.dispose();
    }
  });

  it("continues the upgrade's traceparent: a SERVER span per operation, and the sandbox sees the trace", async () => {
    const exporter = new InMemorySpanExporter();
    trace.setGlobalTracerProvider(
      new BasicTracerProvider({ spanProcessors: [new SimpleSpanProcessor(exporter)] }),
    );
    const traceId = '5bf92f3577b34da6a3ce929d0e0e4736';
    const client = wsClient(ws.wsUrl, {}, { traceparent: `00-${traceId}-00f067aa0ba902b7-01` });
    try {
      sandbox.resetCalls();
      const { results } = await collect(
        client,
        'query OverWs { dataFiles(first: 3) { edges { node { basename } } } }',
      );
      expect(results[0]?.errors).toBeUndefined();
      const server = exporter.getFinishedSpans().find((s) => s.kind === SpanKind.SERVER);
      expect(server?.name).toBe('query OverWs');
      expect(server?.spanContext().traceId).toBe(traceId);
      expect(server?.attributes['network.protocol.name']).toBe('websocket');
      const seen = sandbox.requests();
      expect(seen.length).toBeGreaterThan(0);
      for (const entry of seen) expect(String(entry.traceparent).split('-')[1]).toBe(traceId);
    } finally {
      await client.dispose();
      trace.disable();
    }
  });

  it('closes the legacy subscriptions-transport-ws subprotocol with 4406', async () => {
    const socket = new WebSocket(ws.wsUrl, 'graphql-ws');
    const code = await new Promise<number>((resolve) => socket.on('close', (c) => resolve(c)));
    expect(code).toBe(4406);
  });

  it('refuses an upgrade from a foreign browser Origin (403), session cookie or not', async () => {
    const socket = new WebSocket(ws.wsUrl, 'graphql-transport-ws', {
      headers: { origin: 'https://evil.example', cookie: 'ohg_session=x' },
    });
    socket.on('error', () => undefined);
    const status = await new Promise<number>((resolve) => {
      socket.on('unexpected-response', (_req, res) => resolve(res.statusCode ?? 0));
      socket.on('open', () => resolve(101));
    });
    expect(status).toBe(403);
  });

  it('accepts an upgrade from its own origin', async () => {
    const origin = ws.httpUrl;
    const socket = new WebSocket(ws.wsUrl, 'graphql-transport-ws', { headers: { origin } });
    await new Promise<void>((resolve, reject) => {
      socket.on('open', () => resolve());
      socket.on('unexpected-response', () => reject(new Error('refused')));
    });
    socket.close();
  });
});

describe('WebSocket bounds', () => {
  let small: WsServer;
  beforeAll(async () => {
    small = await listenWithWebSockets(stack, {
      maxConnections: 2,
      maxPayloadBytes: 2_048,
      maxSubscriptionsPerConnection: 1,
      connectionInitTimeoutMs: 200,
    });
  });
  afterAll(() => small?.close());

  it('closes a socket that sends a message past WS_MAX_PAYLOAD_BYTES (1009)', async () => {
    const socket = new WebSocket(small.wsUrl, 'graphql-transport-ws');
    await new Promise((r) => socket.on('open', r));
    socket.send(JSON.stringify({ type: 'connection_init', payload: { pad: 'x'.repeat(4_000) } }));
    const code = await new Promise<number>((resolve) => socket.on('close', (c) => resolve(c)));
    expect(code).toBe(1009);
  });

  it('closes a socket that never sends connection_init (4408)', async () => {
    const socket = new WebSocket(small.wsUrl, 'graphql-transport-ws');
    const code = await new Promise<number>((resolve) => socket.on('close', (c) => resolve(c)));
    expect(code).toBe(4408);
  });

  it('refuses operations past WS_MAX_SUBSCRIPTIONS_PER_CONNECTION with RATE_LIMITED', async () => {
    const client = wsClient(small.wsUrl, { connectionParams: { token: sandbox.masterToken } });
    try {
      const d1 = () => stack.upstreamCalls.filter((c) => c.route === 'D1').length;
      const before = d1();
      const first = collect(client, SUBSCRIPTION);
      while (d1() <= before) await new Promise((r) => setTimeout(r, 20));
      const second = await collect(client, SUBSCRIPTION);
      const errors = second.results[0]?.errors ?? second.error;
      expect(JSON.stringify(errors)).toContain('RATE_LIMITED');
      void first;
    } finally {
      await client.dispose();
    }
  });

  it('counts subscribes sent together against WS_MAX_SUBSCRIPTIONS_PER_CONNECTION', async () => {
    const socket = new WebSocket(small.wsUrl, 'graphql-transport-ws');
    const messages: { id?: string; type: string; payload?: unknown }[] = [];
    socket.on('message', (data) => messages.push(JSON.parse(String(data))));
    try {
      await new Promise<void>((resolve) => socket.on('open', () => resolve()));
      socket.send(
        JSON.stringify({ type: 'connection_init', payload: { token: sandbox.masterToken } }),
      );
      while (!messages.some((m) => m.type === 'connection_ack'))
        await new Promise((r) => setTimeout(r, 10));
      // Both in one go: the second arrives while the first is still being admitted.
      for (const id of ['one', 'two'])
        socket.send(JSON.stringify({ id, type: 'subscribe', payload: { query: SUBSCRIPTION } }));
      while (!messages.some((m) => m.type === 'error')) await new Promise((r) => setTimeout(r, 10));
      const refused = messages.filter((m) => m.type === 'error');
      expect(refused.map((m) => m.id)).toEqual(['two']);
      expect(JSON.stringify(refused[0]?.payload)).toContain('RATE_LIMITED');
    } finally {
      socket.close();
    }
  });

  it('takes each operation from the per-client rate limit bucket (RATE_LIMITED past it)', async () => {
    // Loopback is never limited: the client stands behind a trusted proxy here. No refill to speak
    // of.
    const limited = await listenWithWebSockets(stack, {}, undefined, {
      perSecond: 0.001,
      burst: 2,
      trustProxy: true,
    });
    const client = wsClient(limited.wsUrl, {}, { 'x-forwarded-for': '203.0.113.9' });
    try {
      const answers = [];
      for (let i = 0; i < 3; i++) answers.push(await collect(client, '{ __typename }'));
      expect(answers[0]?.results[0]?.data).toEqual({ __typename: 'Query' });
      expect(answers[1]?.results[0]?.data).toEqual({ __typename: 'Query' });
      expect(JSON.stringify(answers[2]?.results[0]?.errors ?? answers[2]?.error)).toContain(
        'RATE_LIMITED',
      );
      // Another client (address) has its own bucket.
      const other = wsClient(limited.wsUrl, {}, { 'x-forwarded-for': '203.0.113.10' });
      expect((await collect(other, '{ __typename }')).results[0]?.data).toEqual({
        __typename: 'Query',
      });
      await other.dispose();
    } finally {
      await client.dispose();
      await limited.close();
    }
  });

  it('takes WebSocket operations and HTTP requests from one bucket per client', async () => {
    // As `server.ts` wires it: the listener's sockets use the gateway's own client limits.
    const shared = await startStack({
      sandbox: stack.sandbox,
      env: { RATE_LIMIT_PER_SECOND: '1', RATE_LIMIT_BURST: '3', TRUST_PROXY: '1' },
    });
    const listener = await listenWithWebSockets(shared);
    const client = wsClient(listener.wsUrl, {}, { 'x-forwarded-for': '203.0.113.20' });
    const overHttp = (): Promise<Response> =>
      fetch(`${listener.httpUrl}/graphql`, {
        method: 'POST',
        headers: { 'content-type': 'application/json', 'x-forwarded-for': '203.0.113.20' },
        body: JSON.stringify({ query: '{ __typename }' }),
      });
    try {
      // Two HTTP requests and one WebSocket operation spend the burst of 3…
      for (const _ of [1, 2]) expect((await overHttp()).status).toBe(200);
      expect((await collect(client, '{ __typename }')).results[0]?.data).toEqual({
        __typename: 'Query',
      });
      // …so the next one is refused on either transport.
      const refused = await collect(client, '{ __typename }');
      expect(JSON.stringify(refused.results[0]?.errors ?? refused.error)).toContain('RATE_LIMITED');
      expect((await overHttp()).status).toBe(429);
    } finally {
      await client.dispose();
      await listener.close();
      await shared.close();
    }
  });

  it('refuses upgrades past WS_MAX_CONNECTIONS with HTTP 503', async () => {
    // Sockets of the tests above finish closing first (the count is of open sockets).
    while (small.endpoint.connections > 0) await new Promise((r) => setTimeout(r, 20));
    const open = await Promise.all(
      [0, 1].map(
        () =>
          new Promise<WebSocket>((resolve) => {
            const s = new WebSocket(small.wsUrl, 'graphql-transport-ws');
            s.on('open', () => resolve(s));
          }),
      ),
    );
    const third = new WebSocket(small.wsUrl, 'graphql-transport-ws');
    third.on('error', () => undefined);
    const status = await new Promise<number>((resolve) => {
      third.on('unexpected-response', (_req, res) => resolve(res.statusCode ?? 0));
      third.on('open', () => resolve(101));
    });
    expect(status).toBe(503);
    for (const s of open) s.terminate();
  });
});
