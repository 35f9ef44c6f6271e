import type { GraphQLSchema } from 'graphql';
import { GraphQLError, locatedError } from 'graphql';
import type { Plugin, YogaServerInstance } from 'graphql-yoga';
import { createYoga, maskError as yogaMaskError } from 'graphql-yoga';
import { TokenScopedCache } from './auth/token-scoped-cache.js';
import type { Config } from './config.js';
import { GatewayError } from './errors.js';
import type { Context, SharedDeps } from './context.js';
import { createContext } from './context.js';
import { createDispatcher } from './datasources/dispatcher.js';
import type { UpstreamCallEvent } from './datasources/http.js';
import { OpenHumansHttp, UpstreamError, toGatewayError } from './datasources/http.js';
import type { PublicCache } from './datasources/response-cache.js';
import { createPublicCache } from './datasources/response-cache.js';
import { resilienceFromConfig } from './datasources/resilience/index.js';
import { useRequestDeadline } from './datasources/resilience/deadline-plugin.js';
import { createDeauthorizationEventStore } from './events/create-store.js';
import type { DeauthorizationEventStore } from './events/deauthorization-event.js';
import { useCompression } from './http/compression.js';
import { GraphiQLPage, graphiqlOptions, useOfflineGraphiQL } from './http/graphiql.js';
import { useStableErrorCodes } from './http/error-codes.js';
import { YOGA_HEALTH_CHECK_OFF, useHealth } from './http/health.js';
import { ReadinessProbe, useReadiness } from './http/readiness.js';
import { requestIdOf, useRequestId } from './http/request-id.js';
import type { Logger } from './logger.js';
import { createLogger, toYogaLogger } from './logger.js';
import { createOAuthServices } from './oauth/services.js';
import { SessionManager } from './oauth/sessions.js';
import { createUploadServices } from './datasources/uploads/upload-services.js';
import type { UploadServices } from './datasources/uploads/upload-services.js';
import { useStreamingUploads } from './uploads/streaming-uploads.js';
import { schema as defaultSchema } from './schema/index.js';
import { useDeauthorizationWebhook } from './webhooks/deauthorize-webhook.js';
import { webhookPolicy } from './webhooks/webhook-policy.js';
import { eventStoreSettings } from './events/store-settings.js';
import { useSubgraphEndpoint } from './federation/subgraph-endpoint.js';
import { subgraphObservability } from './federation/observability.js';
import { abuseLimitPlugins } from './limits/index.js';
import { GatewayMetrics } from './observability/metrics.js';
import { useMetrics } from './observability/metrics-plugin.js';
import { GatewayTracing } from './observability/tracing.js';
import { useUnsupportedTransportErrors } from './realtime/http-transports.js';

/** The Apollo Federation subgraph's path (FEDERATION_SUBGRAPH; src/federation/). */
export const SUBGRAPH_ENDPOINT = '/subgraph';

export const GRAPHQL_ENDPOINT = '/graphql';

/** Prometheus metrics (METRICS; src/observability/). */
export const METRICS_ENDPOINT = '/metrics';

/** What the gateway needs; anything left out is built from `config` (tests pass their own). */
export interface GatewayDeps {
  config: Config;
  http?: OpenHumansHttp;
  publicCache?: PublicCache;
  /** Token-scoped read cache (partitioned by token hash); @default a fresh one, 10 s TTL. */
  tokenCache?: TokenScopedCache;
  logger?: Logger;
  /** Observes every upstream call (metrics); only used when `http` is built here. */
  onUpstreamCall?: (event: UpstreamCallEvent) => void;
  /** The schema to serve; @default the gateway's schema (tests may serve a small one). */
  schema?: GraphQLSchema;
  /** Deauthorization event store; @default Redis when REDIS_URL is set, else in memory. */
  deauthorizationEvents?: DeauthorizationEventStore;
  /** Upload settings and state; @default built from `config.uploads`. */
  uploads?: UploadServices;
  /**
   * Prometheus metrics served at /metrics; @default a fresh registry when METRICS is on. When
   * `http` is passed in, its creator wires `onCall` to `metrics.upstreamCall` itself.
   */
  metrics?: GatewayMetrics;
  /**
   * OpenTelemetry spans (no-ops unless an SDK is registered); @default a fresh one. Upstream
   * calls find their request's span themselves (src/observability/upstream-spans.ts).
   */
  tracing?: GatewayTracing;
}

export type Gateway = YogaServerInstance<Record<string, unknown>, Context>;

