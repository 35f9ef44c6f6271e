/** The sandbox's test controls (sandbox/README.md): per-route call counters. */
import { send } from './load.js';

export async function resetCalls(sandboxUrl: string): Promise<void> {
  const { origin } = new URL(sandboxUrl);
  const res = await send(origin, {
    path: '/__sandbox/reset',
    method: 'POST',
    headers: { 'content-type': 'application/json' },
    body: '{}',
  });
  if (res.status >= 300) throw new Error(`sandbox reset failed: HTTP ${res.status}`);
}

/** Calls per route id since the last reset. */
export async function readCalls(sandboxUrl: string): Promise<Record<string, number>> {
  const { origin } = new URL(sandboxUrl);
  const res = await send(origin, { path: '/__sandbox/calls', method: 'GET', headers: {} });
  if (res.status !== 200) throw new Error(`sandbox calls failed: HTTP ${res.status}`);
  const counts = JSON.parse(res.body) as Record<string, number>;
  return Object.fromEntries(Object.entries(counts).filter(([, n]) => n > 0));
}

/** The upstream load of the calls answered since the last reset, as the sandbox saw it. */
export interface UpstreamLoad {
  /** Mean time of a call in the sandbox (arrival to response closed, injected latency included). */
  latencyMs: number;
  /** All the answered calls' time in the sandbox, summed (ms). */
  answeredMs: number;
  /** Most calls in flight at once since the last reset. */
  peakCalls: number;
}

/**
 * The run's calls as the sandbox saw them (null when none was answered). The latency is the
 * upstream latency as Open Humans would see it: the caller's own delays (event loop, parsing) are
 * not in it. `answeredMs` over the run's wall time is the mean number of calls in flight.
 */
export async function readUpstreamLoad(sandboxUrl: string): Promise<UpstreamLoad | null> {
  const { origin } = new URL(sandboxUrl);
  const res = await send(origin, { path: '/__sandbox/concurrency', method: 'GET', headers: {} });
  if (res.status !== 200) throw new Error(`sandbox concurrency failed: HTTP ${res.status}`);
  const { answeredCalls, answeredMs, peakCalls } = JSON.parse(res.body) as {
    answeredCalls?: number;
    answeredMs?: number;
    peakCalls?: number;
  };
  return answeredCalls && answeredMs !== undefined
    ? { latencyMs: answeredMs / answeredCalls, answeredMs, peakCalls: peakCalls ?? 0 }
    : null;
}

export const totalCalls = (counts: Record<string, number>): number =>
  Object.values(counts).reduce((sum, n) => sum + n, 0);
