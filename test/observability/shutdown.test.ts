/**
 * Graceful shutdown (what SIGTERM runs): a request in flight when `close()` starts completes
 * normally; new connections are refused afterwards.
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { Sandbox } from '../../sandbox/index.js';
import { startSandbox } from '../../sandbox/index.js';
import { loadConfig } from '../../src/config/index.js';
import { createLogger } from '../../src/logger.js';
import { startServer } from '../../src/server.js';

let sandbox: Sandbox;

beforeAll(async () => {
  // Slow upstream answers keep the request in flight while the server closes.
  sandbox = await startSandbox({ port: 0, latency: { ms: 400, jitterMs: 0 } });
});

afterAll(async () => {
  await sandbox?.close();
});

async function until(condition: () => boolean): Promise<void> {
  while (!condition()) await new Promise((resolve) => setTimeout(resolve, 5));
}

describe('graceful shutdown', () => {
  it('drains the request in flight, then refuses new connections', async () => {
    const config = loadConfig({
      OPENHUMANS_BASE_URL: sandbox.url,
      PORT: '0',
      HOST: '127.0.0.1',
      GRAPHIQL: 'false',
    });
    const running = await startServer(config, { logger: createLogger({ level: 'silent' }) });
    const url = running.url.replace('localhost', '127.0.0.1');
    sandbox.resetCalls();
    const inFlight = fetch(`${url}/graphql`, {
      method: 'POST',
      headers: { 'content-type': 'application/json' },
      body: JSON.stringify({ query: '{ dataFiles(first: 2) { totalCount } }' }),
    });
    // Close once the upstream call has started (the request is in flight).
    await until(() => Object.values(sandbox.calls() as Record<string, number>).some((n) => n > 0));
    const closed = running.close(10_000);
    const res = await inFlight;
    expect(res.status).toBe(200);
    const body = (await res.json()) as { data: { dataFiles: { totalCount: number } } };
    expect(body.data.dataFiles.totalCount).toBeGreaterThan(0);
    await closed;
    await expect(fetch(`${url}/health`)).rejects.toThrow();
  });
});
