import { promisify } from 'node:util';
import zlib from 'node:zlib';
import { serverAudits } from 'graphql-http';
import { createSchema } from 'graphql-yoga';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { UpstreamError } from '../../src/datasources/upstream-error.js';
import { GatewayError } from '../../src/errors.js';
import { closedPort } from '../helpers/http-server.js';
import type { Stack } from '../helpers/stack.js';
import { findSecrets, startStack } from '../helpers/stack.js';

const FAKE_TOKEN = 'fake-token-in-an-error-0001';

/** A tiny schema: this file tests the server around the graph, not the graph. */
const schema = createSchema({
  typeDefs: /* GraphQL */ `
    type Query {
      ping: String
      big: String
      boom: String
      upstreamDown: String
      gatewayError: String
    }
  `,
  resolvers: {
    Query: {
      ping: () => 'pong',
      big: () => 'x'.repeat(20_000),
      boom: () => {
        throw new Error(`internal detail with access_token=${FAKE_TOKEN}`);
      },
      upstreamDown: () => {
        throw new UpstreamError('timeout', {
          route: 'P1',
          method: 'GET',
          url: 'http://upstream/api/public/datafiles/',
          hadToken: false,
        });
      },
      gatewayError: () => {
        throw new GatewayError('NOT_FOUND', 'No such project.');
      },
    },
  },
});

const gunzip = promisify(zlib.gunzip);
const brotliDecompress = promisify(zlib.brotliDecompress);

let stack: Stack;

beforeAll(async () => {
  stack = await startStack({ schema });
});

afterAll(async () => {
  await stack?.close();
});

const post = (query: string, headers: Record<string, string> = {}) =>
  stack.fetch('/graphql', {
    method: 'POST',
    headers: { 'content-type': 'application/json', ...headers },
    body: JSON.stringify({ query }),
  });

describe('health and readiness', () => {
  it('/health answers 200 without touching the upstream', async () => {
    stack.sandbox.resetCalls();
    const res = await stack.fetch('/health');
    expect(res.status).toBe(200);
    expect(Object.values(stack.sandbox.calls()).reduce((a, b) => a + b, 0)).toBe(0);
  });

  it('/readiness checks the upstream once and remembers the answer briefly', async () => {
    stack.sandbox.resetCalls();
    const first = await stack.fetch('/readiness');
    expect(first.status).toBe(200);
    expect(await first.json()).toEqual({ status: 'ready' });
    const again = await stack.fetch('/readiness');
    expect(again.status).toBe(200);
    expect(stack.sandbox.calls().P3).toBe(1);
  });

  it('/readiness answers 503 when the upstream cannot be reached', async () => {
    const down = await startStack({
      schema,
      sandbox: stack.sandbox,
      env: { OPENHUMANS_BASE_URL: `http://127.0.0.1:${await closedPort()}` },
    });
    try {
      const res = await down.fetch('/readiness');
      expect(res.status).toBe(503);
      expect(await res.json()).toEqual({ status: 'unavailable', reason: 'upstream connection' });
    } finally {
      await down.close();
    }
  });
});

