/**
 * Support for the fault soak (`faults.soak.ts`): gateway processes started as `npm start` would
 * (`node --import tsx src/main.ts`, so a crash is a crash), a seeded query mix, and a client that
 * runs N queries with bounded concurrency and records each outcome and duration.
 */
import { type ChildProcess, spawn } from 'node:child_process';
import { Pool } from 'undici';
import type { FaultRule } from '../../sandbox/controls.js';
import type { RouteId } from '../../sandbox/data/types.js';
import type { Sandbox } from '../../sandbox/index.js';
import { isRouteId, ROUTES } from '../../src/datasources/routes.js';
import { offsetToCursor } from '../../src/schema/pagination.js';

export { freePort } from '../helpers/free-port.js';

import { freePort } from '../helpers/free-port.js';

export interface GatewayProcess {
  url: string;
  child: ChildProcess;
  stderr: () => string;
  /** Log lines (stdout) that mention a circuit breaker state change. */
  breakerLines: () => string[];
  /** Log lines (stdout) about the shared Redis (unavailable / available again / settings). */
  redisLines: () => string[];
  /** SIGTERM, then the exit code (0 = a clean, drained shutdown). */
  stop(): Promise<number | null>;
}

/** Starts `src/main.ts` with `env` on a free loopback port and waits until /health answers. */
export async function startGatewayProcess(env: Record<string, string>): Promise<GatewayProcess> {
  const port = await freePort();
  const child = spawn(process.execPath, ['--import', 'tsx', 'src/main.ts'], {
    env: {
      PATH: process.env.PATH ?? '',
      HOME: process.env.HOME ?? '',
      ...env,
      PORT: String(port),
      HOST: '127.0.0.1',
    },
    stdio: ['ignore', 'pipe', 'pipe'],
  });
  let stderr = '';
  const breakerLines: string[] = [];
  const redisLines: string[] = [];
  let pending = '';
  child.stdout?.on('data', (chunk: Buffer) => {
    const lines = (pending + chunk.toString()).split('\n');
    pending = lines.pop() ?? '';
    for (const line of lines) {
      if (line.includes('circuit breaker')) breakerLines.push(line);
      if (line.includes('Redis')) redisLines.push(line);
    }
  });
  child.stderr?.on('data', (chunk: Buffer) => {
    stderr = (stderr + chunk.toString()).slice(-20_000);
  });
  const url = `http://127.0.0.1:${port}`;
  const started = Date.now();
  for (;;) {
    if (child.exitCode !== null)
      throw new Error(`gateway exited with ${child.exitCode}: ${stderr}`);
    try {
      if ((await fetch(`${url}/health`)).ok) break;
    } catch {
      // not listening yet
    }
    if (Date.now() - started > 60_000) throw new Error(`gateway did not start: ${stderr}`);
    await new Promise((resolve) => setTimeout(resolve, 200));
  }
  return {
    url,
    child,
    stderr: () => stderr,
    breakerLines: () => breakerLines,
    redisLines: () => redisLines,
    stop: () =>
      new Promise((resolve) => {
        if (child.exitCode !== null) return resolve(child.exitCode);
        child.once('exit', (code) => resolve(code));
        child.kill('SIGTERM');
      }),
  };
}

