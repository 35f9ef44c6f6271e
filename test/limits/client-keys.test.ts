/**
 * Over real loopback sockets: the rate limit keys on what a client cannot invent (a
 * random-token flood from one address is throttled; a spoofed X-Forwarded-For changes nothing),
 * `/subgraph` is off by default and refuses a wrong secret before reading the body, and
 * `/metrics` is never public by accident.
 */
import { randomBytes } from 'node:crypto';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { Sandbox } from '../../sandbox/index.js';
import { startSandbox } from '../../sandbox/index.js';
import { loadConfig } from '../../src/config/index.js';
import { createLogger } from '../../src/logger.js';
import { startServer } from '../../src/server.js';
import { freePort } from '../helpers/free-port.js';
import type { ListeningGateway } from './abuse-support.js';
import { post, startGatewayOn, totalCalls } from './abuse-support.js';

let sandbox: Sandbox;
const started: { close(): Promise<void> }[] = [];

async function gateway(env: Record<string, string> = {}): Promise<ListeningGateway> {
  const gw = await startGatewayOn(sandbox.url, env);
  started.push(gw);
  return gw;
}

beforeAll(async () => {
  sandbox = await startSandbox({ port: 0 });
});

afterAll(async () => {
  for (const s of started.reverse()) await s.close();
  await sandbox?.close();
});

const PROVE = { query: '{ viewer { project { name } } }' };
const randomToken = (): string => randomBytes(15).toString('hex');

describe('rate-limit keys', () => {
  it('a random-token flood from one address gets 429, costs few upstream calls, and spares a proven token', async () => {
    const gw = await gateway({ RATE_LIMIT_PER_SECOND: '1', RATE_LIMIT_BURST: '20' });
    const master = { authorization: `Bearer ${sandbox.masterToken}` };
    expect((await post(gw.url, '/graphql', PROVE, master)).status).toBe(200); // proven: own bucket from now on
    sandbox.resetCalls();
    const statuses: number[] = [];
    const startedAt = Date.now();
    for (let i = 0; i < 200; i += 1) {
      statuses.push(
        (await post(gw.url, '/graphql', PROVE, { authorization: `Bearer ${randomToken()}` }))
          .status,
      );
    }
    // The bucket held 19, and each refused token costs its address twice (the request, then
    // the 401); it refilled 1 per second meanwhile (a refill lets one more through). Keyed by
    // token alone, all 200 passed.
    const refilled = Math.ceil((Date.now() - startedAt) / 1000);
    const bound = Math.ceil(19 / 2) + refilled + 1;
    const passed = statuses.filter((s) => s !== 429).length;
    expect(passed).toBeGreaterThan(0);
    expect(passed).toBeLessThanOrEqual(bound);
    expect(totalCalls(sandbox)).toBeLessThanOrEqual(bound);
    // The proven token still has its own bucket; an unproven one shares the address's, now empty.
    expect((await post(gw.url, '/graphql', PROVE, master)).status).toBe(200);
    const second = { authorization: `Bearer ${sandbox.secondProject.masterToken}` };
    expect((await post(gw.url, '/graphql', PROVE, second)).status).toBe(429);
  });

  it('a spoofed first X-Forwarded-For entry changes nothing (TRUST_PROXY=1)', async () => {
    const gw = await gateway({
      RATE_LIMIT_PER_SECOND: '1',
      RATE_LIMIT_BURST: '5',
      TRUST_PROXY: '1',
    });
    const statuses: number[] = [];
    for (let i = 0; i < 20; i += 1) {
      const spoofed = `198.51.100.${i + 1}, 203.0.113.7`; // the proxy (our socket peer) appended the last one
      statuses.push(
        (
          await post(
            gw.url,
            '/graphql',
            { query: '{ __typename }' },
            { 'x-forwarded-for': spoofed },
          )
        ).status,
      );
    }
    expect(statuses).toEqual([...Array(5).fill(200), ...Array(15).fill(429)]);
    // Another client behind the same proxy has its own bucket.
    expect(
      (
        await post(
          gw.url,
          '/graphql',
          { query: '{ __typename }' },
          { 'x-forwarded-for': '203.0.113.7, 203.0.113.8' },
        )
      ).status,
    ).toBe(200);
  });

  it('without TRUST_PROXY, X-Forwarded-For is ignored and loopback is limited like any address', async () => {
    const gw = await gateway({ RATE_LIMIT_PER_SECOND: '1', RATE_LIMIT_BURST: '3' });
    const statuses: number[] = [];
    for (let i = 0; i < 6; i += 1) {
      statuses.push(
        (
          await post(
            gw.url,
            '/graphql',
            { query: '{ __typename }' },
            { 'x-forwarded-for': `192.0.2.${i}` },
          )
        ).status,
      );
    }
    expect(statuses).toEqual([200, 200, 200, 429, 429, 429]);
  });
});

