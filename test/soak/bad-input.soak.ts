/**
 * Bad-input soak: at least 5,000 generated malformed requests (seeded, so the same
 * requests every run) over real HTTP against the gateway on the sandbox. No 5xx (none is by
 * design here: the upstream is healthy), no crash (the gateway still answers afterwards), no
 * token in any response or log line. Prints a summary by category, status and error code.
 */
import { Agent, request } from 'undici';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { Stack } from '../helpers/stack.js';
import { findSecrets, startStack } from '../helpers/stack.js';
import type { BadRequest } from './bad-input-cases.js';
import { generateBadRequests } from './bad-input-cases.js';

const SEED = Number(process.env.SOAK_SEED ?? 9);
const COUNT = Number(process.env.SOAK_BAD_INPUTS ?? 5_200);
const CONCURRENCY = 16;

let stack: Stack;
let baseUrl: string;
const agent = new Agent({ connections: CONCURRENCY, keepAliveTimeout: 10_000 });

beforeAll(async () => {
  stack = await startStack({
    env: {
      LOG_LEVEL: 'info',
      // Multipart files above this are refused (the "oversized" cases stay small and fast).
      MAX_UPLOAD_BYTES: '4096',
      UPLOAD_DIRECT_THRESHOLD_BYTES: '2048',
      // Thousands of inputs from one loopback address: what is tested is the answers, not the rate
      // limit.
      RATE_LIMIT_EXEMPT: '127.0.0.1',
    },
  });
  baseUrl = await stack.listen();
});

afterAll(async () => {
  await agent.close();
  await stack?.close();
});

interface Outcome {
  request: BadRequest;
  status: number;
  text: string;
  headers: string;
  codes: string[];
}

async function send(req: BadRequest): Promise<Outcome> {
  try {
    const res = await request(`${baseUrl}${req.path}`, {
      method: req.method as 'GET',
      headers: req.headers,
      body: req.body,
      dispatcher: agent,
      headersTimeout: 30_000,
      bodyTimeout: 30_000,
    });
    const text = await res.body.text();
    let codes: string[] = [];
    try {
      const json = JSON.parse(text) as { errors?: { extensions?: { code?: string } }[] };
      codes = (json.errors ?? []).map((e) => e.extensions?.code ?? '(none)');
    } catch {
      codes = ['(not json)'];
    }
    return {
      request: req,
      status: res.statusCode,
      text,
      headers: JSON.stringify(res.headers),
      codes,
    };
  } catch (err) {
    // The server closing a connection on a broken request is fine; note it as status 0.
    return {
      request: req,
      status: 0,
      text: String((err as Error).message),
      headers: '',
      codes: ['(connection closed)'],
    };
  }
}

describe('bad-input soak', () => {
  it(`survives ${COUNT} malformed requests with no 5xx and no token in any output`, async () => {
    const { sandbox } = stack;
    const memberTokens = Object.values(sandbox.memberTokens).slice(0, 5);
    const secrets = {
      masterToken: sandbox.masterToken,
      expiredToken: sandbox.expiredMasterToken,
      memberTokens,
    };
    const requests = generateBadRequests(SEED, COUNT, secrets);
    expect(requests.length).toBeGreaterThanOrEqual(5_000);

    const started = performance.now();
    const outcomes: Outcome[] = [];
    let next = 0;
    await Promise.all(
      Array.from({ length: CONCURRENCY }, async () => {
        while (next < requests.length) {
          const req = requests[next++] as BadRequest;
          outcomes.push(await send(req));
        }
      }),
    );
    const seconds = (performance.now() - started) / 1000;

    // Summary for the report.
    const tally = (key: (o: Outcome) => string[]) => {
      const counts: Record<string, number> = {};
      for (const o of outcomes) for (const k of key(o)) counts[k] = (counts[k] ?? 0) + 1;
      return counts;
    };
    const summary = {
      seed: SEED,
      requests: outcomes.length,
      seconds: Number(seconds.toFixed(1)),
      byCategory: tally((o) => [o.request.category]),
      byStatus: tally((o) => [String(o.status)]),
      byCode: tally((o) => [...new Set(o.codes)]),
      logLines: stack.logLines.length,
    };
    process.stdout.write(`bad-input soak: ${JSON.stringify(summary)}\n`);

    const serverErrors = outcomes.filter((o) => o.status >= 500);
    const kinds = new Map<string, string>();
    for (const o of serverErrors)
      kinds.set(
        `${o.request.category} ${o.request.method} ${o.request.path.slice(0, 40)} ${String(o.request.body ?? '').slice(0, 80)}`,
        o.text.slice(0, 120),
      );
    if (process.env.SOAK_DEBUG)
      for (const [k, v] of kinds) process.stdout.write(`5xx: ${k} → ${v}\n`);
    expect(
      serverErrors
        .slice(0, 5)
        .map(
          (o) =>
            `${o.request.category} ${o.request.method} ${o.request.path} → ${o.status} ${o.text.slice(0, 200)}`,
        ),
    ).toEqual([]);
    // Connections may only be dropped for broken multipart bodies (the parser stops reading).
    const dropped = outcomes.filter((o) => o.status === 0 && o.request.category !== 'multipart');
    expect(dropped.map((o) => `${o.request.category} ${o.text}`)).toEqual([]);

    const tokens = [secrets.masterToken, secrets.expiredToken, ...memberTokens];
    for (const o of outcomes) {
      const auth = o.request.headers.authorization;
      const sent = auth?.split(/\s+/).pop();
      if (sent && sent.length >= 8) tokens.push(sent);
      const urlToken = /access_token=([^&]+)/.exec(o.request.path)?.[1];
      if (urlToken) tokens.push(urlToken);
    }
    const unique = [...new Set(tokens)];
    expect(
      findSecrets(
        outcomes.map((o) => o.text + o.headers),
        unique,
      ),
    ).toEqual([]);
    expect(findSecrets(stack.logLines, unique)).toEqual([]);

    // Still alive and still correct.
    const health = await request(`${baseUrl}/health`, { dispatcher: agent });
    expect(health.statusCode).toBe(200);
    await health.body.dump();
    const ok = await stack.execute('{ projects(first: 2) { totalCount } }');
    expect(ok.errors).toBeUndefined();
  });
});
