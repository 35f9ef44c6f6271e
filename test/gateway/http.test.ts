import { readFile } from 'node:fs/promises';
import { Readable } from 'node:stream';
import { Agent } from 'undici';
import { afterAll, afterEach, beforeAll, describe, expect, it } from 'vitest';
import type { UpstreamCallEvent, UpstreamRequest } from '../../src/datasources/open-humans-http.js';
import {
  OpenHumansHttp,
  toGatewayError,
  UpstreamError,
} from '../../src/datasources/open-humans-http.js';
import { GatewayError } from '../../src/errors.js';
import { USER_AGENT, VERSION } from '../../src/version.js';
import type { TestServer } from '../helpers/http-server.js';
import { closedPort, startHttpServer } from '../helpers/http-server.js';

const TOKEN = 'fake-test-token-0001'; // obviously fake
const DJANGO_500 = `<!DOCTYPE html><html><head><title>Server Error (500)</title></head>
<body><h1>Server Error (500)</h1><p>GET /api/x/?access_token=${TOKEN}</p></body></html>`;

/** Routes of the fake upstream, keyed by path. */
const routes: Record<string, (res: import('node:http').ServerResponse, body: Buffer) => void> = {
  '/ok/': (res) => json(res, 200, { count: 1, results: [{ id: 1 }] }),
  '/empty/': (res) => res.writeHead(204).end(),
  '/echo/': (res, body) => json(res, 200, { received: body.toString('utf8') }),
  '/html-200/': (res) => res.writeHead(200, { 'content-type': 'text/html' }).end(DJANGO_500),
  '/truncated/': (res) =>
    res
      .writeHead(200, { 'content-type': 'application/json' })
      .end('{"count": 3, "results": [{"id": 1'),
  '/reset-mid-body/': (res) => {
    res.writeHead(200, { 'content-type': 'application/json', 'content-length': '1000' });
    res.write('{"count": 3, ');
    setTimeout(() => res.socket?.destroy(), 20);
  },
  '/hang/': () => undefined,
  '/hang-body/': (res) => {
    res.writeHead(200, { 'content-type': 'application/json' });
    res.write('{"count": ');
  },
  '/big/': (res) => json(res, 200, { blob: 'x'.repeat(5000) }),
  '/trickle/': (res) => {
    res.writeHead(200, { 'content-type': 'application/json' });
    const timer = setInterval(() => res.write(' '), 50);
    res.on('close', () => clearInterval(timer));
  },
};

function json(res: import('node:http').ServerResponse, status: number, body: unknown): void {
  res.writeHead(status, { 'content-type': 'application/json' }).end(JSON.stringify(body));
}

let server: TestServer;
let dispatcher: Agent;
let http: OpenHumansHttp;
const events: UpstreamCallEvent[] = [];

beforeAll(async () => {
  server = await startHttpServer((req, res, body) => {
    const url = new URL(req.url ?? '/', 'http://x');
    const status = /^\/status\/(\d+)\/$/.exec(url.pathname)?.[1];
    if (status) {
      const code = Number(status);
      const detail = url.searchParams.get('detail');
      if (url.searchParams.get('html'))
        return void res.writeHead(code, { 'content-type': 'text/html' }).end(DJANGO_500);
      if (url.searchParams.get('fields'))
        return json(res, code, {
          file_id: ['Enter a whole number.'],
          project_member_id: 'project_member_id is invalid',
        });
      return json(res, code, { detail: detail ?? `status ${code}` });
    }
    const route = routes[url.pathname];
    if (route) return route(res, body);
    json(res, 404, { detail: 'Not found.' });
  });
  dispatcher = new Agent({ connect: { timeout: 1_000 } });
  http = new OpenHumansHttp({
    baseUrl: `${server.url}/`,
    dispatcher,
    headersTimeoutMs: 300,
    bodyTimeoutMs: 300,
    maxResponseBytes: 4096,
    onCall: (e) => events.push(e),
  });
});

afterAll(async () => {
  await dispatcher.close();
  await server.close();
});

afterEach(() => {
  events.length = 0;
});

const get = (path: string, extra: Partial<UpstreamRequest> = {}): Promise<unknown> =>
  http.request({ route: 'P1', method: 'GET', path, ...extra });

async function failure(promise: Promise<unknown>): Promise<UpstreamError> {
  try {
    await promise;
  } catch (err) {
    expect(err).toBeInstanceOf(UpstreamError);
    return err as UpstreamError;
  }
  throw new Error('expected the call to fail');
}

