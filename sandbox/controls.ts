// Test controls: per-route call counts, a bounded request log (secrets redacted), latency with
// jitter, and seeded per-route fault injection.
import { Rng } from './data/random.js';
import { ROUTE_IDS, type RouteId } from './data/types.js';

export type FaultKind = 'status' | 'hang' | 'reset' | 'truncate';

export interface FaultRule {
  /** A route id, or '*' for every API route. */
  route: RouteId | '*';
  kind: FaultKind;
  /** For kind 'status': the HTTP status answered with an HTML body (default 503). */
  status?: number;
  /** Chance per call, 0..1 (default 1). */
  probability?: number;
  /** Stop after this many injected faults (default unlimited). */
  times?: number;
}

export interface FaultConfig {
  seed?: number;
  rules: FaultRule[];
}

export interface RequestLogEntry {
  seq: number;
  /** Epoch ms (sandbox clock). */
  time: number;
  route: RouteId | null;
  method: string;
  /** Path and query, secrets redacted. */
  url: string;
  /** Redacted Authorization header summary, null when absent. */
  authorization: string | null;
  /** The W3C `traceparent` the caller sent (a trace id is no secret), null when absent. */
  traceparent?: string | null;
  status: number;
  /** Injected fault, if any. */
  fault?: FaultKind;
}

export interface Latency {
  ms: number;
  jitterMs: number;
}

const LOG_MAX = 10_000;

/** API calls being answered and client connections open: now, and the most since the last reset. */
export interface ConcurrencyCounters {
  calls: number;
  peakCalls: number;
  connections: number;
  peakConnections: number;
  /** API calls answered (response closed) since the last reset. */
  answeredCalls: number;
  /** Their time in the sandbox in all, arrival to response closed (ms): the upstream latency. */
  answeredMs: number;
}

export class Controls {
  private counts = new Map<RouteId, number>();
  private load: ConcurrencyCounters = {
    calls: 0,
    peakCalls: 0,
    connections: 0,
    peakConnections: 0,
    answeredCalls: 0,
    answeredMs: 0,
  };
  private log: RequestLogEntry[] = [];
  private seq = 0;
  private rules: Array<FaultRule & { used: number }> = [];
  private faultRng = new Rng(1);
  private latencyRng = new Rng(2);
  latency: Latency;

  constructor(latency: Latency = { ms: 0, jitterMs: 0 }) {
    this.latency = latency;
  }

  count(route: RouteId): void {
    this.counts.set(route, (this.counts.get(route) ?? 0) + 1);
  }

  /** Counts since the last reset; routes never called are absent. */
  calls(): Record<RouteId, number> {
    const out: Partial<Record<RouteId, number>> = {};
    for (const id of ROUTE_IDS) {
      const n = this.counts.get(id);
      if (n) out[id] = n;
    }
    return out as Record<RouteId, number>;
  }

  resetCalls(): void {
    this.counts.clear();
    this.log = [];
    this.load.peakCalls = this.load.calls;
    this.load.peakConnections = this.load.connections;
    this.load.answeredCalls = 0;
    this.load.answeredMs = 0;
  }

  /** An API call starts (+1) or its response closes (-1). */
  callsInFlight(delta: 1 | -1): void {
    this.load.calls += delta;
    this.load.peakCalls = Math.max(this.load.peakCalls, this.load.calls);
  }

  /** An API call was answered after `ms` in the sandbox (benchmarks read the mean latency). */
  callAnswered(ms: number): void {
    this.load.answeredCalls += 1;
    this.load.answeredMs += ms;
  }

  /** A client connection opens (+1) or closes (-1). */
  connectionsOpen(delta: 1 | -1): void {
    this.load.connections += delta;
    this.load.peakConnections = Math.max(this.load.peakConnections, this.load.connections);
  }

  concurrency(): ConcurrencyCounters {
    return { ...this.load };
  }

  record(entry: Omit<RequestLogEntry, 'seq'>): void {
    this.log.push({ seq: ++this.seq, ...entry });
    // Trim in batches: shifting the array on every request would cost O(LOG_MAX) per call.
    if (this.log.length >= 2 * LOG_MAX) this.log.splice(0, this.log.length - LOG_MAX);
  }

  /** The last LOG_MAX entries, oldest first. */
  requests(): RequestLogEntry[] {
    return this.log.slice(-LOG_MAX);
  }

  setLatency(latency: Latency): void {
    this.latency = { ms: Math.max(0, latency.ms), jitterMs: Math.max(0, latency.jitterMs) };
    this.latencyRng = new Rng(2);
  }

  /** Delay for the next API call: ms plus uniform jitter in [0, jitterMs]. */
  nextDelay(): number {
    const { ms, jitterMs } = this.latency;
    return ms + (jitterMs > 0 ? Math.floor(this.latencyRng.next() * (jitterMs + 1)) : 0);
  }

  setFaults(config: FaultConfig): void {
    this.rules = config.rules.map((r) => ({ ...r, used: 0 }));
    this.faultRng = new Rng(config.seed ?? 1);
  }

  clearFaults(): void {
    this.rules = [];
  }

  faults(): FaultRule[] {
    return this.rules.map(({ used: _used, ...r }) => r);
  }

  /** The fault to inject for this call, if any (first matching rule whose roll hits). */
  pickFault(route: RouteId): FaultRule | undefined {
    for (const rule of this.rules) {
      if (rule.route !== '*' && rule.route !== route) continue;
      if (rule.times !== undefined && rule.used >= rule.times) continue;
      if (this.faultRng.next() >= (rule.probability ?? 1)) continue;
      rule.used++;
      return rule;
    }
    return undefined;
  }
}

export function isFaultConfig(value: unknown): value is FaultConfig {
  if (typeof value !== 'object' || value === null) return false;
  const rules = (value as { rules?: unknown }).rules;
  if (!Array.isArray(rules)) return false;
  const kinds: FaultKind[] = ['status', 'hang', 'reset', 'truncate'];
  return rules.every((r: unknown) => {
    if (typeof r !== 'object' || r === null) return false;
    const rule = r as Record<string, unknown>;
    const routeOk = rule.route === '*' || (ROUTE_IDS as readonly unknown[]).includes(rule.route);
    return routeOk && kinds.includes(rule.kind as FaultKind);
  });
}
