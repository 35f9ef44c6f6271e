import type { GraphQLSchema } from 'graphql';
import { GraphQLError, locatedError } from 'graphql';
import type { Plugin, YogaServerInstance } from 'graphql-yoga';
import { createYoga, maskError as yogaMaskError } from 'graphql-yoga';
import type { Config } from './config/index.js';
import type { TrustProxy } from './config/security.js';
import type { Context, SharedDeps } from './context.js';
import { createContext } from './context.js';
import type { OpenHumans, OpenHumansOptions } from './datasources/open-humans.js';
import { createOpenHumans } from './datasources/open-humans.js';
import type { UpstreamCallEvent } from './datasources/open-humans-http.js';
import { toGatewayError, UpstreamError } from './datasources/open-humans-http.js';
import { RedisIdempotencyStore } from './datasources/writes/redis-idempotency.js';
import type { SharedUploadState, UploadServices } from './datasources/writes/upload-services.js';
import { createUploadServices } from './datasources/writes/upload-services.js';
import { GatewayError } from './errors.js';
import { createDeauthorizationEventStore } from './events/create-store.js';
import type { DeauthorizationEventStore } from './events/deauthorization-event.js';
import { eventStoreSettings } from './events/store-settings.js';
import { subgraphObservability } from './federation/observability.js';
import { useSubgraphEndpoint } from './federation/subgraph-endpoint.js';
import { useBodyLimit } from './http/body-limit.js';
import { useCompiledExecution } from './http/compiled-execution.js';
import { useCompression } from './http/compression.js';
import { useRequestDeadline } from './http/deadline-plugin.js';
import { useStableErrorCodes } from './http/error-codes.js';
import { GraphiQLPage, graphiqlOptions, useOfflineGraphiQL } from './http/graphiql.js';
import { useHealth, YOGA_HEALTH_CHECK_OFF } from './http/health.js';
import { PREFLIGHT_HEADERS, useStreamingUploads } from './http/multipart/streaming-uploads.js';
import { createUploadGuard } from './http/multipart/upload-admission.js';
import type { SharedGeneration } from './http/public-response-cache.js';
import { PublicResponseCache, usePublicResponseCache } from './http/public-response-cache.js';
import { ReadinessProbe, useReadiness } from './http/readiness.js';
import { requestIdOf, useRequestId } from './http/request-id.js';
import { useSecurityHeaders } from './http/security-headers.js';
import type { TrustProxySetting } from './http/trusted-proxy.js';
import { trustedHop } from './http/trusted-proxy.js';
import { abuseLimitPlugins, createClientLimits, useUpstreamBudget } from './limits/index.js';
import type { ClientLimits } from './limits/rate-limit.js';
import type { Logger } from './logger.js';
import { createLogger, toYogaLogger } from './logger.js';
import { createOAuthServices } from './oauth/services.js';
import { SESSION_PATHS, SessionManager } from './oauth/sessions.js';
import { GatewayMetrics } from './observability/metrics.js';
import { useMetrics } from './observability/metrics-plugin.js';
import { GatewayTracing } from './observability/tracing.js';
import { useUnsupportedTransportErrors } from './realtime/http-transports.js';
import { redisKey } from './redis/keys.js';
import type { SharedRedis } from './redis/shared-redis.js';
import { schema as defaultSchema } from './schema/index.js';
import { useDeauthorizationWebhook } from './webhooks/deauthorize-webhook.js';
import { webhookPolicy } from './webhooks/webhook-policy.js';

/** The Apollo Federation subgraph's path (SUBGRAPH_SECRET; src/federation/). */
export const SUBGRAPH_ENDPOINT = '/subgraph';

export const GRAPHQL_ENDPOINT = '/graphql';

/**
 * Prometheus metrics (METRICS; with METRICS_TOKEN on this port, or METRICS_PORT;
 * src/observability/).
 */
export const METRICS_ENDPOINT = '/metrics';

