/**
 * Abuse soak: attackers of every class run beside a well-behaved client for
 * a fixed, seeded time (3 rounds of 5 s alone then 10 s under attack, after a 3 s warm-up),
 * against the gateway as its own process (`src/main.ts`, the production
 * path, default limits) behind one trusted proxy hop (`TRUST_PROXY=1`: each client's address is
 * the right-most `X-Forwarded-For` entry, as a reverse proxy on the host would append it).
 *
 * Attackers: random-token floods, 5,000-id `nodes`, 100-id fan-outs over unknown ids from
 * several addresses (uncached lookups), spoofed first `X-Forwarded-For` entries, and
 * `/subgraph` probes with wrong secrets. The well-behaved client keeps within the rate limit
 * (about 4 requests per second against a limit of 5: public pages, lookups and private queries
 * with its proven master token).
 *
 * Pass: the well-behaved client sees 0 errors; its p99 during the attack is within
 * P99_MULTIPLE (10) × its p99 alone, plus 50 ms; each attack class is
 * refused as designed; the gateway's RSS stays within baseline + 512 MiB (the heap V8 keeps under
 * this allocation rate; a leak of per-request signals reached 748 MiB here on Node 24 and kept
 * climbing) and after the last round is at most 1.5 × its value after the first, + 50 MiB.
 */

import type { ChildProcess } from 'node:child_process';
import { spawn } from 'node:child_process';
import { readFileSync } from 'node:fs';
import { Agent, request } from 'undici';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { Sandbox } from '../../sandbox/index.js';
import { startSandbox } from '../../sandbox/index.js';
import { freePort } from '../helpers/free-port.js';
import { prng } from './bad-input-cases.js';

/**
 * Rounds of (alone, then under attack): alternating, so a shared machine's drift hits both alike.
 */
const ROUNDS = 3;
const BASELINE_SECONDS = Number(process.env.ABUSE_BASELINE_SECONDS ?? 5);
const ATTACK_SECONDS = Number(process.env.ABUSE_ATTACK_SECONDS ?? 10);
const SEED = Number(process.env.SOAK_SEED ?? 13);
/**
 * The stated bound: the good client's p99 under attack ≤ this × its p99 alone (+ 50 ms). The
 * attackers share the machine's CPU with the gateway and the sandbox (2 cores, often shared
 * with other work), so some slowdown is CPU, not queueing behind their upstream calls.
 */
const P99_MULTIPLE = 10;
const SUBGRAPH_SECRET = 'abuse-soak-subgraph-secret-0001';
const GOOD_CLIENT = '203.0.113.50';
const RATE = 5;
const BURST = 20;

let sandbox: Sandbox;
let gateway: ChildProcess;
let baseUrl: string;
const agent = new Agent({ connections: 64, keepAliveTimeout: 30_000 });

function rssMiB(pid: number): number {
  const kb = /VmRSS:\s+(\d+)\s+kB/.exec(readFileSync(`/proc/${pid}/status`, 'utf8'))?.[1];
  return Number(kb) / 1024;
}

interface Sent {
  status: number;
  ms: number;
  errors: { extensions?: { code?: string; limit?: string } }[];
}

async function send(path: string, body: unknown, headers: Record<string, string>): Promise<Sent> {
  const started = performance.now();
  const res = await request(`${baseUrl}${path}`, {
    method: 'POST',
    dispatcher: agent,
    headers: { 'content-type': 'application/json', accept: 'application/json', ...headers },
    body: typeof body === 'string' ? body : JSON.stringify(body),
  });
  const text = await res.body.text();
  const ms = performance.now() - started;
  let errors: Sent['errors'] = [];
  try {
    errors = ((JSON.parse(text) as { errors?: Sent['errors'] }).errors ?? []) as Sent['errors'];
  } catch {
    errors = [{ extensions: { code: 'UNPARSEABLE' } }];
  }
  return { status: res.statusCode, ms, errors };
}

const sleep = (ms: number) => new Promise((resolve) => setTimeout(resolve, ms));
const pct = (values: number[], p: number): number => {
  const sorted = [...values].sort((a, b) => a - b);
  return sorted[Math.min(sorted.length - 1, Math.floor(p * sorted.length))] ?? 0;
};

