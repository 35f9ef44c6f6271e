import { Counter, collectDefaultMetrics, Gauge, Histogram, Registry } from 'prom-client';

/*
 * Prometheus metrics of one gateway (its own registry, so several gateways in one process, as
 * in tests, never collide). Label values are bounded: route ids, status codes, and operation
 * names only while fewer than MAX_OPERATION_NAMES distinct ones were seen.
 */

/**
 * Circuit-breaker states as the resilience layer names them
 * (`src/datasources/resilience/breaker.ts`).
 */
export type BreakerState = 'closed' | 'open' | 'half_open';

/** What the upstream side reports; the resilience layer calls `breakerState` on each change. */
export interface UpstreamObserver {
  /** One upstream call finished (the HTTP layer's `onCall`). */
  upstreamCall(event: {
    route: string;
    method: string;
    status: number | undefined;
    outcome: string;
    durationMs: number;
  }): void;
  /** A circuit breaker named `name` is now in `state`. */
  breakerState(name: string, state: BreakerState): void;
}

/** The public cache's counters (`PublicCache.stats`), read at scrape time. */
export interface CacheCounters {
  readonly hits: number;
  readonly misses: number;
  readonly joined?: number;
}

const BREAKER_VALUE: Record<BreakerState, number> = { closed: 0, half_open: 1, open: 2 };
const MAX_OPERATION_NAMES = 200;
const OPERATION_NAME = /^[_A-Za-z][_0-9A-Za-z]{0,63}$/;
const LATENCY_BUCKETS = [0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5, 10, 30];

export interface GatewayMetricsOptions {
  /** Node process metrics (CPU, memory, event loop lag); once per process (`startServer`). */
  processMetrics?: boolean;
}

export class GatewayMetrics implements UpstreamObserver {
  readonly registry = new Registry();
  private readonly operationNames = new Set<string>();
  private readonly requestDuration: Histogram<
    'operation_name' | 'operation_type' | 'status' | 'endpoint'
  >;
  private readonly graphqlErrors: Counter<'operation_name' | 'code'>;
  private readonly upstreamCalls: Counter<'route' | 'method' | 'status' | 'outcome'>;
  private readonly upstreamDuration: Histogram<'route' | 'outcome'>;
  private readonly breaker: Gauge<'breaker'>;
  private readonly breakerTransitions: Counter<'breaker' | 'state'>;
  private readonly rateLimitedCounter: Counter;
  private readonly websocketConnections: Gauge;
  private readonly websocketOperations: Counter<'operation_type'>;
  private caches: CacheCounters[] = [];

  constructor(options: GatewayMetricsOptions = {}) {
    const registers = [this.registry];
    if (options.processMetrics) {
      collectDefaultMetrics({ register: this.registry });
      // prom-client names these three gauges `_total`, a suffix Prometheus keeps for counters
      // (promtool rejects them); the per-type `nodejs_active_*{type}` gauges carry the same data.
      for (const name of [
        'nodejs_active_handles_total',
        'nodejs_active_requests_total',
        'nodejs_active_resources_total',
      ]) {
        this.registry.removeSingleMetric(name);
      }
    }
    this.requestDuration = new Histogram({
      name: 'graphql_request_duration_seconds',
      help: 'GraphQL requests: latency (and, by its _count, rate) by operation name, type, HTTP status and endpoint (graphql, subgraph).',
      labelNames: ['operation_name', 'operation_type', 'status', 'endpoint'],
      buckets: LATENCY_BUCKETS,
      registers,
    });
    this.graphqlErrors = new Counter({
      name: 'graphql_errors_total',
      help: 'Errors in GraphQL results by operation name and extensions.code.',
      labelNames: ['operation_name', 'code'],
      registers,
    });
    this.upstreamCalls = new Counter({
      name: 'upstream_requests_total',
      help: 'Calls to Open Humans by route id (P1..P13, D1..D9, ...), method, HTTP status and outcome.',
      labelNames: ['route', 'method', 'status', 'outcome'],
      registers,
    });
    this.upstreamDuration = new Histogram({
      name: 'upstream_request_duration_seconds',
      help: 'Latency of calls to Open Humans by route id and outcome.',
      labelNames: ['route', 'outcome'],
      buckets: LATENCY_BUCKETS,
      registers,
    });
    this.breaker = new Gauge({
      name: 'upstream_breaker_state',
      help: 'Circuit breaker state per breaker: 0 closed, 1 half-open, 2 open.',
      labelNames: ['breaker'],
      registers,
    });
    this.breakerTransitions = new Counter({
      name: 'upstream_breaker_transitions_total',
      help: 'Circuit breaker state changes by breaker and new state.',
      labelNames: ['breaker', 'state'],
      registers,
    });
    this.rateLimitedCounter = new Counter({
      name: 'rate_limited_requests_total',
      help: 'Requests refused by the per-client rate limit (HTTP 429).',
      registers,
    });
    this.websocketConnections = new Gauge({
      name: 'websocket_connections',
      help: 'Open WebSocket (graphql-transport-ws) connections.',
      registers,
    });
    this.websocketOperations = new Counter({
      name: 'websocket_operations_total',
      help: 'Operations started over WebSocket by operation type (query, mutation, subscription).',
      labelNames: ['operation_type'],
      registers,
    });
    this.registerCacheMetrics(registers);
  }

