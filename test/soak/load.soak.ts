/**
 * Load soak: 50 concurrent clients for 60 s on a mixed query set (public pages with
 * relations, lookups, catalogue queries, private queries with master and member tokens)
 * against the gateway running as its own process (`src/main.ts`, production path) on the
 * sandbox. No errors; memory flat after warm-up. Prints throughput, p50/p99 and the gateway's
 * RSS at the end of warm-up and at the end. The query mix is seeded (deterministic).
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

const SECONDS = Number(process.env.LOAD_SECONDS ?? 60);
const WARMUP_SECONDS = Math.min(30, SECONDS / 2);
const CLIENTS = Number(process.env.LOAD_CLIENTS ?? 50);
const SEED = Number(process.env.SOAK_SEED ?? 9);
const LOAD_METRICS_TOKEN = 'load-soak-metrics-token-0123';

let sandbox: Sandbox;
let gateway: ChildProcess;
let baseUrl: string;
const agent = new Agent({ connections: CLIENTS, keepAliveTimeout: 30_000 });

/** Resident set size of a process, from /proc (Linux), in MiB. */
function rssMiB(pid: number): number {
  const kb = /VmRSS:\s+(\d+)\s+kB/.exec(readFileSync(`/proc/${pid}/status`, 'utf8'))?.[1];
  return Number(kb) / 1024;
}