let fileIds: string[] = [];

/**
 * The well-behaved client: ~4 requests per second (under the limit) until `end`, from its own
 * address.
 */
async function goodClient(end: number, rnd: () => number): Promise<Sent[]> {
  const out: Sent[] = [];
  // Public queries go without a token (keyed by its address, which the spoofer writes first in
  // its X-Forwarded-For); the private one with its master token.
  const anonymous = { 'x-forwarded-for': GOOD_CLIENT };
  const withToken = { ...anonymous, authorization: `Bearer ${sandbox.masterToken}` };
  const queries = [
    () => ({
      query:
        '{ dataFiles(first: 10) { totalCount edges { node { basename sourceProject { name } } } } }',
    }),
    () => ({
      query: 'query ($id: ID!) { node(id: $id) { ... on DataFile { basename } } }',
      variables: { id: fileIds[Math.floor(rnd() * fileIds.length)] },
    }),
    () => ({ query: '{ projects(first: 5) { edges { node { name } } } }' }),
  ];
  while (Date.now() < end) {
    const n = Math.floor(rnd() * (queries.length + 1));
    const pick = queries[n];
    out.push(
      pick
        ? await send('/graphql', pick(), anonymous)
        : await send('/graphql', { query: '{ viewer { project { name } } }' }, withToken),
    );
    await sleep(250);
  }
  return out;
}

type Attack = (rnd: () => number) => Promise<Sent>;

const unknownIds = (rnd: () => number, n: number): string[] =>
  Array.from({ length: n }, () =>
    Buffer.from(`DataFile:${9_000_000 + Math.floor(rnd() * 1_000_000)}`).toString('base64'),
  );

const NODES = 'query ($ids: [ID!]!) { nodes(ids: $ids) { ... on DataFile { basename } } }';
const HUGE_BODIES = [1, 2, 3, 4].map((seed) =>
  JSON.stringify({ query: NODES, variables: { ids: unknownIds(prng(seed), 5_000) } }),
);

/** A made-up token per request, all from one address (three such loops run at once). */
const tokenFlood: Attack = (rnd) =>
  send(
    '/graphql',
    { query: '{ viewer { project { name } } }' },
    {
      'x-forwarded-for': '198.51.100.10',
      authorization: `Bearer ${Math.floor(rnd() * 1e15)
        .toString(36)
        .padEnd(30, 'x')}`,
    },
  );

/**
 * One address (the right-most entry, as the proxy appended it) writing the good client's
 * address, then made-up ones, first: were the left-most entry believed, the good client's
 * bucket would empty, or every request would get a fresh one.
 */
const spoofed: Attack = (rnd) =>
  send(
    '/graphql',
    { query: '{ projects(first: 1) { totalCount } }' },
    {
      'x-forwarded-for': `${GOOD_CLIENT}, 10.${Math.floor(rnd() * 255)}.0.1, 198.51.100.40`,
    },
  );

const ATTACKS: Record<string, Attack> = {
  tokenFlood1: (rnd) => tokenFlood(rnd),
  tokenFlood2: (rnd) => tokenFlood(rnd),
  tokenFlood3: (rnd) => tokenFlood(rnd),
  // The 5,000-id bodies are built once: the attacker's own CPU is not what is measured.
  hugeFanOut: (rnd) =>
    send('/graphql', HUGE_BODIES[Math.floor(rnd() * HUGE_BODIES.length)] ?? '', {
      'x-forwarded-for': '198.51.100.20',
    }),
  fanOutA: (rnd) =>
    send(
      '/graphql',
      { query: NODES, variables: { ids: unknownIds(rnd, 100) } },
      { 'x-forwarded-for': '198.51.100.31' },
    ),
  fanOutB: (rnd) =>
    send(
      '/graphql',
      { query: NODES, variables: { ids: unknownIds(rnd, 100) } },
      { 'x-forwarded-for': '198.51.100.32' },
    ),
  fanOutC: (rnd) =>
    send(
      '/graphql',
      { query: NODES, variables: { ids: unknownIds(rnd, 100) } },
      { 'x-forwarded-for': '198.51.100.33' },
    ),
  spoofedXff1: (rnd) => spoofed(rnd),
  spoofedXff2: (rnd) => spoofed(rnd),
  spoofedXff3: (rnd) => spoofed(rnd),
  subgraphProbe: (rnd) =>
    send(
      '/subgraph',
      { query: '{ _service { sdl } }' },
      { 'x-forwarded-for': '198.51.100.50', 'x-subgraph-secret': rnd().toString(36) },
    ),
};

