/**
 * The /metrics exposition passes `promtool check metrics` (Prometheus' own linter: base units,
 * `_total` only on counters, `_seconds`/`_bytes` suffixes, help texts). Skips only where
 * promtool is missing; under CI=true it must be there (.ci/run installs Debian's prometheus).
 */
import { spawnSync } from 'node:child_process';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { Sandbox } from '../../sandbox/index.js';
import { startSandbox } from '../../sandbox/index.js';
import { loadConfig } from '../../src/config/index.js';
import type { Gateway } from '../../src/gateway.js';
import { createGateway } from '../../src/gateway.js';
import { createLogger } from '../../src/logger.js';
import { GatewayMetrics } from '../../src/observability/metrics.js';
import { SUBGRAPH_TEST_SECRET } from '../federation/support.js';

function promtoolAvailable(): boolean {
  const found = spawnSync('promtool', ['--version'], { stdio: 'ignore' }).status === 0;
  if (found) return true;
  if (process.env.CI === 'true')
    throw new Error(
      "promtool is required under CI=true (.ci/run installs Debian's prometheus) but was not found on PATH",
    );
  console.warn(
    'SKIPPING promtool test: promtool not found on PATH (apt-get install prometheus to run it).',
  );
  return false;
}

let sandbox: Sandbox;
let gateway: Gateway;
const METRICS_TEST_TOKEN = 'test-metrics-token-0123456789';
beforeAll(async () => {
  sandbox = await startSandbox({ port: 0 });
  // Process metrics too, as main runs it: they are the ones most likely to stray.
  const metrics = new GatewayMetrics({ processMetrics: true });
  gateway = createGateway({
    config: loadConfig({
      OPENHUMANS_BASE_URL: sandbox.url,
      SUBGRAPH_SECRET: SUBGRAPH_TEST_SECRET,
      METRICS_TOKEN: METRICS_TEST_TOKEN,
    }),
    logger: createLogger({ level: 'silent' }),
    metrics,
  });
});
afterAll(async () => {
  await gateway?.dispose();
  await sandbox?.close();
});

describe.skipIf(!promtoolAvailable())('metric names', () => {
  it('pass promtool check metrics after real traffic (every series present)', async () => {
    const post = (query: string, headers: Record<string, string> = {}) =>
      gateway.fetch('http://gw/graphql', {
        method: 'POST',
        headers: { 'content-type': 'application/json', ...headers },
        body: JSON.stringify({ query }),
      });
    await (await post('query Q { projects(first: 2) { totalCount } }')).text();
    await (
      await post('{ viewer { member { created } } }', { authorization: 'Bearer bad-token-000' })
    ).text();
    await (
      await gateway.fetch('http://gw/subgraph', {
        method: 'POST',
        headers: { 'content-type': 'application/json', 'x-subgraph-secret': SUBGRAPH_TEST_SECRET },
        body: JSON.stringify({ query: '{ __typename }' }),
      })
    ).text();
    const text = await (
      await gateway.fetch('http://gw/metrics', {
        headers: { authorization: `Bearer ${METRICS_TEST_TOKEN}` },
      })
    ).text();
    for (const name of [
      'graphql_request_duration_seconds_bucket',
      'graphql_errors_total',
      'upstream_requests_total',
      'upstream_request_duration_seconds_sum',
      'process_cpu_seconds_total',
    ]) {
      expect(text).toContain(name);
    }
    const check = spawnSync('promtool', ['check', 'metrics'], { input: text, encoding: 'utf8' });
    expect(`${check.stdout}${check.stderr}`).toBe('');
    expect(check.status).toBe(0);
  });
});