/** What the gateway needs; anything left out is built from `config` (tests pass their own). */
export interface GatewayDeps {
  config: Config;
  /**
   * The process's Open Humans client (`createOpenHumans`), wired to `metrics` by its creator and
   * closed by it. @default one built here from `config` and the parts below, closed on dispose.
   */
  openHumans?: OpenHumans;
  /** Parts of the Open Humans client built here (ignored with `openHumans`); tests inject them. */
  openHumansParts?: OpenHumansParts;
  logger?: Logger;
  /** Observes every upstream call (besides metrics); only used when the client is built here. */
  onUpstreamCall?: (event: UpstreamCallEvent) => void;
  /** The schema to serve; @default the gateway's schema (tests may serve a small one). */
  schema?: GraphQLSchema;
  /** Deauthorization event store; @default Redis when REDIS_URL is set, else in memory. */
  deauthorizationEvents?: DeauthorizationEventStore;
  /** Upload settings and state; @default built from `config.uploads`. */
  uploads?: UploadServices;
  /**
   * Prometheus metrics served at /metrics; @default a fresh registry when METRICS is on. An
   * `openHumans` passed in must have been built with the same `metrics`.
   */
  metrics?: GatewayMetrics;
  /**
   * OpenTelemetry spans (no-ops unless an SDK is registered); @default a fresh one. Upstream
   * calls find their request's span themselves (src/observability/upstream-spans.ts).
   */
  tracing?: GatewayTracing;
  /**
   * The clock of sign-in and sessions (state expiry, token expiry, lifetimes); @default Date.now.
   * Tests inject one.
   */
  sessionClock?: () => number;
  /**
   * The process's shared Redis (`createSharedRedis`); @default the Open Humans client's, which
   * builds one from REDIS_URL (closed with it). Pass `null` for none even with REDIS_URL.
   */
  redis?: SharedRedis | null;
  /**
   * The per-client rate limit's state (`createClientLimits`), when the listener shares it with
   * its WebSocket endpoint: a client then has one bucket across every transport (and, with
   * REDIS_URL, every instance). @default built here from the configuration; `null`: no limit.
   */
  clientLimits?: ClientLimits | null;
}

/** What a test may inject into the Open Humans client the gateway builds. */
export type OpenHumansParts = Pick<
  OpenHumansOptions,
  'resilience' | 'dispatcher' | 'publicCache' | 'tokenCache' | 'onBreakerChange'
>;

export type Gateway = YogaServerInstance<Record<string, unknown>, Context>;

/** The Open Humans client passed in, or one built here (then closed with the gateway). */
function openHumansFor(
  deps: GatewayDeps,
  logger: Logger,
  metrics: GatewayMetrics | undefined,
): { openHumans: OpenHumans; owned: boolean } {
  if (deps.openHumans) return { openHumans: deps.openHumans, owned: false };
  const openHumans = createOpenHumans(deps.config, {
    ...deps.openHumansParts,
    logger,
    metrics,
    onUpstreamCall: deps.onUpstreamCall,
    redis: deps.redis,
  });
  return { openHumans, owned: true };
}

/** The process-wide parts every request shares, around the Open Humans client. */
function sharedDeps(deps: GatewayDeps, logger: Logger, openHumans: OpenHumans): SharedDeps {
  const { config } = deps;
  const { http, redis } = openHumans;
  const oauth = createOAuthServices(config, http, logger, redis, deps.sessionClock);
  const deauthorizationEvents =
    deps.deauthorizationEvents ??
    createDeauthorizationEventStore({
      ...eventStoreSettings(config),
      keyPrefix: redisKey(config, ''),
      onError: (message) => logger.warn(message),
    });
  const uploads =
    deps.uploads ??
    createUploadServices(config.uploads, config.uploadLimits, sharedIdempotency(config, redis));
  return {
    config,
    openHumans,
    logger,
    oauth,
    deauthorizationEvents,
    uploads,
  };
}

/**
 * Idempotency keys and handle completions in Redis when the process has one (a retry may reach
 * another instance).
 */
