/**
 * The OTLP exporter: switched on by the standard OTEL_* variables only, it sends the gateway's
 * spans (in the caller's trace) to a collector, here a local HTTP listener standing in for one.
 */
import { createServer } from 'node:http';
import type { AddressInfo } from 'node:net';
import { trace } from '@opentelemetry/api';
import { afterAll, describe, expect, it } from 'vitest';
import { startSandbox } from '../../sandbox/index.js';
import { loadConfig } from '../../src/config/index.js';
import { createGateway } from '../../src/gateway.js';
import { createLogger } from '../../src/logger.js';
import { otlpTracingWanted, startOtelSdk } from '../../src/observability/otel-sdk.js';

afterAll(() => trace.disable());

describe('OTLP exporter switch', () => {
  it('follows the standard variables', () => {
    expect(otlpTracingWanted({})).toBe(false);
    expect(otlpTracingWanted({ OTEL_EXPORTER_OTLP_ENDPOINT: 'http://collector:4318' })).toBe(true);
    expect(
      otlpTracingWanted({ OTEL_EXPORTER_OTLP_TRACES_ENDPOINT: 'http://collector:4318/v1/traces' }),
    ).toBe(true);
    expect(otlpTracingWanted({ OTEL_TRACES_EXPORTER: 'otlp' })).toBe(true);
    expect(
      otlpTracingWanted({
        OTEL_TRACES_EXPORTER: 'none',
        OTEL_EXPORTER_OTLP_ENDPOINT: 'http://c:4318',
      }),
    ).toBe(false);
    expect(
      otlpTracingWanted({
        OTEL_SDK_DISABLED: 'true',
        OTEL_EXPORTER_OTLP_ENDPOINT: 'http://c:4318',
      }),
    ).toBe(false);
  });

  it('exports the spans of a traced request to the collector', async () => {
    const bodies: { path: string; body: string }[] = [];
    const collector = createServer((req, res) => {
      const chunks: Buffer[] = [];
      req.on('data', (c: Buffer) => chunks.push(c));
      req.on('end', () => {
        bodies.push({ path: req.url ?? '', body: Buffer.concat(chunks).toString('utf8') });
        res.writeHead(200, { 'content-type': 'application/json' }).end('{}');
      });
    });
    await new Promise<void>((resolve) => collector.listen(0, '127.0.0.1', resolve));
    const { port } = collector.address() as AddressInfo;
    const sandbox = await startSandbox({ port: 0 });
    const sdk = await startOtelSdk({
      OTEL_EXPORTER_OTLP_ENDPOINT: `http://127.0.0.1:${port}`,
      OTEL_SERVICE_NAME: 'ohg-test',
    });
    expect(sdk).not.toBeNull();
    const gateway = createGateway({
      config: loadConfig({ OPENHUMANS_BASE_URL: sandbox.url }),
      logger: createLogger({ level: 'silent' }),
    });
    try {
      const traceId = '0af7651916cd43dd8448eb211c80319c';
      const res = await gateway.fetch('http://gw/graphql', {
        method: 'POST',
        headers: {
          'content-type': 'application/json',
          traceparent: `00-${traceId}-b7ad6b7169203331-01`,
        },
        body: JSON.stringify({ query: 'query Exported { projects(first: 1) { totalCount } }' }),
      });
      expect(res.status).toBe(200);
      await res.text();
      await sdk?.shutdown();
      const sent = bodies
        .filter((b) => b.path === '/v1/traces')
        .map((b) => b.body)
        .join('\n');
      expect(sent).toContain('ohg-test');
      expect(sent).toContain('query Exported');
      expect(sent.toLowerCase()).toContain(traceId);
    } finally {
      await gateway.dispose();
      await sandbox.close();
      collector.close();
    }
  });
});
