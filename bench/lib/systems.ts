/**
 * Starts the sandbox and the systems under test as child processes, pinned when possible:
 * the sandbox on core 0, each system on core 1, the load generator (this process) unpinned.
 */
import { existsSync } from 'node:fs';
import type { CaseId } from './cases.js';
import { type Child, startChild } from './proc.js';
import type { SystemId, SystemInfo } from './types.js';

export interface SandboxReady {
  ready: true;
  url: string;
  masterToken: string;
  projectId: number;
}

export interface ServerReady {
  ready: true;
  url: string;
}

export interface RunningSystem {
  info: SystemInfo;
  child: Child<ServerReady> | null;
  /** Where requests go: the GraphQL endpoint or the floor's base URL. */
  endpoint: string;
}

export interface Pinning {
  sandbox: string | null;
  systems: string | null;
}

/**
 * `UPSTREAM_CONCURRENCY` of every gateway run (the default, set explicitly so the report knows
 * the budget case (d)'s targets are judged against).
 */
export const GATEWAY_UPSTREAM_CONCURRENCY = 32;

/**
 * `UPSTREAM_CONCURRENCY` of `gateway-nocache-b64`, case (d) only: twice the default, to compare
 * the gateway with the peer (which has no limit) at a raised budget. Its "≥ peer's" target is
 * judged only when the peer's own measured calls in flight were at least this many
 * (docs/upstream-budget.md). Not a recommended setting.
 */
export const RAISED_UPSTREAM_CONCURRENCY = 64;

/** The upstream budget a gateway variant runs with (null: not a gateway). */
export function upstreamBudgetOf(id: SystemId): number | null {
  if (id === 'gateway-nocache-b64') return RAISED_UPSTREAM_CONCURRENCY;
  return id.startsWith('gateway') ? GATEWAY_UPSTREAM_CONCURRENCY : null;
}

/** The cases a system is measured in (all unless listed): the raised budget is only for (d). */
export function measuredIn(id: SystemId, caseId: CaseId): boolean {
  const only = DESCRIPTIONS[id].cases;
  return only === undefined || only.includes(caseId);
}

/**
 * Node flags of every gateway process, as `npm start`, `npm run demo` and the Docker image start
 * it (test/bench/node-flags.test.ts keeps the four in step): the bench measures the gateway as it
 * ships. A young generation of 32 MiB semi-spaces instead of V8's 16: at 32 requests in flight
 * each holds its parsed upstream pages until it answers, so with the default most of them
 * outlive a scavenge and are copied and promoted (README, "Node flags").
 */
export const GATEWAY_NODE_FLAGS: readonly string[] = ['--max-semi-space-size=32'];

/** Environment for the gateway when its shared public cache is switched off. */
export const NO_CACHE_ENV: Record<string, string> = {
  // 0 entries switches the shared public cache off (src/datasources/response-cache.ts).
  PUBLIC_CACHE_MAX_ENTRIES: '0',
  // Read by bench/procs/gateway.ts: the per-token read cache lives 1 ms instead of 10 s.
  BENCH_TOKEN_CACHE_TTL_MS: '1',
};

/** Environment for the gateway when only the catalogue lists (projects, data types) are cached. */
export const PAGES_UNCACHED_ENV: Record<string, string> = {
  PUBLIC_CACHE_TTL_SECONDS: '0',
  BENCH_TOKEN_CACHE_TTL_MS: '1',
};

const DESCRIPTIONS: Record<
  SystemId,
  {
    label: string;
    description: string;
    script: string;
    env?: Record<string, string>;
    cases?: readonly CaseId[];
  }
