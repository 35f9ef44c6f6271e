/**
 * Abuse soak (`npm run test:soak`): attackers of every intake class run beside
 * a well-behaved client for a fixed time against the gateway as its own process (`src/main.ts`,
 * production path) on the sandbox:
 * - unauthenticated 1 GiB uploads with master-token-shaped strings (disk),
 * - 5 MB JSON bodies (memory),
 * - trickling bodies, JSON and multipart (connections held by slow bodies),
 * - a connection flood from one address (sockets).
 * Each class comes from its own 127.0.0.x address; the well-behaved client (queries, with a
 * token and without, and a small upload every tenth operation) from another.
 * Pass: the well-behaved client sees 0 errors and a p99 within 5x its baseline p99 (plus 250 ms
 * of scheduling slack: two shared cores run both processes and every attacker); the gateway's
 * RSS grows by less than 150 MiB and its spool directory never holds more than 1 MiB.
 * Seeded (SOAK_SEED): the good client's operation order and the attackers' pacing.
 */

import type { ChildProcess } from 'node:child_process';
import { spawn } from 'node:child_process';
import { mkdtempSync, readdirSync, readFileSync, rmSync, statSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { Sandbox } from '../../sandbox/index.js';
import { startSandbox } from '../../sandbox/index.js';
import { freePort } from '../helpers/free-port.js';
import type { StreamedResult } from '../limits/abuse-client.js';
import {
  multipartHead,
  multipartHeaders,
  multipartTail,
  streamRequest,
  uploadOperations,
} from '../limits/abuse-client.js';
import { prng } from './bad-input-cases.js';

const BASELINE_SECONDS = Number(process.env.ABUSE_BASELINE_SECONDS ?? 8);
const ATTACK_SECONDS = Number(process.env.ABUSE_SECONDS ?? 30);
const SEED = Number(process.env.SOAK_SEED ?? 13);
const P99_FACTOR = 5;
const P99_SLACK_MS = 250;
const MiB = 1024 * 1024;

const GOOD = '127.0.0.2';
const ADDRESSES = {
  uploads: '127.0.0.3',
  trickle: '127.0.0.4',
  flood: '127.0.0.5',
  json: '127.0.0.6',
} as const;

let sandbox: Sandbox;
let gateway: ChildProcess;
let baseUrl: string;
let port: number;
let spoolDir: string;

const rssMiB = (pid: number): number =>
  Number(/VmRSS:\s+(\d+)\s+kB/.exec(readFileSync(`/proc/${pid}/status`, 'utf8'))?.[1]) / 1024;

const spoolBytes = (): number =>
  readdirSync(spoolDir).reduce(
    (sum, name) => sum + (statSync(join(spoolDir, name), { throwIfNoEntry: false })?.size ?? 0),
    0,
  );

beforeAll(async () => {
  sandbox = await startSandbox({ port: 0 });
  port = await freePort();
  baseUrl = `http://127.0.0.1:${port}`;
  spoolDir = mkdtempSync(join(tmpdir(), 'oh-graphql-abuse-soak-'));
  gateway = spawn(process.execPath, ['--import', 'tsx', 'src/main.ts'], {
    env: {
      ...process.env,
      OPENHUMANS_BASE_URL: sandbox.url,
      PORT: String(port),
      HOST: '127.0.0.1',
      LOG_LEVEL: 'error',
      GRAPHIQL: 'false',
      NODE_ENV: 'production',
      UPLOAD_TMP_DIR: spoolDir,
      // A short window so trickling bodies are cut within the run (the default is 30 s).
      BODY_RATE_WINDOW_MS: '2000',
      BODY_MIN_BYTES_PER_WINDOW: '1024',
      MAX_CONNECTIONS_PER_CLIENT: '32',
      // The rate limit is another layer; this soak is about what the intake limits hold.
      RATE_LIMIT_PER_SECOND: '0',
    },
    stdio: ['ignore', 'ignore', 'inherit'],
  });
  for (;;) {
    const res = await streamRequest(baseUrl, {
      path: '/health',
      method: 'GET',
      localAddress: GOOD,
      timeoutMs: 2_000,
    });
    if (res.status === 200) break;
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
  await sandbox?.close();
  if (spoolDir) rmSync(spoolDir, { recursive: true, force: true });
});

const sleep = (ms: number): Promise<void> => new Promise((r) => setTimeout(r, ms));

/** The well-behaved client: one operation at a time; returns latencies and failures. */
async function wellBehaved(
  seconds: number,
  random: () => number,
): Promise<{ latencies: number[]; errors: string[] }> {
  const latencies: number[] = [];
  const errors: string[] = [];
  const memberIds = Object.keys(sandbox.memberTokens);
  const end = Date.now() + seconds * 1000;
  for (let i = 0; Date.now() < end; i++) {
    const kind = i % 10 === 9 ? 'upload' : random() < 0.5 ? 'public' : 'private';
    const started = performance.now();
    let res: StreamedResult;
    if (kind === 'upload') {
      const pmi = memberIds[Math.floor(random() * memberIds.length)];
      res = await streamRequest(baseUrl, {
        path: '/graphql',
        headers: multipartHeaders(sandbox.masterToken),
        body: [
          multipartHead(uploadOperations(pmi), { '0': ['variables.input.file'] }, '0'),
          Buffer.alloc(64 * 1024, i % 251),
          multipartTail(),
        ],
        localAddress: GOOD,
      });
    } else {
      const query =
        kind === 'public'
          ? '{ projects(first: 5) { totalCount edges { node { name } } } }'
          : '{ viewer { project { name } } }';
      res = await streamRequest(baseUrl, {
        path: '/graphql',
        headers: {
          'content-type': 'application/json',
          ...(kind === 'private' ? { authorization: `Bearer ${sandbox.masterToken}` } : {}),
        },
        body: [Buffer.from(JSON.stringify({ query }))],
        localAddress: GOOD,
      });
    }
    latencies.push(performance.now() - started);
    const typename = (res.json?.data as { uploadDataFile?: { __typename?: string } } | undefined)
      ?.uploadDataFile?.__typename;
    if (
      res.status !== 200 ||
      res.json?.errors?.length ||
      (kind === 'upload' && typename !== 'UploadDataFilePayload')
    ) {
      errors.push(`${kind}: ${res.status} ${res.error ?? res.text.slice(0, 200)}`);
    }
  }
  return { latencies, errors };
}

const p99 = (values: number[]): number => {
  const sorted = [...values].sort((a, b) => a - b);
  return sorted[Math.min(sorted.length - 1, Math.floor(0.99 * sorted.length))] ?? 0;
};

describe('abuse soak: uploads, bodies, connections', () => {
  it(`a well-behaved client keeps working while every intake attacker runs (${ATTACK_SECONDS} s)`, async () => {
    const random = prng(SEED);
    const baseline = await wellBehaved(BASELINE_SECONDS, random);
    expect(baseline.errors).toEqual([]);
    const pid = gateway.pid as number;
    const rssBefore = rssMiB(pid);

    let maxRss = rssBefore;
    let maxSpool = 0;
    const sampler = setInterval(() => {
      maxRss = Math.max(maxRss, rssMiB(pid));
      maxSpool = Math.max(maxSpool, spoolBytes());
    }, 100);
    const attackers = spawn(
      process.execPath,
      [
        '--import',
        'tsx',
        'test/soak/abuse-attackers.ts',
        JSON.stringify({
          baseUrl,
          port,
          // Stopped by SIGTERM when the measured run is over; the timer is only a safety net.
          seconds: ATTACK_SECONDS + 30,
          seed: SEED + 1,
          memberToken: Object.values(sandbox.memberTokens)[0],
          addresses: ADDRESSES,
        }),
      ],
      { stdio: ['ignore', 'pipe', 'inherit'] },
    );
    let output = '';
    attackers.stdout?.on('data', (d: Buffer) => (output += d.toString()));
    const attackersDone = new Promise((resolve) => attackers.once('exit', resolve));
    // Let the attackers get going before the measured client starts.
    await sleep(2_000);

    const during = await wellBehaved(ATTACK_SECONDS, random);
    attackers.kill('SIGTERM');
    const killer = setTimeout(() => attackers.kill('SIGKILL'), 30_000);
    await attackersDone;
    clearTimeout(killer);
    clearInterval(sampler);
    const tallies = JSON.parse(output.trim().split('\n').pop() ?? '{}') as Record<
      string,
      Record<string, number>
    >;

    const report = {
      baseline: { ops: baseline.latencies.length, p99Ms: Math.round(p99(baseline.latencies)) },
      underAttack: {
        ops: during.latencies.length,
        p99Ms: Math.round(p99(during.latencies)),
        errors: during.errors.slice(0, 5),
      },
      rssMiB: { before: Math.round(rssBefore), max: Math.round(maxRss) },
      maxSpoolBytes: maxSpool,
      attackers: tallies,
    };
    console.log('abuse soak', JSON.stringify(report));

    expect(during.errors).toEqual([]);
    expect(p99(during.latencies)).toBeLessThanOrEqual(
      P99_FACTOR * p99(baseline.latencies) + P99_SLACK_MS,
    );
    expect(maxRss - rssBefore).toBeLessThan(150);
    expect(maxSpool).toBeLessThanOrEqual(MiB);
    // Every attack class actually ran and was refused the way it should be.
    expect(tallies.uploads?.['401 TOKEN_INVALID']).toBeGreaterThan(0);
    expect(tallies.json?.['413 BODY_TOO_LARGE']).toBeGreaterThan(0);
    expect(tallies.trickle?.['408 BODY_TOO_SLOW']).toBeGreaterThan(0);
    expect(tallies.flood?.held).toBeLessThanOrEqual(32);
    expect(tallies.flood?.refused).toBeGreaterThan(0);
  });
});