/** Deterministic PRNG (mulberry32), so the query mix repeats run after run. */
export function rng(seed: number): () => number {
  let a = seed >>> 0;
  return () => {
    a = (a + 0x6d2b79f5) >>> 0;
    let t = a;
    t = Math.imul(t ^ (t >>> 15), t | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  };
}

/**
 * GET routes the query mix reaches. Nested lists answer 500 for unknown ids (not retried by
 * design).
 */
export const GET_ROUTES: RouteId[] = [
  'P1',
  'P2',
  'P3',
  'P4',
  'P5',
  'P6',
  'P7',
  'P8',
  'P9',
  'P10',
  'P11',
  'P12',
  'P13',
  'D1',
  'D2',
];

/**
 * Per GET route, exactly: 20% 5xx (500, 502, 503, 504 at 5% each; 503 instead of 500 where a 500
 * means "unknown id"), 5% connection resets, 1% hangs. Rules are tried in order, each with its
 * own roll, so each probability is conditioned on the earlier rules missing.
 */
export function getFaultRules(): FaultRule[] {
  const rules: FaultRule[] = [];
  for (const route of GET_ROUTES) {
    const fiveHundred = isRouteId(route) && ROUTES[route].unknownId500 ? 503 : 500;
    const shares: [Omit<FaultRule, 'route' | 'probability'>, number][] = [
      [{ kind: 'status', status: fiveHundred }, 0.05],
      [{ kind: 'status', status: 502 }, 0.05],
      [{ kind: 'status', status: 503 }, 0.05],
      [{ kind: 'status', status: 504 }, 0.05],
      [{ kind: 'reset' }, 0.05],
      [{ kind: 'hang' }, 0.01],
    ];
    let left = 1;
    for (const [fault, share] of shares) {
      rules.push({ route, ...fault, probability: share / left });
      left -= share;
    }
  }
  return rules;
}

/** POSTs fail too (they must still never be sent twice). */
export const POST_FAULT_RULES: FaultRule[] = [
  { route: 'D4', kind: 'status', status: 503, probability: 0.2 },
  { route: 'D4', kind: 'reset', probability: 0.05 / 0.8 },
];

export interface Operation {
  query: string;
  variables?: Record<string, unknown>;
  token?: string;
  /** A mutation: not counted among the queries. */
  mutation?: boolean;
}

const FILES_PAGE = `query($after: String) { dataFiles(first: 10, after: $after) { totalCount edges { node {
  databaseId basename downloadUrl dataTypes { name } sourceProject { name } user { username } } } } }`;
const PROJECT = `query($id: Int!) { project(databaseId: $id) { name registeredDataTypes { name }
  dataFiles(first: 5) { totalCount edges { node { basename } } } publicMembers(first: 5) { totalCount } } }`;
const DATA_TYPE = `query($id: Int!) { dataType(databaseId: $id) { name children { name } parent { name }
  dataFiles(first: 5, includeChildren: true) { totalCount edges { node { databaseId } } } } }`;
const USER = `query($u: String!) { user(username: $u) { username name
  dataFiles(first: 5) { totalCount } projects(first: 3) { totalCount edges { node { name } } } } }`;
const FILE =
  'query($id: Int!) { dataFile(databaseId: $id) { basename downloadUrl tags sourceProject { name } } }';
const USERS =
  'query($after: String) { users(first: 10, after: $after) { totalCount edges { node { username } } } }';
const VIEWER =
  '{ viewer { project { name members(first: 5) { totalCount edges { node { projectMemberId } } } } } }';
const MESSAGE = `mutation($input: SendMessageInput!) { sendMessage(input: $input) {
  __typename ... on SendMessagePayload { allMembers } } }`;

/** The `after` cursor of page `page` (10 per page), as a client clicking through would send it. */
const pageCursor = (page: number): string | null =>
  page === 0 ? null : offsetToCursor(page * 10 - 1);

/**
 * A seeded mix over the sandbox's real ids; `messageEvery`: one sendMessage per that many
 * operations.
 */
export function operationMix(
  sandbox: Sandbox,
  count: number,
  seed: number,
  messageEvery = 50,
): Operation[] {
  const random = rng(seed);
  const pick = <T>(list: readonly T[]): T => list[Math.floor(random() * list.length)] as T;
  const projects = sandbox.store.approvedProjects().map((p) => p.id);
  const dataTypes = sandbox.store.listDataTypes().map((d) => d.id);
  const users = sandbox.store.publicMembers().map((u) => u.username);
  const files = sandbox.store.publicIndexes().all.map((f) => f.id);
  const ops: Operation[] = [];
  for (let i = 0; i < count; i += 1) {
    if (messageEvery > 0 && i % messageEvery === messageEvery - 1) {
      ops.push({
        mutation: true,
        query: MESSAGE,
        token: sandbox.masterToken,
        variables: { input: { subject: `soak ${seed}-${i}`, message: 'hello', allMembers: true } },
      });
      continue;
    }
    const r = random();
    if (r < 0.25)
      ops.push({ query: FILES_PAGE, variables: { after: pageCursor(Math.floor(random() * 60)) } });
    else if (r < 0.4) ops.push({ query: PROJECT, variables: { id: pick(projects) } });
    else if (r < 0.5) ops.push({ query: DATA_TYPE, variables: { id: pick(dataTypes) } });
    else if (r < 0.65) ops.push({ query: USER, variables: { u: pick(users) } });
    else if (r < 0.8) ops.push({ query: FILE, variables: { id: pick(files) } });
    else if (r < 0.9)
      ops.push({ query: USERS, variables: { after: pageCursor(Math.floor(random() * 20)) } });
    else ops.push({ query: VIEWER, token: sandbox.masterToken });
  }
  return ops;
}

export interface Outcome {
  ok: boolean;
  mutation: boolean;
  status: number;
  codes: string[];
  durationMs: number;
}

/** Runs the operations against the gateways (round robin) with `concurrency` in flight. */
export async function runMix(
  urls: string[],
  ops: Operation[],
  concurrency: number,
): Promise<Outcome[]> {
  const pools = urls.map(
    (url) => new Pool(url, { connections: Math.ceil(concurrency / urls.length) + 2 }),
  );
  const outcomes: Outcome[] = new Array<Outcome>(ops.length);
  let next = 0;
  const worker = async (): Promise<void> => {
    for (let i = next++; i < ops.length; i = next++) {
      const op = ops[i] as Operation;
      const pool = pools[i % pools.length] as Pool;
      const headers: Record<string, string> = {
        'content-type': 'application/json',
        accept: 'application/graphql-response+json',
      };
      if (op.token) headers.authorization = `Bearer ${op.token}`;
      const started = performance.now();
      let status = 0;
      let codes: string[] = ['CLIENT_ERROR'];
      let ok = false;
      try {
        const res = await pool.request({
          path: '/graphql',
          method: 'POST',
          headers,
          body: JSON.stringify({ query: op.query, variables: op.variables }),
        });
        status = res.statusCode;
        const body = (await res.body.json()) as {
          data?: unknown;
          errors?: { extensions?: { code?: string } }[];
        };
        codes = (body.errors ?? []).map((e) => e.extensions?.code ?? 'NONE');
        ok = status === 200 && codes.length === 0 && body.data !== null && body.data !== undefined;
      } catch (err) {
        codes = [`CLIENT:${(err as { code?: string }).code ?? String(err)}`];
      }
      outcomes[i] = {
        ok,
        mutation: op.mutation === true,
        status,
        codes,
        durationMs: performance.now() - started,
      };
    }
  };
  await Promise.all(Array.from({ length: concurrency }, worker));
  await Promise.all(pools.map((p) => p.close()));
  return outcomes;
}

export interface Summary {
  queries: number;
  succeeded: number;
  successRatio: number;
  failuresByCode: Record<string, number>;
  maxMs: number;
  p50Ms: number;
  p99Ms: number;
  mutations: number;
  mutationsOk: number;
}

export function summarize(outcomes: Outcome[]): Summary {
  const queries = outcomes.filter((o) => !o.mutation);
  const succeeded = queries.filter((o) => o.ok).length;
  const failuresByCode: Record<string, number> = {};
  for (const o of queries.filter((q) => !q.ok)) {
    const key = o.codes.join('+') || `HTTP ${o.status}`;
    failuresByCode[key] = (failuresByCode[key] ?? 0) + 1;
  }
  const durations = outcomes.map((o) => o.durationMs).sort((a, b) => a - b);
  const at = (q: number): number =>
    Math.round(durations[Math.min(durations.length - 1, Math.floor(q * durations.length))] ?? 0);
  const mutations = outcomes.filter((o) => o.mutation);
  return {
    queries: queries.length,
    succeeded,
    successRatio: succeeded / queries.length,
    failuresByCode,
    maxMs: Math.round(durations[durations.length - 1] ?? 0),
    p50Ms: at(0.5),
    p99Ms: at(0.99),
    mutations: mutations.length,
    mutationsOk: mutations.filter((o) => o.ok).length,
  };
}