> = {
  floor: {
    label: 'floor',
    description:
      'Hand-written undici client making the fewest REST calls, all independent calls in parallel, no cross-request cache; served over node:http.',
    script: 'bench/floor/server.ts',
  },
  gateway: {
    label: 'gateway',
    description:
      'This gateway (createGateway on node:http), default configuration: shared public cache on, warm after warm-up.',
    script: 'bench/procs/gateway.ts',
  },
  'gateway-pages-uncached': {
    label: 'gateway (only catalogues cached)',
    description:
      'This gateway with file pages never cached (PUBLIC_CACHE_TTL_SECONDS=0) and its per-token cache at 1 ms, while the small catalogues (projects, data types) stay cached as designed: the steady state of many users browsing different pages.',
    script: 'bench/procs/gateway.ts',
    env: PAGES_UNCACHED_ENV,
  },
  'gateway-nocache': {
    label: 'gateway (no shared cache)',
    description:
      'This gateway with its shared public cache off and its per-token cache at 1 ms: per-request loaders only, no cross-request reuse, like the floor.',
    script: 'bench/procs/gateway.ts',
    env: NO_CACHE_ENV,
  },
  'gateway-nocache-b64': {
    label: `gateway (no shared cache, UPSTREAM_CONCURRENCY=${RAISED_UPSTREAM_CONCURRENCY})`,
    description: `gateway-nocache with an upstream budget of ${RAISED_UPSTREAM_CONCURRENCY} calls in flight instead of the default ${GATEWAY_UPSTREAM_CONCURRENCY}, case (d) only: the fan-out against the peer at a raised budget, compared with it where the peer's own measured calls in flight were at least that many.`,
    script: 'bench/procs/gateway.ts',
    env: { ...NO_CACHE_ENV, UPSTREAM_CONCURRENCY: String(RAISED_UPSTREAM_CONCURRENCY) },
    cases: ['d'],
  },
  peer: {
    label: 'peer (Apollo + RESTDataSource)',
    description:
      'Apollo Server 5 with @apollo/datasource-rest, one data source per request (built-in GET deduplication), no hand-rolled batching.',
    script: 'bench/peer/server.ts',
  },
};

export function startSandbox(
  latencyMs: number,
  jitterMs: number,
  pinning: Pinning,
): Promise<Child<SandboxReady>> {
  return startChild<SandboxReady>({
    name: 'sandbox',
    script: 'bench/procs/sandbox.ts',
    cpus: pinning.sandbox,
    env: { BENCH_LATENCY_MS: String(latencyMs), BENCH_JITTER_MS: String(jitterMs) },
    readyTimeoutMs: 120_000,
  });
}

export async function startSystem(
  id: SystemId,
  sandboxUrl: string,
  pinning: Pinning,
): Promise<RunningSystem> {
  const spec = DESCRIPTIONS[id];
  const info: SystemInfo = {
    id,
    label: spec.label,
    description: spec.description,
    available: false,
  };
  if (!existsSync(spec.script) || (id.startsWith('gateway') && !existsSync('src/gateway.ts'))) {
    info.reason = 'not available: src/gateway.ts does not exist yet';
    return { info, child: null, endpoint: '' };
  }
  try {
    const child = await startChild<ServerReady>({
      name: id,
      script: spec.script,
      cpus: pinning.systems,
      ...(id.startsWith('gateway') ? { nodeArgs: [...GATEWAY_NODE_FLAGS] } : {}),
      env: {
        OPENHUMANS_BASE_URL: sandboxUrl,
        NODE_ENV: 'production',
        LOG_LEVEL: 'warn',
        GRAPHIQL: 'false',
        // The load generator is one client at up to 32 requests at once: the per-client rate
        // limit (20/s by default) would measure the limiter, not the gateway.
        RATE_LIMIT_PER_SECOND: '0',
        ...(id.startsWith('gateway') ? { UPSTREAM_CONCURRENCY: String(upstreamBudgetOf(id)) } : {}),
        ...spec.env,
      },
      readyTimeoutMs: 60_000,
    });
    info.available = true;
    info.pid = child.pid;
    // The floor takes POST /<case>; yoga serves /graphql; Apollo's standalone server serves /.
    const endpoint =
      id === 'floor'
        ? child.ready.url
        : id === 'peer'
          ? `${child.ready.url}/`
          : `${child.ready.url}/graphql`;
    return { info, child, endpoint };
  } catch (err) {
    info.reason = `not available: failed to start (${firstLine(err)})`;
    return { info, child: null, endpoint: '' };
  }
}

export function firstLine(err: unknown): string {
  const text = err instanceof Error ? err.message : String(err);
  return text.split('\n').filter(Boolean).slice(0, 4).join(' | ').slice(0, 400);
}
