/**
 * Memory and connections, against the real server (`startServer`) and the sandbox over
 * loopback: small default body limit decided before buffering, a minimum body rate (uploads
 * included, backpressure excepted), the header timeout, and connection caps per client address
 * and overall. Distinct 127.0.0.x source addresses stand for distinct clients.
 */
import type { Socket } from 'node:net';
import { connect } from 'node:net';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { Sandbox } from '../../sandbox/index.js';
import { startSandbox } from '../../sandbox/index.js';
import { loadConfig } from '../../src/config/index.js';
import { createLogger } from '../../src/logger.js';
import type { RunningServer } from '../../src/server.js';
import { startServer } from '../../src/server.js';
import {
  holdConnections,
  multipartHead,
  multipartHeaders,
  multipartTail,
  streamRequest,
  trickle,
  uploadOperations,
  zeroes,
} from './abuse-client.js';

const MiB = 1024 * 1024;
const json = { 'content-type': 'application/json', accept: 'application/json' };

let sandbox: Sandbox;
let running: RunningServer;
let port: number;

beforeAll(async () => {
  sandbox = await startSandbox({ port: 0 });
  const config = loadConfig({
    OPENHUMANS_BASE_URL: sandbox.url,
    HOST: '127.0.0.1',
    PORT: '0',
    LOG_LEVEL: 'silent',
    RATE_LIMIT_PER_SECOND: '0',
    GRAPHIQL: 'false',
    HEADERS_TIMEOUT_MS: '2000',
    BODY_RATE_WINDOW_MS: '500',
    BODY_MIN_BYTES_PER_WINDOW: '100',
    MAX_CONNECTIONS_PER_CLIENT: '5',
    MAX_CONNECTIONS: '20',
  });
  running = await startServer(config, { logger: createLogger({ level: 'silent' }) });
  port = Number(new URL(running.url).port);
});
afterAll(async () => {
  await running?.close(0);
  await sandbox?.close();
});

const base = (): string => `http://127.0.0.1:${port}`;
const typename = (localAddress?: string) =>
  streamRequest(base(), {
    path: '/graphql',
    headers: json,
    body: [Buffer.from('{"query":"{ __typename }"}')],
    localAddress,
  });

describe('MAX_BODY_BYTES (1 MiB by default)', () => {
  it('20 concurrent 5 MB JSON bodies with Content-Length: 413 BODY_TOO_LARGE each, RSS grows far less than the bodies', async () => {
    const before = process.memoryUsage().rss;
    const results = await Promise.all(
      Array.from({ length: 20 }, () =>
        streamRequest(base(), {
          path: '/graphql',
          headers: { ...json, 'content-length': String(5 * MiB) },
          body: (function* () {
            yield Buffer.from('{"query":"{ __typename }","variables":{"a":"');
            yield* zeroes(5 * MiB - 48);
            yield Buffer.from('"}');
          })(),
        }),
      ),
    );
    const grown = process.memoryUsage().rss - before;
    for (const res of results) {
      expect(res.status, res.text).toBe(413);
      expect(res.json?.errors?.[0]?.extensions).toMatchObject({
        code: 'BAD_USER_INPUT',
        reason: 'BODY_TOO_LARGE',
        maxBytes: MiB,
      });
    }
    // 100 MB were offered; buffering them (let alone parsing) would grow RSS by more than that.
    expect(grown).toBeLessThan(60 * MiB);
  });

  it('a chunked body (no Content-Length) is cut at the limit while streaming', async () => {
    const res = await streamRequest(base(), {
      path: '/graphql',
      headers: json,
      body: (function* () {
        yield Buffer.from('{"query":"{ __typename }","variables":{"a":"');
        yield* zeroes(5 * MiB);
        yield Buffer.from('"}');
      })(),
    });
    expect(res.status).toBe(413);
    expect(res.json?.errors?.[0]?.extensions?.reason).toBe('BODY_TOO_LARGE');
  });

  it('a multipart body anywhere but the upload endpoint is cut like any other (yoga adds no limit of its own)', async () => {
    const res = await streamRequest(base(), {
      path: '/subgraph',
      headers: multipartHeaders(sandbox.masterToken),
      body: (function* () {
        yield multipartHead(uploadOperations('12345678'), { '0': ['variables.input.file'] }, '0');
        yield* zeroes(5 * MiB);
        yield multipartTail();
      })(),
    });
    expect(res.status).toBe(413);
    expect(res.json?.errors?.[0]?.extensions?.reason).toBe('BODY_TOO_LARGE');
    expect(res.sentBytes).toBeLessThan(5 * MiB);
  });

  it('a body under the limit, chunked or not, runs as usual', async () => {
    const padded = `{"query":"{ __typename }","variables":{"pad":"${'x'.repeat(900 * 1024)}"}}`;
    const chunked = await streamRequest(base(), {
      path: '/graphql',
      headers: json,
      body: [Buffer.from(padded)],
    });
    expect(chunked.status).toBe(200);
    expect(chunked.json?.data).toEqual({ __typename: 'Query' });
    const sized = await streamRequest(base(), {
      path: '/graphql',
      headers: { ...json, 'content-length': String(Buffer.byteLength(padded)) },
      body: [Buffer.from(padded)],
    });
    expect(sized.json?.data).toEqual({ __typename: 'Query' });
  });
});

