/**
 * When Open Humans cannot be reached, the log says why (DNS, refused, TLS, timeout) with the
 * undici/Node error code, and never the token: the real server (`startServer`) against real
 * sockets on loopback. One line per cause and target per interval (injected clock).
 */
import { afterAll, describe, expect, it } from 'vitest';
import { loadConfig } from '../../src/config/index.js';
import { upstreamFailureLogger } from '../../src/datasources/failure-log.js';
import { createLogger } from '../../src/logger.js';
import type { RunningServer } from '../../src/server.js';
import { startServer } from '../../src/server.js';
import type { TestServer } from '../helpers/http-server.js';
import { closedPort, startHttpServer } from '../helpers/http-server.js';

const TOKEN = 'secret-member-token-0123456789abcdef';
const servers: TestServer[] = [];

afterAll(async () => {
  for (const server of servers) await server.close();
});

interface LogLine {
  msg: string;
  cause?: string;
  code?: string;
  target?: string;
  route?: string;
}

/** Runs one token query through a real gateway pointed at `baseUrl`; returns its log and answer. */
async function queryAgainst(
  baseUrl: string,
  env: Record<string, string> = {},
): Promise<{ lines: string[]; body: string }> {
  const lines: string[] = [];
  const config = loadConfig({
    OPENHUMANS_BASE_URL: baseUrl,
    PORT: '0',
    HOST: '127.0.0.1',
    GRAPHIQL: 'false',
    METRICS: 'false',
    UPSTREAM_RETRY_MAX_ATTEMPTS: '1',
    ...env,
  });
  const running: RunningServer = await startServer(config, {
    logger: createLogger({ level: 'warn', write: (l) => lines.push(l) }),
  });
  try {
    const res = await fetch(`${running.url}/graphql`, {
      method: 'POST',
      headers: { 'content-type': 'application/json', authorization: `Bearer ${TOKEN}` },
      body: JSON.stringify({ query: '{ viewer { project { name } } }' }),
    });
    return { lines, body: await res.text() };
  } finally {
    await running.close(500);
  }
}

function failureLines(lines: string[]): LogLine[] {
  return lines.map((l) => JSON.parse(l) as LogLine).filter((l) => l.msg === 'upstream call failed');
}

function expectLogged(
  result: { lines: string[]; body: string },
  cause: string,
  code: RegExp,
): void {
  const found = failureLines(result.lines);
  expect(found.length, result.lines.join('\n')).toBeGreaterThan(0);
  expect(found[0]).toMatchObject({ cause });
  expect(found[0]?.code).toMatch(code);
  expect(found[0]?.target).not.toContain('?');
  // Tokens are passwords: not in any log line, not in the answer.
  expect(result.lines.join('\n')).not.toContain(TOKEN);
  expect(result.body).not.toContain(TOKEN);
  expect(result.body).toContain('UPSTREAM_UNAVAILABLE');
}

describe('upstream failures are logged with their cause', () => {
  it('connection refused', async () => {
    const port = await closedPort();
    expectLogged(await queryAgainst(`http://127.0.0.1:${port}`), 'refused', /^ECONNREFUSED$/);
  });

  it('DNS: a host name that does not resolve', async () => {
    expectLogged(
      await queryAgainst('http://openhumans-graphql-test.invalid'),
      'dns',
      /^(ENOTFOUND|EAI_AGAIN|EAI_FAIL|EAI_NONAME)$/,
    );
  });

  it('TLS: https to a server that does not speak it', async () => {
    const plain = await startHttpServer((_req, res) => {
      res.end('plain http');
    });
    servers.push(plain);
    expectLogged(
      await queryAgainst(plain.url.replace('http:', 'https:')),
      'tls',
      /^(EPROTO|ERR_SSL_\w+)$/,
    );
  });

  it('timeout: a server that accepts and never answers', async () => {
    const silent = await startHttpServer(() => undefined);
    servers.push(silent);
    expectLogged(
      await queryAgainst(silent.url, { UPSTREAM_HEADERS_TIMEOUT_MS: '200' }),
      'timeout',
      /^UND_ERR_HEADERS_TIMEOUT$/,
    );
  });
});

describe('failure log throttling', () => {
  it('writes one line per cause and target per interval, then says how many it left out', () => {
    const lines: string[] = [];
    let now = 1_000_000;
    const log = upstreamFailureLogger(
      createLogger({ level: 'warn', write: (l) => lines.push(l) }),
      { intervalMs: 10_000, now: () => now },
    );
    const report = {
      route: 'D1',
      method: 'GET',
      target: 'http://127.0.0.1:1/api/direct-sharing/project/exchange-member/',
      code: 'ECONNREFUSED',
      detail: 'x',
    } as const;
    for (let i = 0; i < 50; i += 1) log({ ...report, cause: 'refused' });
    log({ ...report, cause: 'dns', code: 'ENOTFOUND' });
    expect(lines).toHaveLength(2);
    now += 10_000;
    log({ ...report, cause: 'refused' });
    expect(lines).toHaveLength(3);
    expect(JSON.parse(lines[2] ?? '{}')).toMatchObject({
      cause: 'refused',
      similarSinceLastLine: 49,
    });
  });
});