  /** A WebSocket connection opened (+1) or closed (-1). */
  websocketConnection(delta: 1 | -1): void {
    this.websocketConnections.inc(delta);
  }

  /** An operation started over WebSocket. */
  websocketOperation(operationType: 'query' | 'mutation' | 'subscription'): void {
    this.websocketOperations.inc({ operation_type: operationType });
  }

  /** The shared public cache whose hit ratio is reported (`PublicCache.stats`). */
  watchPublicCache(stats: CacheCounters): void {
    this.caches = [stats];
  }

  private registerCacheMetrics(registers: Registry[]): void {
    const sum = (pick: (c: CacheCounters) => number | undefined): number =>
      this.caches.reduce((n, c) => n + (pick(c) ?? 0), 0);
    const counterFrom = (
      name: string,
      help: string,
      pick: (c: CacheCounters) => number | undefined,
    ) =>
      new Counter({
        name,
        help,
        registers,
        collect() {
          this.reset();
          this.inc(sum(pick));
        },
      });
    counterFrom(
      'public_cache_hits_total',
      'Public cache lookups answered from the cache.',
      (c) => c.hits,
    );
    counterFrom(
      'public_cache_misses_total',
      'Public cache lookups that called Open Humans.',
      (c) => c.misses,
    );
    counterFrom(
      'public_cache_joined_total',
      'Public cache misses that joined a call already in flight.',
      (c) => c.joined,
    );
    new Gauge({
      name: 'public_cache_hit_ratio',
      help: 'Share of public cache lookups answered without a new upstream call (hits + joined) / all.',
      registers,
      collect() {
        const served = sum((c) => c.hits) + sum((c) => c.joined);
        const all = served + sum((c) => c.misses);
        this.set(all === 0 ? 0 : served / all);
      },
    });
  }

  /** A bounded label for a client-chosen operation name. */
  operationLabel(name: string | null | undefined): string {
    if (!name) return '(anonymous)';
    if (!OPERATION_NAME.test(name)) return '(other)';
    if (this.operationNames.has(name)) return name;
    if (this.operationNames.size >= MAX_OPERATION_NAMES) return '(other)';
    this.operationNames.add(name);
    return name;
  }

  /** One GraphQL request ended (see `useMetrics`). */
  observeRequest(
    labels: {
      operationName: string;
      operationType: string;
      status: number;
      endpoint?: 'graphql' | 'subgraph';
    },
    seconds: number,
  ): void {
    this.requestDuration.observe(
      {
        operation_name: labels.operationName,
        operation_type: labels.operationType,
        status: String(labels.status),
        endpoint: labels.endpoint ?? 'graphql',
      },
      seconds,
    );
  }

  graphqlError(operationName: string, code: string): void {
    this.graphqlErrors.inc({ operation_name: operationName, code });
  }

  upstreamCall(event: {
    route: string;
    method: string;
    status: number | undefined;
    outcome: string;
    durationMs: number;
  }): void {
    const outcome = event.outcome;
    this.upstreamCalls.inc({
      route: event.route,
      method: event.method,
      status: event.status === undefined ? 'none' : String(event.status),
      outcome,
    });
    this.upstreamDuration.observe({ route: event.route, outcome }, event.durationMs / 1000);
  }

  breakerState(name: string, state: BreakerState): void {
    this.breaker.set({ breaker: name }, BREAKER_VALUE[state]);
    this.breakerTransitions.inc({ breaker: name, state });
  }

  rateLimited(): void {
    this.rateLimitedCounter.inc();
  }

  /** The exposition text (Prometheus text format 0.0.4). */
  render(): Promise<string> {
    return this.registry.metrics();
  }

  get contentType(): string {
    return this.registry.contentType;
  }
}