/** The client-facing error: code, reason and everything a client could read. */
function mapped(err: UpstreamError): {
  code: unknown;
  reason: unknown;
  message: string;
  wire: string;
} {
  const g = toGatewayError(err);
  expect(g).toBeInstanceOf(GatewayError);
  const ge = g as GatewayError;
  return {
    code: ge.extensions.code,
    reason: ge.extensions.reason,
    message: ge.message,
    wire: JSON.stringify(ge.toJSON()),
  };
}

describe('OpenHumansHttp: requests', () => {
  it('resolves the path against the base URL, sends the User-Agent and asks for JSON', async () => {
    await expect(
      get('/ok/', { query: { limit: 5, offset: undefined, include_children: true } }),
    ).resolves.toEqual({
      count: 1,
      results: [{ id: 1 }],
    });
    const seen = server.requests.at(-1);
    expect(seen?.url).toBe('/ok/?limit=5&include_children=true');
    expect(seen?.headers['user-agent']).toBe(USER_AGENT);
    expect(seen?.headers.accept).toBe('application/json');
    expect(events).toMatchObject([{ route: 'P1', method: 'GET', status: 200, outcome: 'ok' }]);
  });

  it('keeps the version equal to package.json', async () => {
    const pkg = JSON.parse(
      await readFile(new URL('../../package.json', import.meta.url), 'utf8'),
    ) as { version: string };
    expect(VERSION).toBe(pkg.version);
  });

  it('sends the token as a header or as ?access_token=, per request', async () => {
    await get('/ok/', { auth: { token: TOKEN, via: 'header' } });
    let seen = server.requests.at(-1);
    expect(seen?.headers.authorization).toBe(`Bearer ${TOKEN}`);
    expect(seen?.url).toBe('/ok/');
    await get('/ok/', { auth: { token: TOKEN, via: 'query' } });
    seen = server.requests.at(-1);
    expect(seen?.headers.authorization).toBeUndefined();
    expect(seen?.url).toBe(`/ok/?access_token=${TOKEN}`);
  });

  it('refuses absolute URLs and protocol-relative paths (no requests to other hosts)', async () => {
    await expect(get('https://evil.example/')).rejects.toThrow(/relative/);
    await expect(get('//evil.example/')).rejects.toThrow(/relative/);
  });

  it('answers undefined for an empty body', async () => {
    await expect(get('/empty/')).resolves.toBeUndefined();
  });

  it('POSTs JSON, form and streamed multipart bodies', async () => {
    await http.request({ route: 'D4', method: 'POST', path: '/echo/', body: { json: { a: 1 } } });
    expect(server.requests.at(-1)?.headers['content-type']).toBe('application/json');
    expect(server.requests.at(-1)?.body.toString()).toBe('{"a":1}');

    await http.request({
      route: 'D4',
      method: 'POST',
      path: '/echo/',
      body: { form: { subject: 'hi there', message: 'a&b' } },
    });
    expect(server.requests.at(-1)?.headers['content-type']).toBe(
      'application/x-www-form-urlencoded',
    );
    expect(server.requests.at(-1)?.body.toString()).toBe('subject=hi+there&message=a%26b');

    const form = new FormData();
    form.set('project_member_id', '12345678');
    form.set('data_file', new Blob(['x'.repeat(2000)]), 'data.csv');
    await http.request({ route: 'D6', method: 'POST', path: '/echo/', body: { multipart: form } });
    const multipart = server.requests.at(-1);
    expect(multipart?.headers['content-type']).toMatch(/^multipart\/form-data; boundary=/);
    expect(multipart?.body.toString()).toContain('name="data_file"; filename="data.csv"');
    expect(multipart?.body.toString()).toContain('x'.repeat(2000));
  });

  it('PUTs a stream to a pre-signed URL with Content-Length and no Content-Type', async () => {
    const body = Readable.from([Buffer.from('hello '), Buffer.from('world')]);
    const put = await http.putPresigned({
      route: 'S3_PUT',
      url: `${server.url}/echo/?Signature=fake-sig&Expires=1`,
      body,
      contentLength: 11,
    });
    expect(put.status).toBe(200);
    const seen = server.requests.at(-1);
    expect(seen?.method).toBe('PUT');
    expect(seen?.headers['content-length']).toBe('11');
    expect(seen?.headers['content-type']).toBeUndefined();
    expect(seen?.body.toString()).toBe('hello world');
  });

  it('consumes every body: error responses do not cost a new connection', async () => {
    const local = await startHttpServer((_req, res) => json(res, 404, { detail: 'Not found.' }));
    let sockets = 0;
    const agent = new Agent({ connections: 1 });
    agent.on('connect', () => {
      sockets += 1;
    });
    const client = new OpenHumansHttp({
      baseUrl: local.url,
      dispatcher: agent,
      headersTimeoutMs: 1000,
      bodyTimeoutMs: 1000,
    });
    for (let i = 0; i < 5; i += 1) {
      await failure(client.request({ route: 'P1', method: 'GET', path: '/missing/' }));
    }
    expect(local.requests).toHaveLength(5);
    expect(sockets).toBe(1);
    await agent.close();
    await local.close();
  });
});