describe('/subgraph', () => {
  it("shares the client's rate-limit bucket with /graphql", async () => {
    const secret = 'client-keys-subgraph-secret-02';
    const gw = await gateway({
      SUBGRAPH_SECRET: secret,
      RATE_LIMIT_PER_SECOND: '1',
      RATE_LIMIT_BURST: '3',
    });
    const statuses: number[] = [];
    for (const path of ['/graphql', '/subgraph', '/graphql', '/subgraph', '/subgraph']) {
      statuses.push(
        (await post(gw.url, path, { query: '{ __typename }' }, { 'x-subgraph-secret': secret }))
          .status,
      );
    }
    expect(statuses).toEqual([200, 200, 200, 429, 429]);
  });

  it('answers 404 by default', async () => {
    const gw = await gateway();
    const res = await fetch(`${gw.url}/subgraph`, {
      method: 'POST',
      headers: { 'content-type': 'application/json' },
      body: '{"query":"{ _service { sdl } }"}',
    });
    expect(res.status).toBe(404);
  });

  it('answers 403 to a wrong secret before reading the body, 200 to the right one', async () => {
    const secret = 'client-keys-subgraph-secret-01';
    const gw = await gateway({ SUBGRAPH_SECRET: secret });
    // Not even valid JSON: a 403 (not a 400) shows the body was never parsed.
    const wrong: Record<string, string>[] = [{}, { 'x-subgraph-secret': 'nope' }];
    for (const headers of wrong) {
      const res = await fetch(`${gw.url}/subgraph`, {
        method: 'POST',
        headers: { 'content-type': 'application/json', ...headers },
        body: '{not json',
      });
      expect(res.status).toBe(403);
      expect(
        ((await res.json()) as { errors: { extensions: { code: string } }[] }).errors[0]?.extensions
          .code,
      ).toBe('FORBIDDEN');
    }
    const ok = await post(
      gw.url,
      '/subgraph',
      { query: '{ _service { sdl } }' },
      { 'x-subgraph-secret': secret },
    );
    expect(ok.status).toBe(200);
    expect(JSON.stringify(ok.body.data)).toContain('@key');
  });
});

describe('/metrics', () => {
  const token = 'client-keys-metrics-token-0001';

  it('is not served on the public port by default', async () => {
    const gw = await gateway();
    expect((await fetch(`${gw.url}/metrics`)).status).toBe(404);
  });

  it('needs the bearer token with METRICS_TOKEN', async () => {
    const gw = await gateway({ METRICS_TOKEN: token });
    expect((await fetch(`${gw.url}/metrics`)).status).toBe(401);
    expect(
      (await fetch(`${gw.url}/metrics`, { headers: { authorization: 'Bearer wrong-token' } }))
        .status,
    ).toBe(401);
    const ok = await fetch(`${gw.url}/metrics`, { headers: { authorization: `Bearer ${token}` } });
    expect(ok.status).toBe(200);
    expect(await ok.text()).toContain('graphql_request_duration_seconds');
  });

  it('is served on METRICS_PORT only, not on the public port', async () => {
    const metricsPort = await freePort();
    const config = loadConfig({
      OPENHUMANS_BASE_URL: sandbox.url,
      PORT: '0',
      HOST: '127.0.0.1',
      METRICS_PORT: String(metricsPort),
      LOG_LEVEL: 'silent',
      GRAPHIQL: 'false',
    });
    const running = await startServer(config, { logger: createLogger({ level: 'silent' }) });
    started.push({ close: () => running.close(1_000) });
    expect((await fetch(`${running.url}/metrics`)).status).toBe(404);
    expect(running.metricsUrl).toBe(`http://127.0.0.1:${metricsPort}`);
    const res = await fetch(`${running.metricsUrl}/metrics`);
    expect(res.status).toBe(200);
    expect(await res.text()).toContain('upstream_requests_total');
    expect((await fetch(`${running.metricsUrl}/graphql`)).status).toBe(404);
  });
});
