/**
 * A small closed-loop load generator over undici: `concurrency` workers each send one request,
 * wait for the whole body, and send the next, until the time (or request) budget is spent.
 * Every request is timed; no request is started after the deadline, and in-flight ones finish,
 * so upstream call counters read afterwards belong to exactly the requests counted here.
 */
import { performance } from 'node:perf_hooks';
import { Pool } from 'undici';

export interface HttpCall {
  path: string;
  method: 'GET' | 'POST';
  headers: Record<string, string>;
  body?: string;
}

export interface LoadOptions {
  origin: string;
  call: HttpCall;
  concurrency: number;
  durationMs: number;
  /** Stop after this many requests even if time is left. */
  maxRequests?: number;
  /** Tells a good response from a failed one (status already 200). */
  isError?: (body: string) => boolean;
}

export interface LoadResult {
  /** All requests sent, failed ones included. */
  requests: number;
  errors: number;
  /** First error seen, shortened, to explain a failed run. */
  firstError: string | null;
  wallMs: number;
  /** Of the successful requests only. */
  latenciesMs: number[];
}

/** Pools are kept per origin and concurrency so warm-up connections are reused by the run. */
const pools = new Map<string, Pool>();

function poolFor(origin: string, connections: number): Pool {
  const key = `${origin}|${connections}`;
  let pool = pools.get(key);
  if (!pool) {
    pool = new Pool(origin, { connections, pipelining: 1, keepAliveTimeout: 60_000 });
    pools.set(key, pool);
  }
  return pool;
}

export async function closePools(): Promise<void> {
  await Promise.all([...pools.values()].map((p) => p.close()));
  pools.clear();
}

/** One request, returning status and body text (used for set-up and equivalence checks). */
export async function send(
  origin: string,
  call: HttpCall,
): Promise<{ status: number; body: string }> {
  const pool = poolFor(origin, 4);
  const res = await pool.request({
    path: call.path,
    method: call.method,
    headers: call.headers,
    body: call.body,
  });
  return { status: res.statusCode, body: await res.body.text() };
}

export async function runLoad(options: LoadOptions): Promise<LoadResult> {
  const pool = poolFor(options.origin, options.concurrency);
  const latencies: number[] = [];
  let errors = 0;
  let firstError: string | null = null;
  let started = 0;
  const maxRequests = options.maxRequests ?? Number.POSITIVE_INFINITY;
  const t0 = performance.now();
  const deadline = t0 + options.durationMs;

  const worker = async (): Promise<void> => {
    while (performance.now() < deadline && started < maxRequests) {
      started += 1;
      const begin = performance.now();
      let failure: string | null = null;
      try {
        const res = await pool.request({
          path: options.call.path,
          method: options.call.method,
          headers: options.call.headers,
          body: options.call.body,
        });
        const text = await res.body.text();
        if (res.statusCode !== 200) failure = `HTTP ${res.statusCode}: ${text.slice(0, 300)}`;
        else if (options.isError?.(text)) failure = text.slice(0, 300);
      } catch (err) {
        failure = err instanceof Error ? err.message : String(err);
      }
      // Failed requests (e.g. load shed) are counted, not timed: a fast failure is no latency.
      if (failure === null) latencies.push(performance.now() - begin);
      else {
        errors += 1;
        firstError ??= failure;
      }
    }
  };
  await Promise.all(Array.from({ length: options.concurrency }, worker));
  return {
    requests: started,
    errors,
    firstError,
    wallMs: performance.now() - t0,
    latenciesMs: latencies,
  };
}

export interface LatencySummary {
  p50: number;
  p95: number;
  p99: number;
  mean: number;
  max: number;
}

/** Nearest-rank percentiles. */
export function summarize(latencies: readonly number[]): LatencySummary {
  const sorted = [...latencies].sort((a, b) => a - b);
  const at = (q: number): number =>
    sorted[Math.min(sorted.length - 1, Math.max(0, Math.ceil(q * sorted.length) - 1))] ??
    Number.NaN;
  const mean = sorted.reduce((sum, v) => sum + v, 0) / (sorted.length || 1);
  return {
    p50: at(0.5),
    p95: at(0.95),
    p99: at(0.99),
    mean,
    max: sorted[sorted.length - 1] ?? Number.NaN,
  };
}
