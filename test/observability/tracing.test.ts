/**
 * OpenTelemetry: with an SDK registered (here sdk-trace-base with an in-memory exporter), a
 * GraphQL request gives one SERVER span with its operation, and each Open Humans call a CLIENT
 * span beneath it, as many as the sandbox counted.
 */
import { SpanKind, trace } from '@opentelemetry/api';
import {
  BasicTracerProvider,
  InMemorySpanExporter,
  SimpleSpanProcessor,
} from '@opentelemetry/sdk-trace-base';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { Sandbox } from '../../sandbox/index.js';
import { startSandbox } from '../../sandbox/index.js';
import { loadConfig } from '../../src/config/index.js';
import type { Gateway } from '../../src/gateway.js';
import { createGateway } from '../../src/gateway.js';
import { createLogger } from '../../src/logger.js';

let sandbox: Sandbox;
let gateway: Gateway;
const exporter = new InMemorySpanExporter();

beforeAll(async () => {
  sandbox = await startSandbox({ port: 0 });
  gateway = createGateway({
    config: loadConfig({ OPENHUMANS_BASE_URL: sandbox.url }),
    logger: createLogger({ level: 'silent' }),
  });
});

afterAll(async () => {
  trace.disable();
  await gateway?.dispose();
  await sandbox?.close();
});

const query = (q: string, operationName: string): Promise<Response> =>
  Promise.resolve(
    gateway.fetch('http://gw/graphql', {
      method: 'POST',
      headers: { 'content-type': 'application/json', 'x-request-id': `trace-${operationName}` },
      body: JSON.stringify({ query: q, operationName }),
    }),
  );

describe('tracing', () => {
  it('gives a SERVER span per request and a CLIENT span per upstream call beneath it', async () => {
    trace.setGlobalTracerProvider(
      new BasicTracerProvider({ spanProcessors: [new SimpleSpanProcessor(exporter)] }),
    );
    sandbox.resetCalls();
    const res = await query(
      'query Traced { dataFiles(first: 3) { edges { node { basename dataTypes { name } } } } }',
      'Traced',
    );
    expect(res.status).toBe(200);
    await res.text();
    const spans = exporter.getFinishedSpans();
    const server = spans.filter((s) => s.kind === SpanKind.SERVER);
    expect(server).toHaveLength(1);
    expect(server[0]?.name).toBe('query Traced');
    expect(server[0]?.attributes).toMatchObject({
      'graphql.operation.name': 'Traced',
      'graphql.operation.type': 'query',
      'http.response.status_code': 200,
      'request.id': 'trace-Traced',
    });
    const serverId = server[0]?.spanContext().spanId;
    const clients = spans.filter((s) => s.kind === SpanKind.CLIENT);
    const calls = Object.values(sandbox.calls() as Record<string, number>).reduce(
      (a, b) => a + b,
      0,
    );
    expect(calls).toBeGreaterThan(0);
    expect(clients).toHaveLength(calls);
    for (const span of clients) {
      expect(span.parentSpanContext?.spanId).toBe(serverId);
      // OpenTelemetry HTTP client conventions: named by method, the URL in url.full (redacted).
      expect(span.name).toMatch(/^(GET|POST|PUT|DELETE)$/);
      expect(span.attributes).toMatchObject({
        'http.request.method': span.name,
        'http.response.status_code': 200,
        'server.address': '127.0.0.1',
      });
      expect(String(span.attributes['url.full'])).toMatch(/^http:\/\/127\.0\.0\.1:\d+\//);
      expect(span.attributes['openhumans.route']).toMatch(/^[A-Z0-9_]+$/);
    }
  });
});