function sharedIdempotency(
  config: Config,
  redis: SharedRedis | null,
): SharedUploadState | undefined {
  if (!redis) return undefined;
  const ttlMs = config.uploads.idempotencyTtlMs;
  return {
    idempotency: new RedisIdempotencyStore({
      redis,
      keyPrefix: redisKey(config, 'idempotency', ''),
      ttlMs,
    }),
    completions: new RedisIdempotencyStore({
      redis,
      keyPrefix: redisKey(config, 'upload-completion', ''),
      ttlMs,
    }),
  };
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

/**
 * A document graphql-jit refused runs interpreted; said once per compiled-plan entry. The
 * messages are left out: they may quote the document's literals (which may hold a secret).
 */
function logCompileError(logger: Logger, errors: readonly GraphQLError[]): void {
  logger.warn('compiled execution: a query runs interpreted (graphql-jit refused it)', {
    errors: errors.length,
  });
}

/** CORS: only the configured origins get CORS headers; none by default (same-origin only). */
function corsFor(origins: readonly string[], sessionCookies = false) {
  if (origins.length === 0) return false as const;
  return (request: Request) => {
    const origin = request.headers.get('origin');
    if (!origin || !origins.includes(origin)) return false as unknown as Record<string, never>;
    return {
      origin: [origin],
      methods: ['GET', 'POST'],
      // Every CSRF header a multipart upload may carry, or a cross-origin upload fails its
      // preflight.
      allowedHeaders: ['authorization', 'content-type', 'x-request-id', ...PREFLIGHT_HEADERS],
      exposedHeaders: ['x-request-id'],
      // Session mode: listed origins may send the cookie (still under the CSRF rule).
      credentials: sessionCookies,
      maxAge: 600,
    };
  };
}

/**
 * The per-client rate limit as the gateway wires it: refusals counted in the metrics, Redis
 * trouble logged, buckets in the shared Redis when there is one. Built once per process and
 * given to `createGateway` and the WebSocket endpoint, so a client has one bucket for both.
 */
export function gatewayClientLimits(
  config: Config,
  parts: { metrics?: GatewayMetrics; logger: Logger; redis: SharedRedis | null },
): ClientLimits | null {
  return createClientLimits(config, {
    onRateLimited: () => parts.metrics?.rateLimited(),
    onWarning: (message) => parts.logger.warn(message),
    redis: parts.redis,
  });
}

/**
 * The gateway as a request handler (`createServer(gateway)` or `gateway.fetch(...)`); it never
 * listens. Serves `/graphql` (GET, POST; GraphiQL for browsers), `/health` and `/readiness`.
 */
export function createGateway(deps: GatewayDeps): Gateway {
  const metrics = deps.metrics ?? (deps.config.metrics ? new GatewayMetrics() : undefined);
  const tracing = deps.tracing ?? new GatewayTracing();
  const logger = deps.logger ?? createLogger({ level: deps.config.server.logLevel });
  const { openHumans, owned } = openHumansFor(deps, logger, metrics);
  const shared = sharedDeps(deps, logger, openHumans);
  const { config } = shared;
  const schema = deps.schema ?? defaultSchema;
  const sessions = sessionManager(shared, deps.sessionClock);
  // One bucket per client for /graphql and /subgraph.
  const clientLimits =
    deps.clientLimits !== undefined
      ? deps.clientLimits
      : gatewayClientLimits(config, { metrics, logger, redis: shared.openHumans.redis });
  const { maxUpstreamCallsPerRequest: maxCalls, upstreamConcurrencyPerRequest: maxInFlight } =
    config.security;
  const plugins = [
    // First registered, last disposed: the client outlives every plugin that may still call or
    // cache.
    ...(owned ? [{ onDispose: () => openHumans.close() } satisfies Plugin] : []),
    useHealth('/health'),
    useRequestId(logger),
    // MAX_BODY_BYTES, decided before a non-multipart body is buffered (also for /subgraph).
    useBodyLimit(config.connectionLimits.maxBodyBytes, GRAPHQL_ENDPOINT),
    useStableErrorCodes(),
    // Every upstream call of a request shares its time budget (retries and queueing included).
    useRequestDeadline(config.requestDeadlineMs),
    // …and its budget of upstream calls and its share of the shared upstream concurrency.
    useUpstreamBudget({ maxCalls, maxInFlight }),
    ...subgraphPlugins(config, shared, clientLimits, metrics, tracing),
    ...(metrics
      ? [
          useMetrics(metrics, {
            path: METRICS_ENDPOINT,
            graphqlPaths: [GRAPHQL_ENDPOINT],
            token: config.security.metricsToken,
          }),
        ]
      : []),
    // The webhook is traced too: a delivery's traceparent continues into its store writes.
    tracing.plugin([GRAPHQL_ENDPOINT, config.deauthorization.webhookPath]),
    // Rate limit, persisted operations, depth/alias/token/cost limits, introspection switch.
    ...abuseLimitPlugins(config, {
      rateLimitedPaths: [GRAPHQL_ENDPOINT],
      clientLimits,
      ownsLimiter: true,
    }),
    ...(sessions ? [sessions.plugin()] : []),
    // Before the response cache, which then wraps the compiled execute (a hit never compiles).
    ...(config.compiledExecution
      ? [useCompiledExecution({ onCompileError: (errors) => logCompileError(logger, errors) })]
      : []),
    // Whole answers to anonymous public queries (after the limits above, which a hit skips past).
    ...publicResponseCachePlugins(shared, schema, sessions?.cookieName ?? null),
    // Multipart (file upload) requests stream instead of being buffered whole by yoga.
    useStreamingUploads({
      maxFileBytes: shared.uploads.settings.maxUploadBytes,
      tmpDir: shared.uploads.settings.tmpDir,
      graphqlEndpoint: GRAPHQL_ENDPOINT,
      maxTokens: config.limits.maxTokens,
      // The token is proven upstream and capacity taken before a byte of the body is read.
      guard: createUploadGuard({
        http: shared.openHumans.http,
        limits: config.uploadLimits,
        capacity: shared.uploads.capacity,
        tmpDir: shared.uploads.settings.tmpDir,
        sessionToken: sessions ? (request) => sessions.tokenFor(request) : undefined,
      }),
    }),
    useReadiness(
      '/readiness',
      new ReadinessProbe(shared.openHumans.http, {}, shared.openHumans.redis),
    ),
    ...(config.server.graphiql
      ? [
          useOfflineGraphiQL(
            GRAPHQL_ENDPOINT,
            new GraphiQLPage(() => graphiqlOptions(schema, GRAPHQL_ENDPOINT)),
          ),
        ]
      : []),
    useCompression(),
    useUnsupportedTransportErrors([GRAPHQL_ENDPOINT]),
    ...deauthorizationPlugins(deps, shared),
    // No-store for credentialed and OAuth answers, Vary: Origin with CORS
    // (src/http/security-headers.ts).
    useSecurityHeaders({
      sessionCookie: sessions?.cookieName ?? null,
      oauthPaths: Object.values(SESSION_PATHS),
      varyOrigin: config.server.corsOrigins.length > 0,
    }),
    ...(shared.oauth ? [{ onDispose: () => shared.oauth?.store.close() } satisfies Plugin] : []),
  ];
  return createYoga<Record<string, unknown>, Context>({
    schema,
    graphqlEndpoint: GRAPHQL_ENDPOINT,
    // `/health` is served by useHealth (exact path); yoga's check matches any URL ending in it.
    healthCheckEndpoint: YOGA_HEALTH_CHECK_OFF,
    // GraphiQL is served by useOfflineGraphiQL; yoga's own page would load it from a CDN.
    graphiql: false,
    landingPage: false,
    // useBodyLimit bounds every body first; yoga's limit would wrap each one in a stream again.
    maxRequestBodySize: false,
    maskedErrors: { maskError },
    cors: corsFor(config.server.corsOrigins, sessions !== null),
    logging: toYogaLogger(logger),
    // Only session mode makes context creation asynchronous (it may refresh a token).
    context: sessions
      ? async ({ request }) =>
          createContext(request, requestIdOf(request), shared, await sessions.tokenFor(request))
      : ({ request }) => createContext(request, requestIdOf(request), shared),
    plugins,
  });
}

/**
 * `/subgraph` (its own yoga), served only when SUBGRAPH_SECRET is set (and FEDERATION_SUBGRAPH
 * is not false), to requests carrying the secret, under every limit of `/graphql`: the shared
 * per-client rate limit, the persisted-operations allow-list, depth/alias/token/cost and
 * list-length limits, the introspection switch (which also hides `_service { sdl }`), and the
 * per-request upstream budget (the main gateway's plugin wraps this request too).
 */
function subgraphPlugins(
  config: Config,
  shared: SharedDeps,
  clientLimits: ClientLimits | null,
  metrics: GatewayMetrics | undefined,
  tracing: GatewayTracing,
): Plugin[] {
  const secret = config.security.subgraphSecret;
  if (!config.federation.subgraph || secret === null) return [];
  const plugins = [
    // Observed like /graphql (metrics, spans, ftv1 traces for routers);
    // src/federation/observability.ts.
    ...subgraphObservability({
      path: SUBGRAPH_ENDPOINT,
      metricsPath: METRICS_ENDPOINT,
      metrics,
      tracing,
    }),
    useStableErrorCodes(),
    ...abuseLimitPlugins(config, { rateLimitedPaths: [SUBGRAPH_ENDPOINT], clientLimits }),
  ];
  const { typePrefix } = config.federation;
  return [
    useSubgraphEndpoint({
      path: SUBGRAPH_ENDPOINT,
      secret,
      typePrefix,
      shared,
      maskError,
      plugins,
    }),
  ];
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
    plugins.push(
      useDeauthorizationWebhook({
        path,
        projectId,
        secret,
        acceptUnsigned,
        toleranceMs,
        store,
        logger,
      }),
    );
  } else if (!policy.serve && projectId !== null) {
    logger.error(policy.reason);
  }
  if (!deps.deauthorizationEvents) plugins.push({ onDispose: () => store.close() });
  return plugins;
}