/** Builds the shared dependencies that were not passed in (the dispatcher only if needed). */
export function resolveDeps(deps: GatewayDeps): SharedDeps {
  const { config } = deps;
  const logger = deps.logger ?? createLogger({ level: config.server.logLevel });
  const http =
    deps.http ??
    new OpenHumansHttp({
      baseUrl: config.openHumans.baseUrl,
      dispatcher: createDispatcher(config),
      headersTimeoutMs: config.upstream.headersTimeoutMs,
      bodyTimeoutMs: config.upstream.bodyTimeoutMs,
      onCall: deps.onUpstreamCall,
      resilience: resilienceFromConfig(config, (routeClass, state) => {
        logger.warn('upstream circuit breaker', { routeClass, state });
        deps.metrics?.breakerState(routeClass, state);
      }),
    });
  const publicCache = deps.publicCache ?? ownPublicCache(config, logger);
  const tokenCache = deps.tokenCache ?? new TokenScopedCache();
  const oauth = createOAuthServices(config, http, logger);
  const deauthorizationEvents =
    deps.deauthorizationEvents ??
    createDeauthorizationEventStore({
      ...eventStoreSettings(config),
      onError: (message) => logger.warn(message),
    });
  const uploads = deps.uploads ?? createUploadServices(config.uploads);
  return { config, http, publicCache, logger, tokenCache, oauth, deauthorizationEvents, uploads };
}

/** Closers of what `resolveDeps` built itself (a Redis connection), run when the gateway is disposed. */
const ownedClosers = new WeakMap<PublicCache, () => Promise<void>>();

/** A public cache built here (Redis with REDIS_URL, else memory); closed with the gateway. */
function ownPublicCache(config: Config, logger: Logger): PublicCache {
  const { cache, close } = createPublicCache(config, (message) => logger.warn(message));
  ownedClosers.set(cache, close);
  return cache;
}

/**
 * Error masking stays ON (yoga's default). Before masking, an `UpstreamError` that a data
 * source let through is mapped by the one mapping (`toGatewayError`), keeping its location
 * and path; anything else unexpected becomes "Unexpected error." and is logged by yoga.
 */
export function maskError(error: unknown, message: string, isDev?: boolean): Error {
  const original = error instanceof GraphQLError ? error.originalError : error;
  if (original instanceof UpstreamError) {
    const mapped = toGatewayError(original) as GraphQLError;
    return error instanceof GraphQLError ? locatedError(mapped, error.nodes, error.path) : mapped;
  }
  // Already mapped (e.g. `toGatewayError` keeps the UpstreamError as its cause, which yoga would
  // otherwise take for an unexpected error): safe to show as it is.
  if (original instanceof GatewayError) return error instanceof GraphQLError ? error : original;
  return yogaMaskError(error, message, isDev);
}

/** CORS: only the configured origins get CORS headers; none by default (same-origin only). */
function corsFor(origins: readonly string[]) {
  if (origins.length === 0) return false as const;
  return (request: Request) => {
    const origin = request.headers.get('origin');
    if (!origin || !origins.includes(origin)) return false as unknown as Record<string, never>;
    return {
      origin: [origin],
      methods: ['GET', 'POST'],
      allowedHeaders: ['authorization', 'content-type', 'x-request-id', 'graphql-preflight'],
      exposedHeaders: ['x-request-id'],
      credentials: false,
      maxAge: 600,
    };
  };
}

/**
 * The gateway as a request handler (`createServer(gateway)` or `gateway.fetch(...)`); it never
 * listens. Serves `/graphql` (GET, POST; GraphiQL for browsers), `/health` and `/readiness`.
 */
