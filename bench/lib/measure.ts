/**
 * Measurement of one case: a probe request per system (errors make the pair "not available";
 * the response is compared with the floor's), then closed-loop runs per concurrency level
 * with upstream calls, latency, throughput, CPU and memory of each process.
 */
import type { BenchCase, Fixtures } from './cases.js';
import { type HttpCall, runLoad, send, summarize } from './load.js';
import { cpuMs, RssSampler } from './proc.js';
import { readCalls, readUpstreamLoad, resetCalls, totalCalls } from './sandbox-control.js';
import type { RunningSystem } from './systems.js';
import type { LevelResult, SystemCaseResult } from './types.js';

export interface MeasureSettings {
  levels: number[];
  /** Warm-up before the first level (JIT, pools); later levels warm up with one round. */
  warmupMs: number;
  /** First-level warm-up stops after this many requests per worker (or after `warmupMs`). */
  warmupRequests: number;
  maxRequests: number | null;
  /** The measured window of the next run (shrinks when the time budget runs short). */
  nextWindowMs: () => number;
}

export interface Probe {
  ok: boolean;
  data?: unknown;
  reason?: string;
}

export function callFor(system: RunningSystem, bench: BenchCase, fixtures: Fixtures): HttpCall {
  const endpoint = new URL(system.endpoint);
  const variables = bench.variables(fixtures);
  const headers: Record<string, string> = {
    'content-type': 'application/json',
    accept: 'application/json',
  };
  if (bench.master) headers.authorization = `Bearer ${fixtures.masterToken}`;
  if (system.info.id === 'floor') {
    return { path: `/${bench.id}`, method: 'POST', headers, body: JSON.stringify({ variables }) };
  }
  return {
    path: endpoint.pathname,
    method: 'POST',
    headers,
    body: JSON.stringify({ query: bench.query, variables }),
  };
}

const hasErrors = (body: string): boolean => body.includes('"errors":[');

export async function probe(system: RunningSystem, call: HttpCall): Promise<Probe> {
  try {
    const res = await send(new URL(system.endpoint).origin, call);
    const parsed = JSON.parse(res.body) as {
      data?: unknown;
      errors?: { message?: string; extensions?: { code?: string } }[];
    };
    if (res.status !== 200 || parsed.errors?.length) {
      const first = parsed.errors?.[0];
      const code = first?.extensions?.code ? ` [${first.extensions.code}]` : '';
      return {
        ok: false,
        reason: `not available: HTTP ${res.status}: ${(first?.message ?? res.body).slice(0, 300)}${code}`,
      };
    }
    return { ok: true, data: parsed.data };
  } catch (err) {
    return {
      ok: false,
      reason: `not available: ${err instanceof Error ? err.message : String(err)}`,
    };
  }
}

export interface MeasuredLevel {
  level: LevelResult;
  /** Raw upstream calls of the measured run, by route. */
  calls: Record<string, number>;
}

/**
 * One concurrency level of one (case, system): warm-up (long before the first level, one round
 * before the others), counter reset, the measured closed loop, then counters, CPU and memory.
 */
