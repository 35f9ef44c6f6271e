/**
 * CPU profile of one system on one case, to find where its CPU per query goes:
 *
 *   npm run bench:profile -- --case a --system gateway-nocache [--requests 2000] [--concurrency 8]
 *     [--latency 0] [--out DIR]
 *
 * Starts the sandbox (no latency by default, so the profile is all work and no waiting), starts
 * the system under `node --cpu-prof`, sends a warm-up then the measured requests, prints CPU ms
 * per query (from /proc) and the top self-time functions and packages of the profile. Not part
 * of `npm run bench`: profiles slow a process down, so their absolute numbers are not benchmarks.
 */
import { mkdirSync, readdirSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { CASES, type CaseId } from './lib/cases.js';
import { loadFixtures } from './lib/fixtures.js';
import { closePools, runLoad } from './lib/load.js';
import { cpuMs, startChild } from './lib/proc.js';
import { GATEWAY_NODE_FLAGS, NO_CACHE_ENV, PAGES_UNCACHED_ENV } from './lib/systems.js';

interface SandboxReady {
  url: string;
  masterToken: string;
}
interface ServerReady {
  url: string;
}
interface ProfileNode {
  id: number;
  callFrame: { functionName: string; url: string; lineNumber: number };
  children?: number[];
}
interface CpuProfile {
  nodes: ProfileNode[];
  samples: number[];
  timeDeltas: number[];
}

const argv = process.argv.slice(2);
const value = (name: string, fallback: string): string => {
  const i = argv.indexOf(name);
  return i >= 0 && argv[i + 1] ? (argv[i + 1] as string) : fallback;
};
const caseId = value('--case', 'a') as CaseId;
const system = value('--system', 'gateway-nocache');
const requests = Number(value('--requests', '2000'));
const concurrency = Number(value('--concurrency', '8'));
const latency = value('--latency', '0');
const outDir = value('--out', join('bench', 'results', 'tmp', 'profile'));

const SYSTEMS: Record<string, { script: string; env: Record<string, string> }> = {
  floor: { script: 'bench/floor/server.ts', env: {} },
  gateway: { script: 'bench/procs/gateway.ts', env: {} },
  'gateway-pages-uncached': { script: 'bench/procs/gateway.ts', env: PAGES_UNCACHED_ENV },
  'gateway-nocache': { script: 'bench/procs/gateway.ts', env: NO_CACHE_ENV },
  peer: { script: 'bench/peer/server.ts', env: {} },
};

/** Package (or "gateway", "node:…", "(gc)") a profile frame belongs to. */
function bucketOf(frame: ProfileNode['callFrame']): string {
  const { url, functionName } = frame;
  if (!url) return functionName.startsWith('(') ? functionName : `(native) ${functionName}`;
  const pkg = /node_modules\/((?:@[^/]+\/)?[^/]+)/.exec(url);
  if (pkg) return pkg[1] as string;
  if (url.startsWith('node:')) return url;
  const own = /\/(src|sandbox|bench)\/(.*)$/.exec(url);
  return own ? `${own[1]}/${own[2]}` : url;
}

/** Time of each function with everything it called (a recursive function counted once). */
function inclusive(profile: CpuProfile, self: Map<number, number>): Map<string, number> {
  const byId = new Map(profile.nodes.map((n) => [n.id, n]));
  const totals = new Map<string, number>();
  const walk = (id: number, onStack: Set<string>): number => {
    const node = byId.get(id);
    if (!node) return 0;
    const f = node.callFrame;
    const name = `${f.functionName || '(anonymous)'} ${bucketOf(f)}:${f.lineNumber + 1}`;
    const fresh = !onStack.has(name);
    if (fresh) onStack.add(name);
    let us = f.functionName === '(idle)' ? 0 : (self.get(id) ?? 0);
    for (const child of node.children ?? []) us += walk(child, onStack);
    if (fresh) {
      onStack.delete(name);
      totals.set(name, (totals.get(name) ?? 0) + us);
    }
    return us;
  };
  const root = profile.nodes[0];
  if (root) walk(root.id, new Set());
  return totals;
}

function summarise(profile: CpuProfile): void {
  const self = new Map<number, number>();
  profile.samples.forEach((id, i) => {
    self.set(id, (self.get(id) ?? 0) + (profile.timeDeltas[i] ?? 0));
  });
  const byFunction = new Map<string, number>();
  const byBucket = new Map<string, number>();
  let busy = 0;
  for (const node of profile.nodes) {
    const us = self.get(node.id) ?? 0;
    if (us === 0 || node.callFrame.functionName === '(idle)') continue;
    busy += us;
    const bucket = bucketOf(node.callFrame);
    const name = `${node.callFrame.functionName || '(anonymous)'} ${bucket}:${node.callFrame.lineNumber + 1}`;
    byFunction.set(name, (byFunction.get(name) ?? 0) + us);
    byBucket.set(bucket, (byBucket.get(bucket) ?? 0) + us);
  }
  const top = (map: Map<string, number>, n: number): string =>
    [...map]
      .sort((x, y) => y[1] - x[1])
      .slice(0, n)
      .map(([k, us]) => `${((100 * us) / busy).toFixed(1).padStart(5)}%  ${k}`)
      .join('\n');
  console.log(
    `\nbusy ${(busy / 1000).toFixed(0)} ms\n\n-- by package or file --\n${top(byBucket, 30)}`,
  );
  console.log(`\n-- by function (self) --\n${top(byFunction, 40)}`);
  console.log(
    `\n-- by function (total, callees included) --\n${top(inclusive(profile, self), 50)}`,
  );
}

mkdirSync(outDir, { recursive: true });
const sandbox = await startChild<SandboxReady>({
  name: 'sandbox',
  script: 'bench/procs/sandbox.ts',
  cpus: null,
  env: { BENCH_LATENCY_MS: latency, BENCH_JITTER_MS: '0' },
});
const spec = SYSTEMS[system];
if (!spec) throw new Error(`unknown system ${system}`);
const target = await startChild<ServerReady>({
  name: system,
  script: spec.script,
  cpus: null,
  // A gateway runs with the flags it ships with, as in `npm run bench`.
  nodeArgs: [
    ...(system.startsWith('gateway') ? GATEWAY_NODE_FLAGS : []),
    '--cpu-prof',
    `--cpu-prof-dir=${outDir}`,
  ],
  env: {
    OPENHUMANS_BASE_URL: sandbox.ready.url,
    NODE_ENV: 'production',
    LOG_LEVEL: 'warn',
    GRAPHIQL: 'false',
    RATE_LIMIT_PER_SECOND: '0',
    ...spec.env,
  },
});
const fixtures = await loadFixtures(sandbox.ready.url, sandbox.ready.masterToken);
const benchCase = CASES.find((c) => c.id === caseId);
if (!benchCase) throw new Error(`unknown case ${caseId}`);
const isFloor = system === 'floor';
const headers: Record<string, string> = { 'content-type': 'application/json' };
if (benchCase.master) headers.authorization = `Bearer ${fixtures.masterToken}`;
const call = {
  path: isFloor ? `/${caseId}` : system === 'peer' ? '/' : '/graphql',
  method: 'POST' as const,
  headers,
  body: JSON.stringify({ query: benchCase.query, variables: benchCase.variables(fixtures) }),
};
const origin = target.ready.url;
await runLoad({ origin, call, concurrency, durationMs: 60_000, maxRequests: 300 });
const before = cpuMs(target.pid);
const run = await runLoad({
  origin,
  call,
  concurrency,
  durationMs: 600_000,
  maxRequests: requests,
});
const spent = cpuMs(target.pid) - before;
console.log(
  `${system} case ${caseId}: ${run.requests} requests (${run.errors} errors) in ${run.wallMs.toFixed(0)} ms, ${(spent / run.requests).toFixed(2)} CPU ms/query under the profiler`,
);
await closePools();
await target.stop();
await sandbox.stop();
// The main thread's profile (thread 0); tsx's loader thread writes one of its own.
const newest = readdirSync(outDir).find((f) => f.includes(`.${target.pid}.0.`));
if (!newest) throw new Error(`no profile of process ${target.pid} in ${outDir}`);
console.log(`profile: ${join(outDir, newest)}`);
summarise(JSON.parse(readFileSync(join(outDir, newest), 'utf8')) as CpuProfile);
