/**
 * The one place the Open Humans client of a process is assembled: the undici dispatcher, the
 * resilience layer (retries, breakers, the concurrency cap; the request deadline applies on
 * top), the HTTP helper, the public cache (memory, or Redis with REDIS_URL), the token-scoped
 * cache, write invalidation, and the metrics and log hooks, wired once. `server.ts`,
 * `createGateway` and every test stack build it here, so tests run what production runs.
 */
import type { Dispatcher } from 'undici';
import { TokenScopedCache } from '../auth/token-scoped-cache.js';
import type { Config } from '../config/index.js';
import type { Logger } from '../logger.js';
import type { CacheCounters, UpstreamObserver } from '../observability/metrics.js';
import { CacheInvalidation } from '../redis/invalidation.js';
import { redisKey } from '../redis/keys.js';
import type { SharedRedis } from '../redis/shared-redis.js';
import { createSharedRedis } from '../redis/supervise.js';
import { createPublicCache } from './create-public-cache.js';
import { DirectSharingApi } from './direct-sharing-api.js';
import { createDispatcher } from './dispatcher.js';
import { upstreamFailureLogger } from './failure-log.js';
import type { UpstreamCallEvent } from './open-humans-http.js';
import { OpenHumansHttp } from './open-humans-http.js';
import { PublicDataApi } from './public-api.js';
import type { BreakerState } from './resilience/index.js';
import { Resilience, resilienceFromConfig } from './resilience/index.js';
import type { PublicCache } from './response-cache.js';
import type { RouteClass } from './routes.js';

/**
 * `production`: retries, breakers and the concurrency cap from the configuration. `none`: one
 * attempt per call, no breaker, no cap (the request deadline still holds); only for a test that
 * must see bare calls.
 */
export type ResilienceMode = 'production' | 'none';

/**
 * Metrics of the upstream side (`GatewayMetrics`): calls, breaker states, public cache counters.
 */
export interface OpenHumansMetrics extends UpstreamObserver {
  watchPublicCache(stats: CacheCounters): void;
}

export interface OpenHumansOptions {
  logger: Logger;
  /** Told of every upstream call, breaker change and the public cache's counters. */
  metrics?: OpenHumansMetrics;
  /** Observes every upstream attempt besides `metrics` (tests record them). */
  onUpstreamCall?: (event: UpstreamCallEvent) => void;
  /** Breaker state changes besides the log line and `metrics` (tests record them). */
  onBreakerChange?: (routeClass: RouteClass, state: BreakerState) => void;
  /** @default 'production' */
  resilience?: ResilienceMode;
  /** Clock of the circuit breakers' open period (tests inject one); @default Date.now */
  breakerNow?: () => number;
  /**
   * The process's shared Redis. @default one built here from REDIS_URL and closed by `close()`;
   * `null` for none even with REDIS_URL. One passed in belongs to the caller.
   */
  redis?: SharedRedis | null;
  /** Parts a test injects (never closed here): its own dispatcher, caches. */
  dispatcher?: Dispatcher;
  publicCache?: PublicCache;
  tokenCache?: TokenScopedCache;
}

/** What one GraphQL request reads Open Humans through; built per request, caches shared. */
export interface RequestApis {
  /** The token-free public API (P1–P13) over the shared public cache. */
  publicApi: PublicDataApi;
  /**
   * The direct-sharing API bound to this request's token (token-scoped cache, never shared across
   * tokens).
   */
  directSharing: DirectSharingApi;
}

export interface RequestIdentity {
  /** The caller's token, or null. */
  token: string | null;
  /** An unusable `Authorization` header was sent (token fields answer TOKEN_INVALID). */
  tokenMalformed: boolean;
  /** Aborted when the client goes away. */
  signal?: AbortSignal;
}

