/**
 * GET /metrics after some queries: request latency/rate by operation, upstream calls by route
 * and status (matching the sandbox's own counters), public cache hits, error codes, breaker
 * state. The gateway builds its own HTTP layer here, as in production, so calls are observed.
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { Sandbox } from '../../sandbox/index.js';
import { startSandbox } from '../../sandbox/index.js';
import { loadConfig } from '../../src/config/index.js';
import type { Gateway } from '../../src/gateway.js';
import { createGateway } from '../../src/gateway.js';
import { createLogger } from '../../src/logger.js';
import { GatewayMetrics } from '../../src/observability/metrics.js';
import { codeLabel } from '../../src/observability/metrics-plugin.js';

let sandbox: Sandbox;
let gateway: Gateway;
const metrics = new GatewayMetrics();
const METRICS_TOKEN = 'metrics-test-token-0123456789';
const scrape = { headers: { authorization: `Bearer ${METRICS_TOKEN}` } };

beforeAll(async () => {
  sandbox = await startSandbox({ port: 0 });
  // Whole-answer cache hits are not executed, so not counted as operations: off here.
  const config = loadConfig({
    OPENHUMANS_BASE_URL: sandbox.url,
    METRICS_TOKEN,
    RESPONSE_CACHE_MAX_ENTRIES: '0',
  });
  gateway = createGateway({ config, metrics, logger: createLogger({ level: 'silent' }) });
});

afterAll(async () => {
  await gateway?.dispose();
  await sandbox?.close();
});

const post = async (query: string, operationName?: string) => {
  const res = await gateway.fetch('http://gw/graphql', {
    method: 'POST',
    headers: { 'content-type': 'application/json' },
    body: JSON.stringify({ query, operationName }),
  });
  return { status: res.status, body: (await res.json()) as { data?: unknown; errors?: unknown[] } };
};

/** The value of one sample line, or the sum of all lines of `name` matching every label given. */
function sample(text: string, name: string, labels: Record<string, string> = {}): number {
  let sum = 0;
  for (const line of text.split('\n')) {
    if (!line.startsWith(`${name}{`) && !line.startsWith(`${name} `)) continue;
    if (!Object.entries(labels).every(([k, v]) => line.includes(`${k}="${v}"`))) continue;
    sum += Number(line.slice(line.lastIndexOf(' ') + 1));
  }
  return sum;
}

describe('/metrics', () => {
  it('reports operations, upstream calls by route, cache hits, error codes and breaker state', async () => {
    sandbox.resetCalls();
    const page =
      'query FirstPage { dataFiles(first: 3) { totalCount edges { node { basename } } } }';
    expect((await post(page)).status).toBe(200);
    expect((await post(page)).status).toBe(200); // second one from the public cache
    expect((await post('{ projects(first: 2) { totalCount } }')).status).toBe(200);
    const bad = await post('query BadCursor { projects(first: 1, after: "nope") { totalCount } }');
    expect(bad.body.errors).toBeDefined();
    metrics.breakerState('public', 'open');

    const res = await gateway.fetch('http://gw/metrics', scrape);
    expect(res.status).toBe(200);
    expect(res.headers.get('content-type')).toMatch(/^text\/plain; version=0\.0\.4/);
    const text = await res.text();

    const count = (labels: Record<string, string>) =>
      sample(text, 'graphql_request_duration_seconds_count', labels);
    expect(count({ operation_name: 'FirstPage', operation_type: 'query', status: '200' })).toBe(2);
    expect(count({ operation_name: '(anonymous)', operation_type: 'query', status: '200' })).toBe(
      1,
    );
    expect(count({ operation_name: 'BadCursor' })).toBe(1);
    expect(
      sample(text, 'graphql_errors_total', { operation_name: 'BadCursor', code: 'BAD_USER_INPUT' }),
    ).toBe(1);

    // Upstream calls as counted by the sandbox itself, route by route.
    const calls = sandbox.calls() as Record<string, number>;
    const routes = Object.entries(calls).filter(([, n]) => n > 0);
    expect(routes.length).toBeGreaterThan(0);
    for (const [route, n] of routes) {
      expect(
        sample(text, 'upstream_requests_total', { route, status: '200', outcome: 'ok' }),
        route,
      ).toBe(n);
    }
    expect(sample(text, 'upstream_request_duration_seconds_count')).toBe(
      routes.reduce((s, [, n]) => s + n, 0),
    );

    expect(sample(text, 'public_cache_hits_total')).toBeGreaterThan(0);
    expect(sample(text, 'public_cache_misses_total')).toBeGreaterThan(0);
    const ratio = sample(text, 'public_cache_hit_ratio');
    expect(ratio).toBeGreaterThan(0);
    expect(ratio).toBeLessThan(1);

    expect(sample(text, 'upstream_breaker_state', { breaker: 'public' })).toBe(2);
    metrics.breakerState('public', 'closed');
    expect(sample(await metrics.render(), 'upstream_breaker_state', { breaker: 'public' })).toBe(0);
  });

  it('keeps error-code labels to the known codes', () => {
    expect(codeLabel('RATE_LIMITED')).toBe('RATE_LIMITED');
    expect(codeLabel('GRAPHQL_VALIDATION_FAILED')).toBe('GRAPHQL_VALIDATION_FAILED');
    expect(codeLabel('MADE_UP_BY_SOMEONE')).toBe('OTHER');
    expect(codeLabel(42)).toBe('UNCODED');
  });

  it('keeps operation-name labels bounded', () => {
    const m = new GatewayMetrics();
    expect(m.operationLabel(undefined)).toBe('(anonymous)');
    expect(m.operationLabel('bad name"} 1')).toBe('(other)');
    for (let i = 0; i < 200; i += 1) m.operationLabel(`Op${i}`);
    expect(m.operationLabel('Op5')).toBe('Op5');
    expect(m.operationLabel('OneTooMany')).toBe('(other)');
  });

  it('is not served with METRICS=false', async () => {
    const off = createGateway({
      config: loadConfig({ OPENHUMANS_BASE_URL: sandbox.url, METRICS: 'false', METRICS_TOKEN }),
      logger: createLogger({ level: 'silent' }),
    });
    try {
      expect((await off.fetch('http://gw/metrics', scrape)).status).toBe(404);
    } finally {
      await off.dispose();
    }
  });
});
