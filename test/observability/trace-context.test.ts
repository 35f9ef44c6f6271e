/**
 * W3C trace context end to end: a request carrying a `traceparent` gives spans in that trace
 * (in-memory exporter), and the sandbox receives a child `traceparent` (same trace id, the
 * gateway's CLIENT span as parent) on each upstream call; also on /subgraph and the webhook,
 * and without any SDK the caller's trace still reaches Open Humans. Tokens never reach a span.
 */

import { SpanKind, trace } from '@opentelemetry/api';
import {
  BasicTracerProvider,
  InMemorySpanExporter,
  SimpleSpanProcessor,
} from '@opentelemetry/sdk-trace-base';
import { afterAll, beforeAll, beforeEach, describe, expect, it } from 'vitest';
import type { Sandbox } from '../../sandbox/index.js';
import { startSandbox } from '../../sandbox/index.js';
import { loadConfig } from '../../src/config/index.js';
import type { Gateway } from '../../src/gateway.js';
import { createGateway } from '../../src/gateway.js';
import { createLogger } from '../../src/logger.js';
import { SUBGRAPH_TEST_SECRET } from '../federation/support.js';

const TRACE_ID = '4bf92f3577b34da6a3ce929d0e0e4736';
const PARENT_ID = '00f067aa0ba902b7';
const TRACEPARENT = `00-${TRACE_ID}-${PARENT_ID}-01`;

let sandbox: Sandbox;
let gateway: Gateway;
const exporter = new InMemorySpanExporter();

beforeAll(async () => {
  sandbox = await startSandbox({ port: 0 });
  gateway = createGateway({
    config: loadConfig({
      OPENHUMANS_BASE_URL: sandbox.url,
      OPENHUMANS_PROJECT_ID: String(sandbox.projectId),
      SUBGRAPH_SECRET: SUBGRAPH_TEST_SECRET,
    }),
    logger: createLogger({ level: 'silent' }),
  });
});
afterAll(async () => {
  trace.disable();
  await gateway?.dispose();
  await sandbox?.close();
});
beforeEach(() => {
  exporter.reset();
  sandbox.resetCalls();
});

const post = (
  path: string,
  body: unknown,
  headers: Record<string, string> = {},
): Promise<Response> =>
  Promise.resolve(
    gateway.fetch(`http://gw${path}`, {
      method: 'POST',
      headers: {
        'content-type': 'application/json',
        traceparent: TRACEPARENT,
        tracestate: 'vendor=abc',
        ...(path === '/subgraph' ? { 'x-subgraph-secret': SUBGRAPH_TEST_SECRET } : {}),
        ...headers,
      },
      body: JSON.stringify(body),
    }),
  );

describe('trace context', () => {
  it('without an SDK, passes the caller trace on to Open Humans', async () => {
    trace.disable();
    const res = await post('/graphql', { query: '{ projects(first: 1) { totalCount } }' });
    expect(res.status).toBe(200);
    await res.text();
    const seen = sandbox.requests().map((r) => r.traceparent);
    expect(seen.length).toBeGreaterThan(0);
    for (const header of seen) expect(header).toBe(TRACEPARENT);
  });

  it('continues the caller trace in the SERVER span, and each upstream call carries its CLIENT span as parent', async () => {
    trace.setGlobalTracerProvider(
      new BasicTracerProvider({ spanProcessors: [new SimpleSpanProcessor(exporter)] }),
    );
    const res = await post('/graphql', {
      query: 'query Pages { dataFiles(first: 2) { edges { node { basename } } } }',
      operationName: 'Pages',
    });
    expect(res.status).toBe(200);
    await res.text();
    const spans = exporter.getFinishedSpans();
    const server = spans.find((s) => s.kind === SpanKind.SERVER);
    expect(server?.name).toBe('query Pages');
    expect(server?.spanContext().traceId).toBe(TRACE_ID);
    expect(server?.parentSpanContext?.spanId).toBe(PARENT_ID);
    const clients = spans.filter((s) => s.kind === SpanKind.CLIENT);
    const seen = sandbox.requests();
    expect(clients.length).toBe(seen.length);
    expect(seen.length).toBeGreaterThan(0);
    const clientIds = new Set(clients.map((s) => s.spanContext().spanId));
    for (const entry of seen) {
      const [, traceId, parentId] = String(entry.traceparent).split('-');
      expect(traceId).toBe(TRACE_ID);
      expect(clientIds.has(parentId ?? '')).toBe(true);
    }
    for (const client of clients)
      expect(client.parentSpanContext?.spanId).toBe(server?.spanContext().spanId);
  });

  it('records error.type on a failed upstream call and never puts a token in a span', async () => {
    trace.setGlobalTracerProvider(
      new BasicTracerProvider({ spanProcessors: [new SimpleSpanProcessor(exporter)] }),
    );
    const res = await post(
      '/graphql',
      { query: '{ viewer { member { created } } }' },
      { authorization: 'Bearer not-a-real-token-123456' },
    );
    await res.text();
    const spans = exporter.getFinishedSpans();
    const failed = spans.filter(
      (s) => s.kind === SpanKind.CLIENT && s.attributes['error.type'] !== undefined,
    );
    expect(failed.length).toBeGreaterThan(0);
    expect(failed[0]?.attributes['error.type']).toBe(
      String(failed[0]?.attributes['http.response.status_code']),
    );
    expect(JSON.stringify(spans.map((s) => [s.name, s.attributes]))).not.toContain(
      'not-a-real-token-123456',
    );
  });

  it('/subgraph continues the router trace', async () => {
    trace.setGlobalTracerProvider(
      new BasicTracerProvider({ spanProcessors: [new SimpleSpanProcessor(exporter)] }),
    );
    const res = await post('/subgraph', {
      query: 'query Sub { projects(first: 1) { totalCount } }',
    });
    expect(res.status).toBe(200);
    await res.text();
    const server = exporter.getFinishedSpans().find((s) => s.kind === SpanKind.SERVER);
    expect(server?.name).toBe('query Sub');
    expect(server?.spanContext().traceId).toBe(TRACE_ID);
    for (const entry of sandbox.requests())
      expect(String(entry.traceparent).split('-')[1]).toBe(TRACE_ID);
  });

  it('the deauthorization webhook continues the sender trace', async () => {
    trace.setGlobalTracerProvider(
      new BasicTracerProvider({ spanProcessors: [new SimpleSpanProcessor(exporter)] }),
    );
    const pmi = Object.keys(sandbox.memberTokens).sort()[0] ?? '';
    const res = await post('/webhooks/openhumans/deauthorize', {
      project_member_id: pmi,
      erasure_requested: false,
      timestamp: new Date().toISOString().replace('Z', '000+00:00'),
    });
    expect(res.status).toBe(200);
    const server = exporter.getFinishedSpans().find((s) => s.kind === SpanKind.SERVER);
    expect(server?.spanContext().traceId).toBe(TRACE_ID);
    expect(server?.attributes['http.response.status_code']).toBe(200);
  });
});
