import type { GraphQLSchema } from 'graphql';
import { GraphQLError, locatedError } from 'graphql';
import type { YogaServerInstance } from 'graphql-yoga';
import { createYoga, maskError as yogaMaskError } from 'graphql-yoga';
import { TokenScopedCache } from './auth/token-scoped-cache.js';
import type { Config } from './config.js';
import type { Context, SharedDeps } from './context.js';
import { createContext } from './context.js';
import { createDispatcher } from './datasources/dispatcher.js';
import type { UpstreamCallEvent } from './datasources/http.js';
import { OpenHumansHttp, UpstreamError, toGatewayError } from './datasources/http.js';
import { PublicCache } from './datasources/response-cache.js';
import { useCompression } from './http/compression.js';
import { GraphiQLPage, graphiqlOptions, useOfflineGraphiQL } from './http/graphiql.js';
import { ReadinessProbe, useReadiness } from './http/readiness.js';
import { requestIdOf, useRequestId } from './http/request-id.js';
import type { Logger } from './logger.js';
import { createLogger, toYogaLogger } from './logger.js';
import { schema as defaultSchema } from './schema/index.js';

export const GRAPHQL_ENDPOINT = '/graphql';

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
    });
  const publicCache = deps.publicCache ?? PublicCache.fromConfig(config);
  const tokenCache = deps.tokenCache ?? new TokenScopedCache();
  return { config, http, publicCache, logger, tokenCache };
}

/**
 * Error masking stays ON (yoga's default). Before masking, an `UpstreamError` that a data
 * source let through is mapped by the one mapping (`toGatewayError`), keeping its location
 * and path; anything else unexpected becomes "Unexpected error." and is logged by yoga.
 */
function maskError(error: unknown, message: string, isDev?: boolean): Error {
  const original = error instanceof GraphQLError ? error.originalError : error;
  if (original instanceof UpstreamError) {
    const mapped = toGatewayError(original) as GraphQLError;
    return error instanceof GraphQLError ? locatedError(mapped, error.nodes, error.path) : mapped;
  }
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
  const shared = resolveDeps(deps);
  const { config, logger } = shared;
  const schema = deps.schema ?? defaultSchema;
  const plugins = [
    useRequestId(logger),
    useReadiness('/readiness', new ReadinessProbe(shared.http)),
    ...(config.server.graphiql
      ? [useOfflineGraphiQL(GRAPHQL_ENDPOINT, new GraphiQLPage(() => graphiqlOptions(schema, GRAPHQL_ENDPOINT)))]
      : []),
    useCompression(),
  ];
  return createYoga<Record<string, unknown>, Context>({
    schema,
    graphqlEndpoint: GRAPHQL_ENDPOINT,
    healthCheckEndpoint: '/health',
    // GraphiQL is served by useOfflineGraphiQL; yoga's own page would load it from a CDN.
    graphiql: false,
    landingPage: false,
    maskedErrors: { maskError },
    cors: corsFor(config.server.corsOrigins),
    logging: toYogaLogger(logger),
    context: ({ request }) => createContext(request, requestIdOf(request), shared),
    plugins,
  });
}
