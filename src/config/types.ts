import type { ConnectionLimitsConfig, UploadLimitsConfig } from './intake-limits.js';

/** The shape of the gateway's configuration (parsed by `loadConfig` in `src/config/index.ts`). */
import type { SecurityConfig } from './security.js';

import type { SessionConfig } from './sessions.js';

export type LogLevel = 'debug' | 'info' | 'warn' | 'error' | 'silent';
export const LOG_LEVELS: readonly LogLevel[] = ['debug', 'info', 'warn', 'error', 'silent'];

export interface Config {
  readonly nodeEnv: string;
  readonly openHumans: {
    /** Origin (and optional path prefix) of the Open Humans site, without a trailing slash. */
    readonly baseUrl: string;
    readonly clientId: string | null;
    readonly clientSecret: string | null;
    readonly webhookSecret: string | null;
    readonly projectId: number | null;
  };
  readonly server: {
    readonly port: number;
    readonly host: string;
    /** Exact origins allowed by CORS; empty = same-origin only. */
    readonly corsOrigins: readonly string[];
    readonly graphiql: boolean;
    readonly logLevel: LogLevel;
  };
  readonly upstream: {
    readonly connectTimeoutMs: number;
    readonly headersTimeoutMs: number;
    readonly bodyTimeoutMs: number;
    /**
     * `UPSTREAM_CONCURRENCY`: calls to Open Humans in flight at once, process-wide, and the
     * keep-alive connections per upstream origin (one number: docs/upstream-budget.md).
     */
    readonly concurrency: number;
    /** Retries of idempotent GETs (never POSTs), jittered exponential backoff. */
    readonly retry: {
      readonly maxAttempts: number;
      readonly baseDelayMs: number;
      readonly maxDelayMs: number;
    };
    /** Circuit breaker per route class. */
    readonly breaker: {
      readonly windowSize: number;
      readonly minimumCalls: number;
      /** 0..1 */
      readonly failureRatio: number;
      readonly openMs: number;
    };
  };
  /** `REQUEST_DEADLINE_MS`: the time budget of one GraphQL request, for all its upstream calls. */
  readonly requestDeadlineMs: number;
  readonly pagination: { readonly defaultPageSize: number; readonly maxPageSize: number };
  readonly publicCache: {
    readonly maxEntries: number;
    /** For responses that may carry download URLs (keys expire upstream after 1 h). */
    readonly ttlMs: number;
    /** For small catalogue lists without download URLs (projects, data types). */
    readonly catalogTtlMs: number;
    /**
     * `PUBLIC_CACHE_STALE_SECONDS`: how long past its TTL an entry may still be served when the
     * upstream fails.
     */
    readonly staleMs: number;
    /**
     * `RESPONSE_CACHE_MAX_ENTRIES`: whole anonymous GraphQL responses kept per instance (same TTL
     * as `ttlMs`); 0 turns that cache off (src/http/public-response-cache.ts).
     */
    readonly responseMaxEntries: number;
  };
  readonly redisUrl: string | null;
  /** Scale-out on one Redis (`REDIS_*`; `src/config/redis.ts`). Unused without REDIS_URL. */
  readonly redis: RedisSettings;
  /** File uploads. */
  readonly uploads: {
    /** `MAX_UPLOAD_BYTES`: largest file accepted through the gateway. */
    readonly maxUploadBytes: number;
    /** `UPLOAD_DIRECT_THRESHOLD_BYTES`: larger files go D7 → PUT → D8, smaller ones D6. */
    readonly directThresholdBytes: number;
    /** `UPLOAD_TMP_DIR`: where uploads are spooled (private files, always removed). */
    readonly tmpDir: string;
    /** `UPLOAD_HANDLE_SECRET`: signs upload handles; null → random per process. */
    readonly handleSecret: string | null;
    /** `UPLOAD_IDEMPOTENCY_TTL_SECONDS`, in ms: how long idempotency keys are remembered. */
    readonly idempotencyTtlMs: number;
  };
  /** OAuth2 sign-in (enabled when both client settings are set). */
  readonly oauth: {
    /** How long a `state` from `oauthAuthorizeUrl` stays valid. */
    readonly stateTtlSeconds: number;
    /** A just-rotated refresh token still gets the same answer this long (0 = off, the default). */
    readonly refreshGraceMs: number;
    /** Session mode for browser apps (server-side session records, an httpOnly cookie). */
    readonly sessions: SessionConfig;
  };
  /** The Apollo Federation v2 subgraph endpoint (`/subgraph`; `src/federation/`). */
  readonly federation: {
    /**
     * `FEDERATION_SUBGRAPH`: may serve the subgraph at `/subgraph` (default true); it is served
     * only when `SUBGRAPH_SECRET` is set too.
     */
    readonly subgraph: boolean;
    /** `FEDERATION_TYPE_PREFIX`: namespaces the subgraph's types and root fields; null = none. */
    readonly typePrefix: string | null;
  };
  /** Abuse limits on GraphQL operations (src/limits/). */
  readonly limits: {
    /** `MAX_DEPTH`: deepest selection nesting (introspection not counted). */
    readonly maxDepth: number;
    /** `MAX_ALIASES`: aliases per operation. */
    readonly maxAliases: number;
    /** `MAX_TOKENS`: lexical tokens per document (bounds parsing work). */
    readonly maxTokens: number;
    /** `MAX_COST`: operation cost; `first`/`last` multiply the cost of their subtree. */
    readonly maxCost: number;
    /** `INTROSPECTION`: answer `__schema`/`__type` (on: public exploration). */
    readonly introspection: boolean;
    /** `PERSISTED_OPERATIONS_FILE`: JSON map hash → query; when set, only those run. */
    readonly persistedOperationsFile: string | null;
  };
  /** Per-client rate limit (token bucket; by token hash, else by client address). */
  readonly rateLimit: {
    /** `RATE_LIMIT_PER_SECOND`: sustained requests per second per client; 0 turns it off. */
    readonly perSecond: number;
    /** `RATE_LIMIT_BURST`: requests a client may make at once (the bucket size). */
    readonly burst: number;
  };
  /** `METRICS`: serve Prometheus metrics at `/metrics`. */
  readonly metrics: boolean;
  /**
   * `COMPILED_EXECUTION`: run repeated queries on `/graphql` compiled by graphql-jit (same
   * answers, less CPU; src/http/compiled-execution.ts). Default on.
   */
  readonly compiledExecution: boolean;
  /** What is checked on this machine at start (fails fast, like an invalid value). */
  readonly startupChecks: {
    /**
     * `UPLOAD_TMP_MIN_FREE_BYTES`: `UPLOAD_TMP_DIR` must have this much free space (0 = not
     * checked).
     */
    readonly uploadTmpMinFreeBytes: number;
  };
  /** The deauthorization webhook receiver and its event store. */
  readonly deauthorization: {
    readonly webhookPath: string;
    /** How many events are kept for `deauthorizationEvents(after:)` (memory or Redis). */
    readonly eventCapacity: number;
    /**
     * `OPENHUMANS_WEBHOOK_ALLOW_UNSIGNED`: accept unsigned calls (and the legacy double-encoded
     * retry) even with a secret, and serve the receiver without one in production.
     */
    readonly allowUnsigned: boolean;
    /** `DEAUTH_WEBHOOK_TOLERANCE_SECONDS`, in ms: how far a call's `timestamp` may be from now. */
    readonly timestampToleranceMs: number;
    /**
     * `DEAUTH_EVENTS_REDIS_TIMEOUT_MS`: one event-store Redis call's budget before failing fast.
     */
    readonly redisTimeoutMs: number;
    /** `SUBSCRIPTION_RECHECK_SECONDS`, in ms: how often a live subscription re-proves its token. */
    readonly subscriptionRecheckMs: number;
  };
  /** Upload guards: token proven first, concurrency, spool bytes, free disk. */
  readonly uploadLimits: UploadLimitsConfig;
  /** Body size, header timeout, minimum body rate, connection caps. */
  readonly connectionLimits: ConnectionLimitsConfig;
  /**
   * Abuse resistance: fan-out, upstream budget, client keying, `/subgraph` and `/metrics` exposure.
   */
  readonly security: SecurityConfig;
  /** WebSocket subscriptions (graphql-transport-ws on the GraphQL path). */
  readonly websocket: {
    /** `WS_ENABLED`: accept WebSocket upgrades on /graphql. */
    readonly enabled: boolean;
    /** `WS_MAX_CONNECTIONS`: open sockets per instance; more are refused with HTTP 503. */
    readonly maxConnections: number;
    /** `WS_MAX_PAYLOAD_BYTES`: largest message a client may send (closed with 1009 past it). */
    readonly maxPayloadBytes: number;
    /** `WS_MAX_SUBSCRIPTIONS_PER_CONNECTION`: concurrent operations per socket. */
    readonly maxSubscriptionsPerConnection: number;
    /** `WS_CONNECTION_INIT_TIMEOUT_MS`: time to send `connection_init` (closed with 4408 after). */
    readonly connectionInitTimeoutMs: number;
  };
}

/** Redis namespace, timeout, breaker and cache budget (`src/config/redis.ts`). */
export interface RedisSettings {
  /** `REDIS_KEY_PREFIX`: starts every key and channel; default derived from upstream + project. */
  readonly keyPrefix: string;
  /** `REDIS_COMMAND_TIMEOUT_MS`: one short timeout shared by every Redis command. */
  readonly commandTimeoutMs: number;
  /** `REDIS_BREAKER_OPEN_MS`: how long Redis is left alone after it failed. */
  readonly breakerOpenMs: number;
  /** `REDIS_CACHE_MAX_MB`, in bytes: budget of the public cache in Redis (keys + values). */
  readonly cacheMaxBytes: number;
  /** `REDIS_CACHE_MAX_ENTRIES`: most public cache entries kept in Redis. */
  readonly cacheMaxEntries: number;
  /** `REDIS_CACHE_MAX_ENTRY_KB`, in bytes: larger bodies are not put in Redis. */
  readonly cacheMaxEntryBytes: number;
}
