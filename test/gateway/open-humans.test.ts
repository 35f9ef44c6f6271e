/**
 * The Open Humans client factory (`createOpenHumans`) over the sandbox: it closes what it built
 * and only that, shares the public cache across requests while binding each request's
 * direct-sharing client to its token, wires metrics once, and runs production's retries unless
 * asked for bare calls.
 */
import { Agent } from 'undici';
import { afterAll, beforeAll, beforeEach, describe, expect, it } from 'vitest';
import type { Sandbox } from '../../sandbox/index.js';
import { startSandbox } from '../../sandbox/index.js';
import type { Config } from '../../src/config/index.js';
import { loadConfig } from '../../src/config/index.js';
import { createOpenHumans } from '../../src/datasources/open-humans.js';
import { createLogger } from '../../src/logger.js';
import { GatewayMetrics } from '../../src/observability/metrics.js';

let sandbox: Sandbox;
let config: Config;
const logger = createLogger({ level: 'silent' });
const P10 = { route: 'P10', method: 'GET', path: '/api/public/projects/' } as const;

beforeAll(async () => {
  sandbox = await startSandbox({ port: 0 });
  config = loadConfig({
    OPENHUMANS_BASE_URL: sandbox.url,
    UPSTREAM_RETRY_BASE_DELAY_MS: '1',
    UPSTREAM_RETRY_MAX_DELAY_MS: '5',
  });
});
afterAll(async () => {
  await sandbox?.close();
});
beforeEach(() => {
  sandbox.clearFaults();
  sandbox.resetCalls();
});

describe('createOpenHumans', () => {
  it('closes the dispatcher it built, once; calls after close fail without reaching the upstream', async () => {
    const client = createOpenHumans(config, { logger });
    await client.http.request(P10);
    await Promise.all([client.close(), client.close()]);
    await expect(client.http.request(P10)).rejects.toMatchObject({
      name: 'UpstreamError',
      kind: 'connection',
    });
    expect(sandbox.calls()).toEqual({ P10: 1 });
  });

  it('leaves an injected dispatcher open', async () => {
    const dispatcher = new Agent();
    try {
      const client = createOpenHumans(config, { logger, dispatcher });
      await client.close();
      const reused = createOpenHumans(config, { logger, dispatcher });
      await expect(reused.http.request(P10)).resolves.toBeDefined();
      await reused.close();
    } finally {
      await dispatcher.close();
    }
  });

  it('shares the public cache across requests and binds direct-sharing to each token', async () => {
    const client = createOpenHumans(config, { logger });
    try {
      const anonymous = client.forRequest({ token: null, tokenMalformed: false });
      const master = client.forRequest({ token: sandbox.masterToken, tokenMalformed: false });
      expect(anonymous.publicApi).not.toBe(master.publicApi);
      await anonymous.publicApi.allProjects();
      await master.publicApi.allProjects();
      expect(sandbox.calls()).toEqual({ P10: 1 });
      await expect(anonymous.directSharing.projectInfo()).rejects.toMatchObject({
        extensions: { code: 'UNAUTHENTICATED' },
      });
      await expect(master.directSharing.projectInfo()).resolves.toMatchObject({
        databaseId: sandbox.projectId,
      });
      expect(sandbox.calls()).toEqual({ P10: 1, D1: 1 });
    } finally {
      await client.close();
    }
  });

  it('wires metrics once: every upstream attempt and the public cache', async () => {
    const metrics = new GatewayMetrics();
    const client = createOpenHumans(config, { logger, metrics });
    try {
      sandbox.setFaults({ rules: [{ route: 'P10', kind: 'status', status: 503, times: 1 }] });
      await client.forRequest({ token: null, tokenMalformed: false }).publicApi.allProjects();
      const text = await metrics.registry.metrics();
      expect(text).toMatch(
        /upstream_requests_total\{route="P10",method="GET",status="503",outcome="status"\} 1/,
      );
      expect(text).toMatch(
        /upstream_requests_total\{route="P10",method="GET",status="200",outcome="ok"\} 1/,
      );
      expect(text).toMatch(/public_cache_misses_total 1/);
    } finally {
      await client.close();
    }
  });

  it("retries a transient 503 by default, and not with resilience: 'none'", async () => {
    for (const [resilience, calls] of [
      [undefined, 2],
      ['none', 1],
    ] as const) {
      sandbox.resetCalls();
      sandbox.setFaults({ rules: [{ route: 'P10', kind: 'status', status: 503, times: 1 }] });
      const client = createOpenHumans(config, { logger, resilience });
      const answer = client.http.request(P10);
      await (calls === 2
        ? expect(answer).resolves.toBeDefined()
        : expect(answer).rejects.toMatchObject({ status: 503 }));
      expect(sandbox.calls()).toEqual({ P10: calls });
      await client.close();
    }
  });
});
