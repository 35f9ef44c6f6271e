/**
 * `Retry-After` on a real local HTTP server (the sandbox never sends it; a proxy in front of
 * Open Humans might): the retry waits at least that long, and does not happen at all when the
 * wait would pass the request's deadline.
 */

import { Agent } from 'undici';
import { afterAll, beforeAll, beforeEach, describe, expect, it } from 'vitest';
import { OpenHumansHttp, UpstreamError } from '../../src/datasources/open-humans-http.js';
import { Deadline, Resilience, withDeadline } from '../../src/datasources/resilience/index.js';
import { parseRetryAfter } from '../../src/datasources/resilience/retry.js';
import { startHttpServer, type TestServer } from '../helpers/http-server.js';

let server: TestServer;
let retryAfter = '1';
let failuresLeft = 0;
const seenAt: number[] = [];
const dispatcher = new Agent();
let http: OpenHumansHttp;

beforeAll(async () => {
  server = await startHttpServer((_req, res) => {
    seenAt.push(Date.now());
    if (failuresLeft > 0) {
      failuresLeft -= 1;
      res
        .writeHead(503, { 'content-type': 'text/html', 'retry-after': retryAfter })
        .end('<h1>busy</h1>');
      return;
    }
    res.writeHead(200, { 'content-type': 'application/json' }).end('{"ok":true}');
  });
  http = new OpenHumansHttp({
    baseUrl: server.url,
    dispatcher,
    headersTimeoutMs: 5_000,
    bodyTimeoutMs: 5_000,
    resilience: new Resilience({
      retry: { maxAttempts: 3, baseDelayMs: 1, maxDelayMs: 1 },
      breaker: { windowSize: 10, minimumCalls: 10, failureRatio: 1, openMs: 1_000 },
      concurrency: { max: 4 },
    }),
  });
});
afterAll(async () => {
  await server?.close();
  await dispatcher.close();
});
beforeEach(() => {
  seenAt.length = 0;
});

describe('Retry-After', () => {
  it('waits at least the announced delay before retrying a GET', async () => {
    failuresLeft = 1;
    retryAfter = '1';
    await expect(http.request({ route: 'P10', method: 'GET', path: '/x' })).resolves.toEqual({
      ok: true,
    });
    expect(seenAt).toHaveLength(2);
    expect((seenAt[1] ?? 0) - (seenAt[0] ?? 0)).toBeGreaterThanOrEqual(950);
  });

  it('does not retry when the announced delay passes the deadline', async () => {
    failuresLeft = 1;
    retryAfter = '30';
    const call = withDeadline(Deadline.after(2_000), () =>
      http.request({ route: 'P10', method: 'GET', path: '/x' }),
    );
    await expect(call).rejects.toBeInstanceOf(UpstreamError);
    expect(seenAt).toHaveLength(1);
  });

  it('parses delay-seconds and HTTP dates', () => {
    expect(parseRetryAfter('2')).toBe(2_000);
    expect(parseRetryAfter(new Date(10_000).toUTCString(), 4_000)).toBe(6_000);
    expect(parseRetryAfter('soon')).toBeUndefined();
    expect(parseRetryAfter(undefined)).toBeUndefined();
  });
});