async function runAttack(name: string, attack: Attack, end: number): Promise<Sent[]> {
  const rnd = prng(SEED + [...name].reduce((h, c) => h * 31 + (c.codePointAt(0) ?? 0), 0));
  const out: Sent[] = [];
  while (Date.now() < end) {
    out.push(await attack(rnd));
    // A 429 says when to come back; an attacker does not listen, but does not spin either.
    if (out[out.length - 1]?.status === 429) await sleep(5);
  }
  return out;
}

beforeAll(async () => {
  sandbox = await startSandbox({ port: 0 });
  const port = await freePort();
  baseUrl = `http://127.0.0.1:${port}`;
  gateway = spawn(process.execPath, ['--import', 'tsx', 'src/main.ts'], {
    env: {
      ...process.env,
      NODE_ENV: 'production',
      OPENHUMANS_BASE_URL: sandbox.url,
      PORT: String(port),
      HOST: '127.0.0.1',
      LOG_LEVEL: 'error',
      GRAPHIQL: 'false',
      TRUST_PROXY: '1',
      SUBGRAPH_SECRET,
      // A tighter rate limit than the default, so that attackers slowed by a busy shared
      // machine still outrun it (the good client stays under it).
      RATE_LIMIT_PER_SECOND: String(RATE),
      RATE_LIMIT_BURST: String(BURST),
    },
    stdio: ['ignore', 'ignore', 'inherit'],
  });
  for (;;) {
    try {
      const res = await request(`${baseUrl}/health`, { dispatcher: agent });
      await res.body.dump();
      if (res.statusCode === 200) break;
    } catch {
      // not listening yet
    }
    if (gateway.exitCode !== null) throw new Error('the gateway exited while starting');
    await sleep(100);
  }
  const res = await request(`${baseUrl}/graphql`, {
    method: 'POST',
    dispatcher: agent,
    headers: { 'content-type': 'application/json', 'x-forwarded-for': '192.0.2.1' },
    body: JSON.stringify({ query: '{ dataFiles(first: 50) { edges { node { id } } } }' }),
  });
  const body = (await res.body.json()) as {
    data: { dataFiles: { edges: { node: { id: string } }[] } };
  };
  fileIds = body.data.dataFiles.edges.map((e) => e.node.id);
}, 60_000);

afterAll(async () => {
  if (gateway && gateway.exitCode === null) {
    const exited = new Promise((resolve) => gateway.once('exit', resolve));
    gateway.kill('SIGTERM');
    await exited;
  }
  await agent.close();
  await sandbox?.close();
});

const count = (sent: Sent[], test: (s: Sent) => boolean): number => sent.filter(test).length;
const limitOf = (s: Sent): string | undefined => s.errors[0]?.extensions?.limit;