beforeAll(async () => {
  sandbox = await startSandbox({ port: 0 });
  const port = await freePort();
  baseUrl = `http://127.0.0.1:${port}`;
  gateway = spawn(process.execPath, ['--import', 'tsx', 'src/main.ts'], {
    env: {
      ...process.env,
      OPENHUMANS_BASE_URL: sandbox.url,
      PORT: String(port),
      HOST: '127.0.0.1',
      LOG_LEVEL: 'warn',
      GRAPHIQL: 'false',
      // All 50 clients share one address here: exempt it, as an operator would a load tester.
      RATE_LIMIT_EXEMPT: '127.0.0.1',
      METRICS_TOKEN: LOAD_METRICS_TOKEN,
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
    await new Promise((resolve) => setTimeout(resolve, 100));
  }
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

interface Op {
  name: string;
  query: string;
  variables?: Record<string, unknown>;
  token?: string;
}

function mixedOperations(): () => Op {
  const rnd = prng(SEED);
  const pick = <T>(items: readonly T[]): T => items[Math.floor(rnd() * items.length)] as T;
  const projectIds = sandbox.store
    .listProjects()
    .filter((p) => p.approved)
    .map((p) => p.id);
  const memberTokens = Object.values(sandbox.memberTokens);
  const ops: Array<[number, () => Op]> = [
    [
      4,
      () => ({
        name: 'FilesPage',
        query:
          'query FilesPage($n: Int) { dataFiles(first: $n) { totalCount edges { node { basename created dataTypes { name } sourceProject { name } user { username } } } } }',
        variables: { n: pick([5, 20, 50, 100]) },
      }),
    ],
    [
      3,
      () => ({
        name: 'ProjectFiles',
        query:
          'query ProjectFiles($p: Int!) { dataFiles(first: 20, filter: { projectId: $p }) { totalCount edges { node { basename downloadUrl } } } }',
        variables: { p: pick(projectIds) },
      }),
    ],
    [
      2,
      () => ({
        name: 'Project',
        query:
          'query Project($p: Int!) { project(databaseId: $p) { name shortDescription registeredDataTypes { name } publicMembers(first: 5) { totalCount } } }',
        variables: { p: pick(projectIds) },
      }),
    ],
    [
      2,
      () => ({
        name: 'DataTypeTree',
        query:
          'query DataTypeTree($d: Int!) { dataType(databaseId: $d) { name parent { name } children { name } dataFiles(first: 5, includeChildren: true) { edges { node { basename } } } } }',
        variables: { d: 1 + Math.floor(rnd() * 25) },
      }),
    ],
    [
      2,
      () => ({
        name: 'Projects',
        query:
          'query Projects { projects(first: 10, filter: { active: true }) { totalCount pageInfo { hasNextPage endCursor } edges { node { databaseId name } } } }',
      }),
    ],
    [
      2,
      () => ({
        name: 'MyProject',
        query:
          'query MyProject { viewer { tokenKind project { name members(first: 10) { totalCount edges { node { projectMemberId fileCount } } } } } }',
        token: sandbox.masterToken,
      }),
    ],
    [
      2,
      () => ({
        name: 'Me',
        query: 'query Me { viewer { tokenKind member { projectMemberId fileCount } } }',
        token: pick(memberTokens),
      }),
    ],
  ];
  const total = ops.reduce((n, [w]) => n + w, 0);
  return () => {
    let r = rnd() * total;
    const picked =
      ops.find(([weight]) => {
        r -= weight;
        return r < 0;
      }) ?? ops[0];
    if (!picked) throw new Error('the load mix has no operations');
    return picked[1]();
  };
}

describe('load soak', () => {
  it(`${CLIENTS} clients for ${SECONDS} s: no errors, memory flat after warm-up`, async () => {
    const nextOp = mixedOperations();
    const pid = gateway.pid as number;
    const latencies: number[] = [];
    const failures: string[] = [];
    const byOp: Record<string, number> = {};
    const started = performance.now();
    const deadline = started + SECONDS * 1000;
    let warmRss = 0;
    let warmCount = 0;
    const samples: number[] = [];
    const sampler = setInterval(() => {
      const elapsed = (performance.now() - started) / 1000;
      samples.push(Math.round(rssMiB(pid)));
      if (warmRss === 0 && elapsed >= WARMUP_SECONDS) {
        warmRss = rssMiB(pid);
        warmCount = latencies.length;
      }
    }, 1000);

    await Promise.all(
      Array.from({ length: CLIENTS }, async () => {
        while (performance.now() < deadline) {
          const op = nextOp();
          const t0 = performance.now();
          const headers: Record<string, string> = {
            'content-type': 'application/json',
            accept: 'application/graphql-response+json',
          };
          if (op.token) headers.authorization = `Bearer ${op.token}`;
          const res = await request(`${baseUrl}/graphql`, {
            method: 'POST',
            headers,
            body: JSON.stringify({
              query: op.query,
              variables: op.variables,
              operationName: op.name,
            }),
            dispatcher: agent,
          });
          const text = await res.body.text();
          latencies.push(performance.now() - t0);
          byOp[op.name] = (byOp[op.name] ?? 0) + 1;
          if (res.statusCode !== 200 || text.includes('"errors"'))
            failures.push(`${op.name} ${res.statusCode} ${text.slice(0, 200)}`);
        }
      }),
    );
    clearInterval(sampler);
    const seconds = (performance.now() - started) / 1000;
    const endRss = rssMiB(pid);
    const sorted = [...latencies].sort((a, b) => a - b);
    const pct = (p: number) =>
      Number((sorted[Math.min(sorted.length - 1, Math.floor(p * sorted.length))] ?? 0).toFixed(1));
    const summary = {
      clients: CLIENTS,
      seconds: Number(seconds.toFixed(1)),
      requests: latencies.length,
      throughputPerSecond: Math.round(latencies.length / seconds),
      afterWarmupPerSecond: Math.round((latencies.length - warmCount) / (seconds - WARMUP_SECONDS)),
      p50Ms: pct(0.5),
      p99Ms: pct(0.99),
      maxMs: Number((sorted.at(-1) ?? 0).toFixed(1)),
      errors: failures.length,
      rssAtWarmupEndMiB: Math.round(warmRss),
      rssAtEndMiB: Math.round(endRss),
      rssSamplesMiB: samples.filter((_, i) => i % 5 === 4),
      byOperation: byOp,
    };
    process.stdout.write(`load soak: ${JSON.stringify(summary)}\n`);

    expect(failures.slice(0, 5)).toEqual([]);
    expect(latencies.length).toBeGreaterThan(CLIENTS);
    // Flat: no growth beyond GC noise after warm-up (the first half fills the public cache,
    // up to PUBLIC_CACHE_MAX_ENTRIES bodies, and the per-token caches).
    expect(warmRss).toBeGreaterThan(0);
    expect(endRss).toBeLessThan(warmRss * 1.3 + 20);
    // The gateway's own metrics agree that it served them all without errors.
    const scrape = {
      dispatcher: agent,
      headers: { authorization: `Bearer ${LOAD_METRICS_TOKEN}` },
    };
    const metrics = await (await request(`${baseUrl}/metrics`, scrape)).body.text();
    expect(metrics).toMatch(
      /graphql_request_duration_seconds_count\{operation_name="FilesPage",operation_type="query",status="200",endpoint="graphql"\} \d+/,
    );
    expect(metrics).not.toMatch(/graphql_errors_total\{/);
  });
});