describe('OpenHumansHttp: status → error code (one mapping)', () => {
  const cases: [string, number, string, string?][] = [
    ['400 detail', 400, 'BAD_USER_INPUT'],
    ['403', 403, 'FORBIDDEN'],
    ['404', 404, 'NOT_FOUND'],
    ['405', 405, 'UPSTREAM_ERROR'],
    ['409', 409, 'UPSTREAM_ERROR'],
    ['429', 429, 'UPSTREAM_UNAVAILABLE'],
    ['500', 500, 'UPSTREAM_ERROR'],
    ['502', 502, 'UPSTREAM_UNAVAILABLE'],
    ['503', 503, 'UPSTREAM_UNAVAILABLE'],
    ['504', 504, 'UPSTREAM_UNAVAILABLE'],
  ];
  it.each(cases)('%s → %s', async (_name, status, code) => {
    const err = await failure(get(`/status/${status}/`));
    expect(err.kind).toBe('status');
    expect(err.status).toBe(status);
    expect(err.route).toBe('P1');
    expect(mapped(err).code).toBe(code);
    expect(events.at(-1)).toMatchObject({ route: 'P1', status, outcome: 'status' });
  });

  it('400 keeps a safe, readable upstream message (DRF field errors)', async () => {
    const err = await failure(get('/status/400/', { query: { fields: 1 } }));
    const m = mapped(err);
    expect(m.code).toBe('BAD_USER_INPUT');
    expect(m.message).toBe(
      'Open Humans rejected the request: file_id: Enter a whole number.; project_member_id: project_member_id is invalid',
    );
  });

  it('401 detail texts become stable reasons', async () => {
    const at = (detail: string, withToken: boolean) =>
      failure(
        get('/status/401/', {
          query: { detail },
          ...(withToken ? { auth: { token: TOKEN, via: 'header' as const } } : {}),
        }),
      );
    expect(mapped(await at('Expired token.', true))).toMatchObject({
      code: 'UNAUTHENTICATED',
      reason: 'TOKEN_EXPIRED',
    });
    expect(mapped(await at('Invalid token.', true))).toMatchObject({
      code: 'UNAUTHENTICATED',
      reason: 'TOKEN_INVALID',
    });
    expect(mapped(await at('Invalid token header. No credentials provided.', true))).toMatchObject({
      reason: 'TOKEN_INVALID',
    });
    // The 2018 API said "not provided" for an invalid token too: only "missing" when none was sent.
    expect(mapped(await at('Authentication credentials were not provided.', true))).toMatchObject({
      reason: 'TOKEN_INVALID',
    });
    expect(mapped(await at('Authentication credentials were not provided.', false))).toMatchObject({
      reason: 'TOKEN_MISSING',
    });
  });

  it('an HTML 500 page is an UPSTREAM_ERROR that shows nothing of the page', async () => {
    const err = await failure(
      get('/status/500/', { query: { html: 1 }, auth: { token: TOKEN, via: 'query' } }),
    );
    expect(err.html).toBe(true);
    expect(err.detail).toBe('Server Error (500)');
    const m = mapped(err);
    expect(m.code).toBe('UPSTREAM_ERROR');
    expect(m.wire).not.toMatch(/Server Error|<h1>|access_token/);
  });

  it('an HTML page with status 200 is an unreadable response (UPSTREAM_ERROR)', async () => {
    const err = await failure(get('/html-200/'));
    expect(err.kind).toBe('bad_response');
    expect(mapped(err).code).toBe('UPSTREAM_ERROR');
  });

  it('truncated JSON is an unreadable response (UPSTREAM_ERROR)', async () => {
    const err = await failure(get('/truncated/'));
    expect(err.kind).toBe('bad_response');
    expect(mapped(err).code).toBe('UPSTREAM_ERROR');
  });

  it('a body larger than the limit is refused', async () => {
    const err = await failure(get('/big/'));
    expect(err.kind).toBe('bad_response');
  });

  it('a connection reset mid-body is UPSTREAM_UNAVAILABLE', async () => {
    const err = await failure(get('/reset-mid-body/'));
    expect(['connection', 'timeout']).toContain(err.kind);
    expect(mapped(err).code).toBe('UPSTREAM_UNAVAILABLE');
  });

  it('no answer (headers timeout) is UPSTREAM_UNAVAILABLE', async () => {
    const err = await failure(get('/hang/'));
    expect(err.kind).toBe('timeout');
    expect(mapped(err).code).toBe('UPSTREAM_UNAVAILABLE');
    expect(events.at(-1)).toMatchObject({ outcome: 'timeout', status: undefined });
  });

  it('a body that stops arriving (body timeout) is UPSTREAM_UNAVAILABLE', async () => {
    const err = await failure(get('/hang-body/'));
    expect(err.kind).toBe('timeout');
    expect(mapped(err).code).toBe('UPSTREAM_UNAVAILABLE');
  });

  it('a body that trickles in forever hits the per-call deadline (UPSTREAM_UNAVAILABLE)', async () => {
    const client = new OpenHumansHttp({
      baseUrl: server.url,
      dispatcher,
      headersTimeoutMs: 300,
      bodyTimeoutMs: 300,
      totalTimeoutMs: 600,
    });
    const err = await failure(client.request({ route: 'P1', method: 'GET', path: '/trickle/' }));
    expect(err.kind).toBe('timeout');
    expect(mapped(err).code).toBe('UPSTREAM_UNAVAILABLE');
  });

  it('connection refused is UPSTREAM_UNAVAILABLE', async () => {
    const agent = new Agent();
    const client = new OpenHumansHttp({
      baseUrl: `http://127.0.0.1:${await closedPort()}`,
      dispatcher: agent,
      headersTimeoutMs: 1000,
      bodyTimeoutMs: 1000,
    });
    const err = await failure(
      client.request({ route: 'P1', method: 'GET', path: '/api/public/datafiles/' }),
    );
    expect(err.kind).toBe('connection');
    expect(mapped(err).code).toBe('UPSTREAM_UNAVAILABLE');
    await agent.close();
  });

  it('a cancelled call (caller signal) is UPSTREAM_UNAVAILABLE, not a crash', async () => {
    const controller = new AbortController();
    const pending = failure(get('/hang/', { signal: controller.signal }));
    setTimeout(() => controller.abort(), 20);
    const err = await pending;
    expect(err.kind).toBe('aborted');
    expect(mapped(err).code).toBe('UPSTREAM_UNAVAILABLE');
  });

  it('leaves other errors to the masking (not mapped)', () => {
    const bug = new TypeError('bug');
    expect(toGatewayError(bug)).toBe(bug);
  });
});