describe('slow clients', () => {
  it('a trickling body (under BODY_MIN_BYTES_PER_WINDOW per window) is answered 408 BODY_TOO_SLOW and cut', async () => {
    let cut = false;
    const res = await streamRequest(base(), {
      path: '/graphql',
      headers: { ...json, 'content-length': '10000' },
      body: trickle(10_000, 50, () => cut),
    });
    cut = true;
    expect(res.status).toBe(408);
    expect(res.json?.errors?.[0]?.extensions).toMatchObject({
      code: 'BAD_USER_INPUT',
      reason: 'BODY_TOO_SLOW',
    });
    expect(res.sentBytes).toBeLessThan(200);
  });

  it('a trickling upload is cut the same way', async () => {
    let cut = false;
    const res = await streamRequest(base(), {
      path: '/graphql',
      headers: multipartHeaders(sandbox.masterToken),
      body: (async function* () {
        yield multipartHead(uploadOperations('12345678'), { '0': ['variables.input.file'] }, '0');
        yield* trickle(10_000, 50, () => cut);
      })(),
    });
    cut = true;
    expect(res.status).toBe(408);
    expect(res.json?.errors?.[0]?.extensions?.reason).toBe('BODY_TOO_SLOW');
  });

  it('an upload held back by the gateway itself (slow upstream before the file is read) is not cut', async () => {
    const member = Object.values(sandbox.memberTokens)[0] as string;
    sandbox.setLatency({ ms: 1_500, jitterMs: 0 });
    try {
      const res = await streamRequest(base(), {
        path: '/graphql',
        headers: multipartHeaders(member),
        body: (function* () {
          yield multipartHead(uploadOperations(), { '0': ['variables.input.file'] }, '0');
          yield* zeroes(8 * MiB);
          yield multipartTail();
        })(),
      });
      expect(res.status).toBe(200);
      expect(res.json?.data).toMatchObject({
        uploadDataFile: { __typename: 'UploadDataFilePayload', size: 8 * MiB },
      });
    } finally {
      sandbox.setLatency({ ms: 0, jitterMs: 0 });
    }
  });

  it('headers that never finish get 408 from the header timeout', async () => {
    const socket = connect({ port, host: '127.0.0.1' });
    socket.write('POST /graphql HTTP/1.1\r\nHost: x\r\n');
    const answer = await new Promise<string>((resolve) => {
      let text = '';
      socket.on('data', (d: Buffer) => (text += d.toString()));
      socket.on('close', () => resolve(text));
      socket.on('error', () => undefined);
    });
    expect(answer).toMatch(/^HTTP\/1\.1 408/);
  });
});

const connections = (): Promise<number> =>
  new Promise((resolve, reject) =>
    running.server.getConnections((err, n) => (err ? reject(err) : resolve(n))),
  );

async function until(check: () => Promise<boolean>, what: string): Promise<void> {
  for (let i = 0; i < 300; i++) {
    if (await check()) return;
    await new Promise((r) => setTimeout(r, 10));
  }
  throw new Error(`timed out waiting for ${what}`);
}

describe('connection caps', () => {
  const open = (sockets: Socket[]): number =>
    sockets.filter((s) => !s.destroyed && s.readyState === 'open').length;

  it('MAX_CONNECTIONS_PER_CLIENT: one address holds at most 5; other clients are served; freed slots come back', async () => {
    const held = await holdConnections(port, 12, '127.0.0.3');
    expect(open(held)).toBe(5);
    const other = await typename('127.0.0.4');
    expect(other.json?.data).toEqual({ __typename: 'Query' });
    const same = await typename('127.0.0.3');
    expect(same.status).toBeNull();
    for (const s of held) s.destroy();
    // The slots come back when the server sees the sockets close: wait for that, not a fixed time.
    await until(
      async () => (await typename('127.0.0.3')).status === 200,
      'a freed slot for 127.0.0.3',
    );
    expect((await typename('127.0.0.3')).json?.data).toEqual({ __typename: 'Query' });
  });

  it('MAX_CONNECTIONS: past 20 open connections overall, new ones are dropped until some close', async () => {
    await until(async () => (await connections()) === 0, 'earlier connections to close');
    const groups = await Promise.all(
      ['127.0.0.5', '127.0.0.6', '127.0.0.7', '127.0.0.8'].map((a) => holdConnections(port, 5, a)),
    );
    const held = groups.flat();
    expect(open(held)).toBe(20);
    expect((await typename('127.0.0.9')).status).toBeNull();
    for (const s of held.slice(0, 5)) s.destroy();
    await until(
      async () => (await typename('127.0.0.9')).status === 200,
      'a freed connection slot',
    );
    expect((await typename('127.0.0.9')).json?.data).toEqual({ __typename: 'Query' });
    for (const s of held) s.destroy();
  });
});