export interface OpenHumans {
  /** The data sources of one request. */
  forRequest(request: RequestIdentity): RequestApis;
  /**
   * The HTTP helper, for process-level callers only (OAuth token endpoint, readiness, upload
   * admission).
   */
  readonly http: OpenHumansHttp;
  readonly publicCache: PublicCache;
  readonly tokenCache: TokenScopedCache;
  /** The shared Redis the caches use (built here or passed in), or null. */
  readonly redis: SharedRedis | null;
  /** Cache invalidation after writes (this process, and other instances through Redis). */
  readonly invalidation: CacheInvalidation;
  /**
   * Closes what was built here (invalidation subscriber, Redis, dispatcher), once; waits for cache
   * writes.
   */
  close(): Promise<void>;
}

export function createOpenHumans(config: Config, options: OpenHumansOptions): OpenHumans {
  const { logger, metrics } = options;
  const closers: (() => Promise<void>)[] = [];
  const dispatcher = options.dispatcher ?? owned(createDispatcher(config), closers);
  const http = new OpenHumansHttp({
    baseUrl: config.openHumans.baseUrl,
    dispatcher,
    headersTimeoutMs: config.upstream.headersTimeoutMs,
    bodyTimeoutMs: config.upstream.bodyTimeoutMs,
    resilience: resilienceFor(config, options),
    onCall: callObserver(options),
    // Why Open Humans could not be reached (DNS, refused, TLS, timeout), without tokens.
    onFailure: upstreamFailureLogger(logger),
  });
  const redis = options.redis !== undefined ? options.redis : ownedRedis(config, logger, closers);
  const warn = (message: string): void => logger.warn(message);
  const publicCache = options.publicCache ?? createPublicCache(config, redis, warn);
  metrics?.watchPublicCache(publicCache.stats);
  const tokenCache = options.tokenCache ?? new TokenScopedCache();
  const channel = redisKey(config, 'invalidate');
  const invalidation = new CacheInvalidation({
    publicCache,
    tokenCache,
    redis,
    channel,
    onError: warn,
  });
  void invalidation.start();
  // Closed in reverse: the subscriber before the Redis connection it was duplicated from,
  // pending cache writes before Redis, the dispatcher last.
  closers.push(() => publicCache.settled());
  closers.push(() => invalidation.close());
  let closing: Promise<void> | undefined;
  return {
    http,
    publicCache,
    tokenCache,
    redis,
    invalidation,
    forRequest: ({ token, tokenMalformed, signal }) => ({
      publicApi: new PublicDataApi({ http, cache: publicCache }),
      directSharing: new DirectSharingApi({
        http,
        token,
        tokenMalformed,
        signal,
        cache: tokenCache,
        onMemberWrite: (projectMemberId) => invalidation.memberChanged(projectMemberId),
      }),
    }),
    close: () => {
      closing ??= closeAll(closers);
      return closing;
    },
  };
}

async function closeAll(closers: readonly (() => Promise<void>)[]): Promise<void> {
  for (const close of [...closers].reverse()) await close();
}

function owned<T extends { close(): Promise<unknown> }>(
  part: T,
  closers: (() => Promise<void>)[],
): T {
  closers.push(async () => {
    await part.close();
  });
  return part;
}

function ownedRedis(
  config: Config,
  logger: Logger,
  closers: (() => Promise<void>)[],
): SharedRedis | null {
  const redis = createSharedRedis(config, logger);
  return redis ? owned(redis, closers) : null;
}

/** Production's resilience, or none (tests that must see bare calls ask for it by name). */
function resilienceFor(config: Config, options: OpenHumansOptions): Resilience {
  if (options.resilience === 'none') return new Resilience();
  return resilienceFromConfig(
    config,
    (routeClass, state) => {
      options.logger.warn('upstream circuit breaker', { routeClass, state });
      options.metrics?.breakerState(routeClass, state);
      options.onBreakerChange?.(routeClass, state);
    },
    options.breakerNow,
  );
}

function callObserver(
  options: OpenHumansOptions,
): ((event: UpstreamCallEvent) => void) | undefined {
  const { metrics, onUpstreamCall } = options;
  if (!metrics && !onUpstreamCall) return undefined;
  return (event) => {
    metrics?.upstreamCall(event);
    onUpstreamCall?.(event);
  };
}