describe('GraphiQL', () => {
  const page = (acceptEncoding?: string) =>
    stack.fetch('/graphql', {
      headers: {
        accept: 'text/html',
        ...(acceptEncoding ? { 'accept-encoding': acceptEncoding } : {}),
      },
    });

  /** No reference to any external host in src/href attributes, no CDN names. */
  function expectOffline(html: string): void {
    expect(html).toContain('<title>Open Humans GraphQL</title>');
    expect(html).not.toMatch(/unpkg|jsdelivr|cdnjs|googleapis/i);
    expect(html).not.toMatch(/<(script|link|img)[^>]+(src|href)=["']?(https?:)?\/\//i);
  }

  it('is served offline, brotli-compressed when accepted', async () => {
    const res = await page('gzip, deflate, br');
    expect(res.status).toBe(200);
    expect(res.headers.get('content-type')).toMatch(/^text\/html/);
    expect(res.headers.get('content-encoding')).toBe('br');
    const compressed = Buffer.from(await res.arrayBuffer());
    const html = (await brotliDecompress(compressed)).toString('utf8');
    expect(compressed.length).toBeLessThan(html.length / 3);
    expectOffline(html);
  });

  it('is gzip-compressed for clients without brotli, and plain for clients without either', async () => {
    const gz = await page('gzip');
    expect(gz.headers.get('content-encoding')).toBe('gzip');
    expectOffline((await gunzip(Buffer.from(await gz.arrayBuffer()))).toString('utf8'));
    const plain = await page();
    expect(plain.headers.get('content-encoding')).toBeNull();
    expectOffline(await plain.text());
  });

  it('is not served when GRAPHIQL=false', async () => {
    const off = await startStack({ schema, sandbox: stack.sandbox, env: { GRAPHIQL: 'false' } });
    try {
      const res = await off.fetch('/graphql', { headers: { accept: 'text/html' } });
      expect(res.headers.get('content-type') ?? '').not.toMatch(/text\/html/);
    } finally {
      await off.close();
    }
  });
});

describe('responses', () => {
  it('compresses large JSON results when the client accepts it', async () => {
    const res = await post('{ big }', { 'accept-encoding': 'gzip' });
    expect(res.headers.get('content-encoding')).toBe('gzip');
    const body = JSON.parse(
      (await gunzip(Buffer.from(await res.arrayBuffer()))).toString('utf8'),
    ) as { data: { big: string } };
    expect(body.data.big).toHaveLength(20_000);
    const small = await post('{ ping }', { 'accept-encoding': 'gzip' });
    expect(small.headers.get('content-encoding')).toBeNull();
    expect(await small.json()).toEqual({ data: { ping: 'pong' } });
  });

  it('echoes a well-formed x-request-id, replaces a malformed one, generates one when missing', async () => {
    const echoed = await post('{ ping }', { 'x-request-id': 'client-req-42' });
    expect(echoed.headers.get('x-request-id')).toBe('client-req-42');
    const replaced = await post('{ ping }', { 'x-request-id': 'bad id\twith "quotes"' });
    expect(replaced.headers.get('x-request-id')).toMatch(/^[0-9a-f-]{36}$/);
    const generated = await post('{ ping }');
    expect(generated.headers.get('x-request-id')).toMatch(/^[0-9a-f-]{36}$/);
    expect(generated.headers.get('x-request-id')).not.toBe(replaced.headers.get('x-request-id'));
    expect(stack.logLines.some((l) => l.includes('"requestId":"client-req-42"'))).toBe(true);
  });

  it('masks unexpected errors, logs them once with the request id, and leaks no secret', async () => {
    const res = await post('{ ping boom }', { 'x-request-id': 'masking-test-1' });
    const body = (await res.json()) as {
      data: unknown;
      errors: { message: string; extensions: Record<string, unknown> }[];
    };
    expect(body.data).toEqual({ ping: 'pong', boom: null });
    expect(body.errors).toHaveLength(1);
    expect(body.errors[0]?.message).toBe('Unexpected error.');
    expect(body.errors[0]?.extensions.code).toBe('INTERNAL_SERVER_ERROR');
    expect(JSON.stringify(body)).not.toContain('internal detail');
    const lines = stack.logLines.filter(
      (l) => l.includes('masking-test-1') && l.includes('"level":"error"'),
    );
    expect(lines.length).toBeGreaterThanOrEqual(1);
    expect(lines.join('\n')).toContain('internal detail');
    expect(findSecrets(stack.logLines, [FAKE_TOKEN])).toEqual([]);
  });

  it('maps an upstream failure that reached the top through the one mapping, with its path', async () => {
    const res = await post('{ upstreamDown }');
    const body = (await res.json()) as {
      errors: { message: string; path: string[]; extensions: Record<string, unknown> }[];
    };
    expect(body.errors[0]?.extensions.code).toBe('UPSTREAM_UNAVAILABLE');
    expect(body.errors[0]?.path).toEqual(['upstreamDown']);
    expect(body.errors[0]?.message).toMatch(/did not answer in time/);
  });

  it('passes GatewayErrors through unchanged', async () => {
    const res = await post('{ gatewayError }');
    const body = (await res.json()) as {
      errors: { message: string; extensions: Record<string, unknown> }[];
    };
    expect(body.errors[0]).toMatchObject({
      message: 'No such project.',
      extensions: { code: 'NOT_FOUND' },
    });
  });
});

describe('CORS', () => {
  const preflight = (s: Stack, origin: string) =>
    s.fetch('/graphql', {
      method: 'OPTIONS',
      headers: {
        origin,
        'access-control-request-method': 'POST',
        'access-control-request-headers': 'content-type,authorization',
      },
    });

  it('allows no cross-origin use by default', async () => {
    const res = await preflight(stack, 'https://evil.example.org');
    expect(res.headers.get('access-control-allow-origin')).toBeNull();
    const get = await post('{ ping }', { origin: 'https://evil.example.org' });
    expect(get.headers.get('access-control-allow-origin')).toBeNull();
  });

  it('allows exactly the origins in CORS_ORIGINS', async () => {
    const s = await startStack({
      schema,
      sandbox: stack.sandbox,
      env: { CORS_ORIGINS: 'https://app.example.org,https://b.example.org' },
    });
    try {
      const ok = await preflight(s, 'https://app.example.org');
      expect(ok.headers.get('access-control-allow-origin')).toBe('https://app.example.org');
      expect(ok.headers.get('access-control-allow-headers')).toContain('authorization');
      expect(ok.headers.get('access-control-allow-credentials')).toBeNull();
      const other = await preflight(s, 'https://evil.example.org');
      expect(other.headers.get('access-control-allow-origin')).toBeNull();
      const res = await s.fetch('/graphql', {
        method: 'POST',
        headers: { 'content-type': 'application/json', origin: 'https://b.example.org' },
        body: JSON.stringify({ query: '{ ping }' }),
      });
      expect(res.headers.get('access-control-allow-origin')).toBe('https://b.example.org');
      expect(res.headers.get('access-control-expose-headers')).toContain('x-request-id');
    } finally {
      await s.close();
    }
  });
});

describe('GraphQL over HTTP', () => {
  it('passes every graphql-http server audit over a real socket', async () => {
    const url = `${await stack.listen()}/graphql`;
    const results = await Promise.all(serverAudits({ url }).map((audit) => audit.fn()));
    const notOk = results.filter((r) => r.status !== 'ok').map((r) => `${r.status}: ${r.name}`);
    expect(notOk).toEqual([]);
    expect(results.length).toBeGreaterThan(50);
  });
});