describe('OpenHumansHttp: redaction', () => {
  it('no token in any error message, detail, extension or cause chain', async () => {
    const failures = await Promise.all([
      failure(
        get('/status/401/', {
          auth: { token: TOKEN, via: 'query' },
          query: { detail: `bad token ${TOKEN}` },
        }),
      ),
      failure(get('/status/500/', { auth: { token: TOKEN, via: 'query' }, query: { html: 1 } })),
      failure(
        get('/status/400/', {
          auth: { token: TOKEN, via: 'query' },
          query: { detail: `access_token=${TOKEN} is wrong` },
        }),
      ),
      failure(get('/hang/', { auth: { token: TOKEN, via: 'query' } })),
      failure(get('/truncated/', { auth: { token: TOKEN, via: 'header' } })),
    ]);
    for (const err of failures) {
      const g = toGatewayError(err) as GatewayError;
      const texts = [
        err.message,
        err.url,
        err.detail ?? '',
        JSON.stringify(err.body ?? null),
        g.message,
        JSON.stringify(g.toJSON()),
        String(err.stack),
      ];
      for (const text of texts) expect(text).not.toContain(TOKEN);
      expect(err.url).not.toContain(TOKEN);
    }
    expect(failures[0]?.url).toContain('access_token=[REDACTED]');
  });
});
