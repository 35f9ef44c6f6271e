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

/**
 * The mean time an API call spent in the sandbox since the last reset (arrival to response
 * closed, the injected latency included), in ms; null when none was answered. It is the upstream
 * latency as Open Humans would see it: the caller's own delays (event loop, parsing) are not in it.
 */
export async function readUpstreamLatency(sandboxUrl: string): Promise<number | null> {
  const { origin } = new URL(sandboxUrl);
  const res = await send(origin, { path: '/__sandbox/concurrency', method: 'GET', headers: {} });
  if (res.status !== 200) throw new Error(`sandbox concurrency failed: HTTP ${res.status}`);
  const { answeredCalls, answeredMs } = JSON.parse(res.body) as {
    answeredCalls?: number;
    answeredMs?: number;
  };
  return answeredCalls && answeredMs !== undefined ? answeredMs / answeredCalls : null;
}

export const totalCalls = (counts: Record<string, number>): number =>
  Object.values(counts).reduce((sum, n) => sum + n, 0);