export function createGateway(deps: GatewayDeps): Gateway {
  const metrics = deps.metrics ?? (deps.config.metrics ? new GatewayMetrics() : undefined);
  const tracing = deps.tracing ?? new GatewayTracing();
  const onUpstreamCall = (event: UpstreamCallEvent): void => {
    metrics?.upstreamCall(event);
    deps.onUpstreamCall?.(event);
  };
  const shared = resolveDeps({ ...deps, metrics, onUpstreamCall });
  const { config, logger } = shared;
  metrics?.watchPublicCache(shared.publicCache.stats);
  const schema = deps.schema ?? defaultSchema;
  const sessions = sessionManager(shared);
  const plugins = [
    useHealth('/health'),
    useRequestId(logger),
    useStableErrorCodes(),
    // Every upstream call of a request shares its time budget (retries and queueing included).
    useRequestDeadline(config.requestDeadlineMs),
    ...(config.federation.subgraph ? [subgraphEndpoint(config, shared, metrics, tracing)] : []),
    ...(metrics ? [useMetrics(metrics, { path: METRICS_ENDPOINT, graphqlPaths: [GRAPHQL_ENDPOINT] })] : []),
    // The webhook is traced too: a delivery's traceparent continues into its store writes.
    tracing.plugin([GRAPHQL_ENDPOINT, config.deauthorization.webhookPath]),
    // Rate limit, persisted operations, depth/alias/token/cost limits, introspection switch.
    ...abuseLimitPlugins(config, {
      rateLimitedPaths: [GRAPHQL_ENDPOINT],
      onRateLimited: () => metrics?.rateLimited(),
      onWarning: (message) => logger.warn(message),
    }),
    ...(sessions ? [sessions.plugin()] : []),
    // Multipart (file upload) requests stream instead of being buffered whole by yoga.
    useStreamingUploads({
      maxFileBytes: shared.uploads.settings.maxUploadBytes,
      tmpDir: shared.uploads.settings.tmpDir,
      graphqlEndpoint: GRAPHQL_ENDPOINT,
    }),
    useReadiness('/readiness', new ReadinessProbe(shared.http)),
    ...(config.server.graphiql
      ? [useOfflineGraphiQL(GRAPHQL_ENDPOINT, new GraphiQLPage(() => graphiqlOptions(schema, GRAPHQL_ENDPOINT)))]
      : []),
    useCompression(),
    useUnsupportedTransportErrors([GRAPHQL_ENDPOINT]),
    ...deauthorizationPlugins(deps, shared),
  ];
  return createYoga<Record<string, unknown>, Context>({
    schema,
    graphqlEndpoint: GRAPHQL_ENDPOINT,
    // `/health` is served by useHealth (exact path); yoga's check matches any URL ending in it.
    healthCheckEndpoint: YOGA_HEALTH_CHECK_OFF,
    // GraphiQL is served by useOfflineGraphiQL; yoga's own page would load it from a CDN.
    graphiql: false,
    landingPage: false,
    maskedErrors: { maskError },
    cors: corsFor(config.server.corsOrigins),
    logging: toYogaLogger(logger),
    // Only session mode makes context creation asynchronous (it may refresh a token).
    context: sessions
      ? async ({ request }) => createContext(request, requestIdOf(request), shared, await sessions.tokenFor(request))
      : ({ request }) => createContext(request, requestIdOf(request), shared),
    plugins,
  });
}

/**
 * `/subgraph` (its own yoga) under the same operation limits as `/graphql` (depth, aliases,
 * tokens, cost, introspection switch), but without the persisted-operations allow-list (routers
 * generate their subgraph operations) and without the per-client rate limit (behind a router
 * every anonymous client shares the router's address: rate-limit at the router).
 */
function subgraphEndpoint(config: Config, shared: SharedDeps, metrics: GatewayMetrics | undefined, tracing: GatewayTracing): Plugin {
  const limits: Config = {
    ...config,
    limits: { ...config.limits, persistedOperationsFile: null },
    rateLimit: { ...config.rateLimit, perSecond: 0 },
  };
  const plugins = [
    // Observed like /graphql (metrics, spans, ftv1 traces for routers); src/federation/observability.ts.
    ...subgraphObservability({ path: SUBGRAPH_ENDPOINT, metricsPath: METRICS_ENDPOINT, metrics, tracing }),
    useStableErrorCodes(),
    ...abuseLimitPlugins(limits, {
      rateLimitedPaths: [SUBGRAPH_ENDPOINT],
      onRateLimited: () => metrics?.rateLimited(),
    }),
  ];
  const { typePrefix } = config.federation;
  return useSubgraphEndpoint({ path: SUBGRAPH_ENDPOINT, typePrefix, shared, maskError, plugins });
}

/**
 * The deauthorization webhook receiver, served as `webhookPolicy` decides (a project id, and a
 * secret in production); plus closing a store built here.
 */
function deauthorizationPlugins(deps: GatewayDeps, shared: SharedDeps): Plugin[] {
  const { config, logger, deauthorizationEvents: store } = shared;
  const plugins: Plugin[] = [];
  const policy = webhookPolicy(config);
  const projectId = config.openHumans.projectId;
  if (policy.serve && projectId !== null) {
    if (policy.warning) logger.warn(policy.warning);
    const { webhookPath: path, timestampToleranceMs: toleranceMs } = config.deauthorization;
    const { secret, acceptUnsigned } = policy;
    plugins.push(useDeauthorizationWebhook({ path, projectId, secret, acceptUnsigned, toleranceMs, store, logger }));
  } else if (!policy.serve && projectId !== null) {
    logger.error(policy.reason);
  }
  if (!deps.deauthorizationEvents) plugins.push({ onDispose: () => store.close() });
  const closeCache = ownedClosers.get(shared.publicCache);
  if (closeCache) plugins.push({ onDispose: closeCache });
  return plugins;
}

/** Session mode (OAUTH_SESSIONS): sign-in routes and cookie-carried member tokens; null when off. */
function sessionManager(shared: SharedDeps): SessionManager | null {
  const { config, oauth, logger } = shared;
  const secret = config.openHumans.clientSecret;
  if (!config.oauth.sessions.enabled || !oauth || !secret) return null;
  const { redirectUri, secureCookies } = config.oauth.sessions;
  return new SessionManager(oauth, secret, { redirectUri, secure: secureCookies }, logger);
}