describe(`abuse soak: ${ROUNDS} × (${BASELINE_SECONDS} s alone, ${ATTACK_SECONDS} s beside ${Object.keys(ATTACKS).length} attackers)`, () => {
  it('the well-behaved client sees no error and a bounded p99; every attack is refused; RSS stays bounded', async () => {
    const rnd = prng(SEED);
    // Warm-up (JIT, caches; proves the master token), not counted.
    await goodClient(Date.now() + 3_000, rnd);
    const baseline: Sent[] = [];
    const good: Sent[] = [];
    const attacks: Sent[][] = Object.keys(ATTACKS).map(() => []);
    let baselineRss = 0;
    let addressBudget = 0;
    const rssAfterRound: number[] = [];
    for (let round = 0; round < ROUNDS; round += 1) {
      baseline.push(...(await goodClient(Date.now() + BASELINE_SECONDS * 1000, rnd)));
      if (round === 0) baselineRss = rssMiB(gateway.pid ?? 0);
      const attackStart = Date.now();
      const end = attackStart + ATTACK_SECONDS * 1000;
      const [mine, ...theirs] = await Promise.all([
        goodClient(end, rnd),
        ...Object.entries(ATTACKS).map(([name, attack]) =>
          runAttack(`${name}${round}`, attack, end),
        ),
      ]);
      good.push(...(mine ?? []));
      theirs.forEach((sent, i) => {
        attacks[i]?.push(...sent);
      });
      // The most one address can have been let through: its burst (refilled while the
      // attackers paused) plus the refill meanwhile.
      addressBudget += BURST + RATE * Math.ceil((Date.now() - attackStart) / 1000);
      rssAfterRound.push(rssMiB(gateway.pid ?? 0));
    }
    const endRss = rssMiB(gateway.pid ?? 0);
    const byName = Object.fromEntries(
      Object.keys(ATTACKS).map((name, i) => [name, attacks[i] ?? []]),
    );
    const baseP99 = pct(
      baseline.map((s) => s.ms),
      0.99,
    );
    const attackP99 = pct(
      good.map((s) => s.ms),
      0.99,
    );
    const report = {
      baseline: {
        requests: baseline.length,
        p50Ms: Math.round(
          pct(
            baseline.map((s) => s.ms),
            0.5,
          ),
        ),
        p99Ms: Math.round(baseP99),
      },
      underAttack: {
        requests: good.length,
        p50Ms: Math.round(
          pct(
            good.map((s) => s.ms),
            0.5,
          ),
        ),
        p99Ms: Math.round(attackP99),
      },
      rssMiB: {
        baseline: Math.round(baselineRss),
        afterRounds: rssAfterRound.map(Math.round),
        end: Math.round(endRss),
      },
      attacks: Object.fromEntries(
        Object.entries(byName).map(([name, sent]) => [
          name,
          {
            sent: sent.length,
            s429: count(sent, (s) => s.status === 429),
            s403: count(sent, (s) => s.status === 403),
          },
        ]),
      ),
    };
    process.stdout.write(`abuse soak: ${JSON.stringify(report)}\n`);

    for (const s of [...baseline, ...good])
      expect(s.errors, JSON.stringify(s.errors[0])).toEqual([]);
    expect(attackP99).toBeLessThanOrEqual(baseP99 * P99_MULTIPLE + 50);
    // Bounded: no growth from round to round (a leak grows with every round), and a ceiling.
    expect(endRss).toBeLessThan((rssAfterRound[0] ?? endRss) * 1.5 + 50);
    expect(endRss).toBeLessThan(baselineRss + 512);

    // One address's budget for the three flooders together, and each refused token costs two.
    const flood = [
      ...(byName.tokenFlood1 ?? []),
      ...(byName.tokenFlood2 ?? []),
      ...(byName.tokenFlood3 ?? []),
    ];
    expect(count(flood, (s) => s.status !== 429)).toBeLessThanOrEqual(addressBudget);
    const huge = byName.hugeFanOut ?? [];
    expect(count(huge, (s) => s.status === 429 || limitOf(s) === 'listLength')).toBe(huge.length);
    // One address, whatever the first entries said: no more than its bucket allows (and the
    // good client, whose address they wrote first, saw no 429 above).
    const spoofers = [
      ...(byName.spoofedXff1 ?? []),
      ...(byName.spoofedXff2 ?? []),
      ...(byName.spoofedXff3 ?? []),
    ];
    expect(count(spoofers, (s) => s.status === 200)).toBeLessThanOrEqual(addressBudget);
    const probes = byName.subgraphProbe ?? [];
    expect(count(probes, (s) => s.status === 403)).toBe(probes.length);
    for (const name of ['fanOutA', 'fanOutB', 'fanOutC']) {
      // Served (unknown ids are null), or refused by the rate limit: never a 5xx.
      for (const s of byName[name] ?? []) expect(s.status).toBeLessThan(500);
    }
  });
});