export async function measureLevel(
  system: RunningSystem,
  call: HttpCall,
  sandbox: { url: string; pid: number },
  concurrency: number,
  firstLevel: boolean,
  settings: MeasureSettings,
): Promise<MeasuredLevel> {
  const origin = new URL(system.endpoint).origin;
  const pid = system.child?.pid ?? 0;
  await runLoad({
    origin,
    call,
    concurrency,
    durationMs: firstLevel ? settings.warmupMs : 250,
    maxRequests: (firstLevel ? settings.warmupRequests : 1) * concurrency,
    isError: hasErrors,
  });
  await resetCalls(sandbox.url);
  const cpuBefore = {
    system: cpuMs(pid),
    sandbox: cpuMs(sandbox.pid),
    loadGenerator: cpuMs(process.pid),
  };
  const sampler = new RssSampler([pid, sandbox.pid]).start();
  const run = await runLoad({
    origin,
    call,
    concurrency,
    durationMs: settings.nextWindowMs(),
    maxRequests: settings.maxRequests ?? undefined,
    isError: hasErrors,
  });
  const peaks = sampler.stop();
  const calls = await readCalls(sandbox.url);
  const load = await readUpstreamLoad(sandbox.url);
  const perQuery = (ms: number): number => ms / Math.max(1, run.requests);
  const sandboxCpu = cpuMs(sandbox.pid) - cpuBefore.sandbox;
  return {
    calls,
    level: {
      concurrency,
      requests: run.requests,
      errors: run.errors,
      firstError: run.firstError,
      wallMs: round(run.wallMs),
      // Successful responses per second: shed or failed requests are no throughput.
      throughputRps: round(((run.requests - run.errors) * 1000) / run.wallMs),
      latencyMs: mapValues(summarize(run.latenciesMs), round),
      upstreamCallsPerQuery: round(perQuery(totalCalls(calls))),
      upstreamCallsByRoute: mapValues(calls, (n) => round(perQuery(n))),
      upstreamLatencyMs: load ? round(load.latencyMs) : null,
      // Little's law: calls in flight on average = their summed time / the run's time.
      upstreamInFlight: load
        ? { mean: round(load.answeredMs / run.wallMs), peak: load.peakCalls }
        : null,
      cpuMsPerQuery: {
        system: round(perQuery(cpuMs(pid) - cpuBefore.system)),
        sandbox: round(perQuery(sandboxCpu)),
        loadGenerator: round(perQuery(cpuMs(process.pid) - cpuBefore.loadGenerator)),
      },
      sandboxLoadPct: round((sandboxCpu / run.wallMs) * 100),
      peakRssMiB: {
        system: round(peaks.get(pid) ?? Number.NaN),
        sandbox: round(peaks.get(sandbox.pid) ?? Number.NaN),
      },
    },
  };
}

/** The levels of one (case, system), with upstream calls per query over all of them. */
export function combineLevels(
  measured: readonly MeasuredLevel[],
  sameAsFloor: string,
): SystemCaseResult {
  const routeTotals: Record<string, number> = {};
  let requests = 0;
  // Failed requests may stop before their upstream calls: count levels without failures when any.
  const clean = measured.filter((m) => m.level.errors === 0);
  for (const m of clean.length > 0 ? clean : measured) {
    requests += m.level.requests;
    for (const [route, n] of Object.entries(m.calls))
      routeTotals[route] = (routeTotals[route] ?? 0) + n;
  }
  const perAll = (n: number): number => round(n / Math.max(1, requests));
  return {
    available: true,
    upstreamCallsPerQuery: perAll(totalCalls(routeTotals)),
    upstreamCallsByRoute: mapValues(routeTotals, perAll),
    sameAsFloor,
    levels: measured.map((m) => m.level),
  };
}

export function round(value: number): number {
  return Number.isFinite(value) ? Math.round(value * 100) / 100 : Number.NaN;
}

function mapValues<T extends object>(
  obj: T,
  fn: (v: number) => number,
): { [K in keyof T]: number } {
  return Object.fromEntries(Object.entries(obj).map(([k, v]) => [k, fn(v as number)])) as {
    [K in keyof T]: number;
  };
}

/** Where two responses first differ (cursors ignored: they are opaque and system-specific). */
export function firstDifference(a: unknown, b: unknown, path = 'data'): string | null {
  if (Array.isArray(a) || Array.isArray(b)) {
    if (!Array.isArray(a) || !Array.isArray(b)) return path;
    if (a.length !== b.length) return `${path} (length ${a.length} vs ${b.length})`;
    for (let i = 0; i < a.length; i += 1) {
      const diff = firstDifference(a[i], b[i], `${path}[${i}]`);
      if (diff) return diff;
    }
    return null;
  }
  if (a && b && typeof a === 'object' && typeof b === 'object') {
    const keys = new Set([...Object.keys(a), ...Object.keys(b)]);
    for (const key of keys) {
      if (/cursor$/i.test(key)) continue;
      const diff = firstDifference(
        (a as Record<string, unknown>)[key],
        (b as Record<string, unknown>)[key],
        `${path}.${key}`,
      );
      if (diff) return diff;
    }
    return null;
  }
  return a === b
    ? null
    : `${path} (${JSON.stringify(a)?.slice(0, 60)} vs ${JSON.stringify(b)?.slice(0, 60)})`;
}