/**
 * The whole-response cache of anonymous public queries (src/http/public-response-cache.ts), off
 * when the public cache is off or has no TTL; emptied whenever the public cache is invalidated.
 */
function publicResponseCachePlugins(
  shared: SharedDeps,
  schema: GraphQLSchema,
  sessionCookie: string | null,
): Plugin[] {
  const { config } = shared;
  const { redis, publicCache } = shared.openHumans;
  const { maxEntries, ttlMs, responseMaxEntries } = config.publicCache;
  if (maxEntries === 0 || ttlMs === 0 || responseMaxEntries === 0) return [];
  const key = redisKey(config, 'response-generation');
  const generation: SharedGeneration | null = redis
    ? {
        read: () => redis.run((c) => c.get(key)),
        bump: () => redis.run(async (c) => void (await c.incr(key))),
      }
    : null;
  const cache = new PublicResponseCache(responseMaxEntries, generation);
  const unsubscribe = publicCache.onInvalidate((scope) => cache.invalidated(scope));
  return [
    usePublicResponseCache({
      cache,
      ttlMs: Math.min(ttlMs, publicCache.ttlMs),
      schema,
      sessionCookie,
    }),
    { onDispose: () => void unsubscribe() },
  ];
}

/**
 * Session mode (OAUTH_SESSIONS): sign-in routes and cookie-carried member tokens; null when off.
 */
function sessionManager(shared: SharedDeps, now?: () => number): SessionManager | null {
  const { config, oauth, logger } = shared;
  const secret = config.openHumans.clientSecret;
  if (!config.oauth.sessions.enabled || !oauth || !secret) return null;
  const { redirectUri, secureCookies, idleMs, absoluteMs } = config.oauth.sessions;
  return new SessionManager(
    oauth,
    secret,
    {
      redirectUri,
      secure: secureCookies,
      lifetimes: { idleMs, absoluteMs },
      corsOrigins: config.server.corsOrigins,
      // X-Forwarded-Proto/-Host count only from a hop TRUST_PROXY names
      // (src/http/trusted-proxy.ts).
      isTrustedHop: trustedHop(trustProxySetting(config.security.trustProxy)),
      graphqlPaths: [GRAPHQL_ENDPOINT],
      now,
    },
    logger,
  );
}

/** TRUST_PROXY as the session's hop check reads it: with hops, the direct peer is a proxy. */
function trustProxySetting(trust: TrustProxy): TrustProxySetting {
  if (trust.kind === 'none') return false;
  return trust.kind === 'hops' ? true : trust.cidrs;
}
