/**
 * The gateway's configuration, parsed once from the environment into a frozen, typed object.
 * This is the only file that reads `process.env` (scripts and CLIs aside). Invalid input fails
 * fast with ONE error naming every bad variable. No token is ever configured: clients send
 * theirs with each request.
 */

import { tmpdir } from 'node:os';

export type LogLevel = 'debug' | 'info' | 'warn' | 'error' | 'silent';
const LOG_LEVELS: readonly LogLevel[] = ['debug', 'info', 'warn', 'error', 'silent'];

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
    /** Keep-alive connections per upstream origin. */
    readonly connections: number;
    /** `UPSTREAM_MAX_CONCURRENCY`: upstream calls in flight at once, process-wide. */
    readonly maxConcurrency: number;
    /** `UPSTREAM_MAX_QUEUE`: calls waiting for a slot beyond that; more fail fast. */
    readonly maxQueue: number;
    /** Retries of idempotent GETs (never POSTs), jittered exponential backoff. */
    readonly retry: { readonly maxAttempts: number; readonly baseDelayMs: number; readonly maxDelayMs: number };
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
    /** `PUBLIC_CACHE_STALE_SECONDS`: how long past its TTL an entry may still be served when the upstream fails. */
    readonly staleMs: number;
  };
  readonly redisUrl: string | null;
  /** File uploads (issue 6). */
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
    /** A just-rotated refresh token still gets the same answer this long (0 = off). */
    readonly refreshGraceMs: number;
    /** Session mode for browser apps (tokens sealed in an httpOnly cookie). */
    readonly sessions: {
      readonly enabled: boolean;
      /** The registered callback URL; null = the request's origin + /auth/openhumans/callback. */
      readonly redirectUri: string | null;
      readonly secureCookies: 'auto' | boolean;
    };
  };
  /** The Apollo Federation v2 subgraph endpoint (`/subgraph`; `src/federation/`). */
  readonly federation: {
    /** `FEDERATION_SUBGRAPH`: serve the subgraph at `/subgraph` (default true). */
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
    /** `TRUST_PROXY`: take the client address from `X-Forwarded-For` (behind a proxy). */
    readonly trustProxy: boolean;
  };
  /** `METRICS`: serve Prometheus metrics at `/metrics`. */
  readonly metrics: boolean;
  /** The deauthorization webhook receiver and its event store. */
  readonly deauthorization: {
    readonly webhookPath: string;
    /** How many events are kept for `deauthorizationEvents(after:)` (memory or Redis). */
    readonly eventCapacity: number;
  };
}

/** Upper bound for any cached body that may contain a download URL (valid 1 h upstream). */
export const MAX_PUBLIC_CACHE_TTL_SECONDS = 600;
/**
 * Upper bound of the stale window: TTL + stale stays at 30 minutes at most, well inside the
 * 1 hour a download URL is valid.
 */
export const MAX_PUBLIC_CACHE_STALE_SECONDS = 1_200;

export class ConfigError extends Error {
  constructor(readonly problems: readonly string[]) {
    super(`Invalid configuration:\n  - ${problems.join('\n  - ')}`);
    this.name = 'ConfigError';
  }
}

type Env = Record<string, string | undefined>;

/** Collects problems instead of throwing at the first one. */
class Reader {
  readonly problems: string[] = [];
  constructor(private readonly env: Env) {}

  raw(name: string): string | undefined {
    const value = this.env[name]?.trim();
    return value === undefined || value === '' ? undefined : value;
  }

  string(name: string, fallback: string): string {
    return this.raw(name) ?? fallback;
  }

  optional(name: string): string | null {
    return this.raw(name) ?? null;
  }

  int(name: string, fallback: number, min: number, max: number): number {
    const value = this.raw(name);
    if (value === undefined) return fallback;
    if (!/^\d+$/.test(value) || Number(value) < min || Number(value) > max) {
      this.problems.push(`${name} must be an integer from ${min} to ${max} (got "${value}")`);
      return fallback;
    }
    return Number(value);
  }

  optionalInt(name: string, min: number): number | null {
    const value = this.raw(name);
    if (value === undefined) return null;
    if (!/^\d+$/.test(value) || Number(value) < min) {
      this.problems.push(`${name} must be an integer of at least ${min} (got "${value}")`);
      return null;
    }
    return Number(value);
  }

  bool(name: string, fallback: boolean): boolean {
    const value = this.raw(name)?.toLowerCase();
    if (value === undefined) return fallback;
    if (['1', 'true', 'yes', 'on'].includes(value)) return true;
    if (['0', 'false', 'no', 'off'].includes(value)) return false;
    this.problems.push(`${name} must be true or false (got "${value}")`);
    return fallback;
  }

  httpUrl(name: string, fallback: string): string {
    const value = this.raw(name) ?? fallback;
    try {
      const url = new URL(value);
      if (url.protocol !== 'http:' && url.protocol !== 'https:') throw new Error('scheme');
      if (url.search || url.hash || url.username || url.password) throw new Error('extras');
      return url.href.replace(/\/+$/, '');
    } catch {
      this.problems.push(`${name} must be an http(s) URL without query, fragment or credentials`);
      return fallback;
    }
  }

  origins(name: string): string[] {
    const value = this.raw(name);
    if (value === undefined) return [];
    const origins: string[] = [];
    for (const item of value.split(',').map((s) => s.trim()).filter(Boolean)) {
      try {
        const url = new URL(item);
        if (url.origin === 'null' || url.origin !== item.replace(/\/$/, '')) throw new Error('not an origin');
        origins.push(url.origin);
      } catch {
        this.problems.push(`${name} must be a comma-separated list of origins like https://app.example.org (bad: "${item}")`);
      }
    }
    return origins;
  }

  oneOf<T extends string>(name: string, allowed: readonly T[], fallback: T): T {
    const value = this.raw(name)?.toLowerCase();
    if (value === undefined) return fallback;
    if ((allowed as readonly string[]).includes(value)) return value as T;
    this.problems.push(`${name} must be one of ${allowed.join(', ')} (got "${value}")`);
    return fallback;
  }
}

function deepFreeze<T>(value: T): T {
  if (value && typeof value === 'object') {
    for (const inner of Object.values(value)) deepFreeze(inner);
    Object.freeze(value);
  }
  return value;
}

/**
 * Parses and validates the configuration.
 * @throws ConfigError naming every invalid variable at once.
 */
export function loadConfig(env: Env = process.env): Config {
  const r = new Reader(env);
  const defaultPageSize = r.int('DEFAULT_PAGE_SIZE', 20, 1, 1000);
  const maxPageSize = r.int('MAX_PAGE_SIZE', 100, 1, 1000);
  if (defaultPageSize > maxPageSize) {
    r.problems.push(`DEFAULT_PAGE_SIZE (${defaultPageSize}) must not exceed MAX_PAGE_SIZE (${maxPageSize})`);
  }
  const redisUrl = r.optional('REDIS_URL');
  if (redisUrl !== null && !/^rediss?:\/\/[^\s]+$/.test(redisUrl)) {
    r.problems.push('REDIS_URL must be a redis:// or rediss:// URL');
  }
  const webhookSecret = r.optional('OPENHUMANS_WEBHOOK_SECRET');
  if (webhookSecret !== null && !/^[\x20-\x7e]{16,64}$/.test(webhookSecret)) {
    // Open Humans accepts 16–64 ASCII characters for a project's webhook secret.
    r.problems.push('OPENHUMANS_WEBHOOK_SECRET must be 16 to 64 printable ASCII characters');
  }

  const clientId = r.optional('OPENHUMANS_CLIENT_ID');
  const clientSecret = r.optional('OPENHUMANS_CLIENT_SECRET');
  if ((clientId === null) !== (clientSecret === null)) {
    r.problems.push('OPENHUMANS_CLIENT_ID and OPENHUMANS_CLIENT_SECRET must be set together (OAuth2 sign-in needs both)');
  }
  const sessionsEnabled = r.bool('OAUTH_SESSIONS', false);
  if (sessionsEnabled && clientSecret === null) {
    r.problems.push('OAUTH_SESSIONS needs OPENHUMANS_CLIENT_ID and OPENHUMANS_CLIENT_SECRET');
  }
  const sessionRedirectUri = r.optional('OAUTH_SESSION_REDIRECT_URI');
  if (sessionRedirectUri !== null && !/^https?:\/\/[^\s#]+$/.test(sessionRedirectUri)) {
    r.problems.push('OAUTH_SESSION_REDIRECT_URI must be an absolute http(s) URL (the callback registered with Open Humans)');
  }
  const sessionSecure = r.oneOf('OAUTH_SESSION_COOKIE_SECURE', ['auto', 'true', 'false'] as const, 'auto');
  const webhookPath = r.string('DEAUTH_WEBHOOK_PATH', '/webhooks/openhumans/deauthorize');
  if (!/^\/[A-Za-z0-9._~\/-]*$/.test(webhookPath) || webhookPath === '/graphql') {
    r.problems.push('DEAUTH_WEBHOOK_PATH must be a URL path such as /webhooks/openhumans/deauthorize (not /graphql)');
  }

  const typePrefix = r.optional('FEDERATION_TYPE_PREFIX');
  if (typePrefix !== null && !/^[A-Z][A-Za-z0-9]{0,30}$/.test(typePrefix)) {
    r.problems.push('FEDERATION_TYPE_PREFIX must be a GraphQL name starting with a capital letter, e.g. OpenHumans');
  }

  const uploadHandleSecret = r.optional('UPLOAD_HANDLE_SECRET');
  if (uploadHandleSecret !== null && uploadHandleSecret.length < 32) {
    r.problems.push('UPLOAD_HANDLE_SECRET must be at least 32 characters');
  }

  const config: Config = {
    nodeEnv: r.string('NODE_ENV', 'development'),
    openHumans: {
      baseUrl: r.httpUrl('OPENHUMANS_BASE_URL', 'https://www.openhumans.org'),
      clientId,
      clientSecret,
      webhookSecret,
      projectId: r.optionalInt('OPENHUMANS_PROJECT_ID', 1),
    },
    server: {
      port: r.int('PORT', 4000, 0, 65535),
      host: r.string('HOST', '0.0.0.0'),
      corsOrigins: r.origins('CORS_ORIGINS'),
      graphiql: r.bool('GRAPHIQL', true),
      logLevel: r.oneOf('LOG_LEVEL', LOG_LEVELS, 'info'),
    },
    upstream: {
      connectTimeoutMs: r.int('UPSTREAM_CONNECT_TIMEOUT_MS', 5_000, 1, 600_000),
      // Heroku's router gives up after 30 s; waiting longer for headers never helps.
      headersTimeoutMs: r.int('UPSTREAM_HEADERS_TIMEOUT_MS', 30_000, 1, 600_000),
      bodyTimeoutMs: r.int('UPSTREAM_BODY_TIMEOUT_MS', 30_000, 1, 600_000),
      connections: r.int('UPSTREAM_CONNECTIONS', 32, 1, 1024),
      maxConcurrency: r.int('UPSTREAM_MAX_CONCURRENCY', 64, 1, 10_000),
      maxQueue: r.int('UPSTREAM_MAX_QUEUE', 1_000, 0, 1_000_000),
      retry: {
        maxAttempts: r.int('UPSTREAM_RETRY_MAX_ATTEMPTS', 4, 1, 10),
        baseDelayMs: r.int('UPSTREAM_RETRY_BASE_DELAY_MS', 100, 0, 60_000),
        maxDelayMs: r.int('UPSTREAM_RETRY_MAX_DELAY_MS', 2_000, 0, 60_000),
      },
      breaker: {
        windowSize: r.int('UPSTREAM_BREAKER_WINDOW', 100, 1, 10_000),
        minimumCalls: r.int('UPSTREAM_BREAKER_MIN_CALLS', 40, 1, 10_000),
        failureRatio: r.int('UPSTREAM_BREAKER_FAILURE_PERCENT', 50, 1, 100) / 100,
        openMs: r.int('UPSTREAM_BREAKER_OPEN_MS', 10_000, 1, 600_000),
      },
    },
    // Heroku's router answers 503 after 30 s: nobody waits longer for one request.
    requestDeadlineMs: r.int('REQUEST_DEADLINE_MS', 30_000, 1, 600_000),
    pagination: { defaultPageSize, maxPageSize },
    publicCache: {
      maxEntries: r.int('PUBLIC_CACHE_MAX_ENTRIES', 2_000, 0, 1_000_000),
      ttlMs: r.int('PUBLIC_CACHE_TTL_SECONDS', 60, 0, MAX_PUBLIC_CACHE_TTL_SECONDS) * 1000,
      catalogTtlMs: r.int('PUBLIC_CACHE_CATALOG_TTL_SECONDS', 300, 0, 3_600) * 1000,
      staleMs: r.int('PUBLIC_CACHE_STALE_SECONDS', 300, 0, MAX_PUBLIC_CACHE_STALE_SECONDS) * 1000,
    },
    redisUrl,
    uploads: {
      maxUploadBytes: r.int('MAX_UPLOAD_BYTES', 5 * 1024 ** 3, 1, 5 * 1024 ** 3),
      directThresholdBytes: r.int('UPLOAD_DIRECT_THRESHOLD_BYTES', 16 * 1024 ** 2, 0, 5 * 1024 ** 3),
      tmpDir: r.string('UPLOAD_TMP_DIR', tmpdir()),
      handleSecret: uploadHandleSecret,
      idempotencyTtlMs: r.int('UPLOAD_IDEMPOTENCY_TTL_SECONDS', 86_400, 1, 7 * 86_400) * 1000,
    },
    oauth: {
      stateTtlSeconds: r.int('OAUTH_STATE_TTL_SECONDS', 600, 30, 1_800),
      refreshGraceMs: r.int('OAUTH_REFRESH_GRACE_SECONDS', 10, 0, 300) * 1000,
      sessions: {
        enabled: sessionsEnabled,
        redirectUri: sessionRedirectUri,
        secureCookies: sessionSecure === 'auto' ? 'auto' : sessionSecure === 'true',
      },
    },
    federation: { subgraph: r.bool('FEDERATION_SUBGRAPH', true), typePrefix },
    limits: {
      maxDepth: r.int('MAX_DEPTH', 12, 1, 1_000),
      maxAliases: r.int('MAX_ALIASES', 20, 0, 10_000),
      maxTokens: r.int('MAX_TOKENS', 2_000, 10, 1_000_000),
      maxCost: r.int('MAX_COST', 5_000, 1, 100_000_000),
      introspection: r.bool('INTROSPECTION', true),
      persistedOperationsFile: r.optional('PERSISTED_OPERATIONS_FILE'),
    },
    rateLimit: {
      perSecond: r.int('RATE_LIMIT_PER_SECOND', 20, 0, 1_000_000),
      burst: r.int('RATE_LIMIT_BURST', 100, 1, 1_000_000),
      trustProxy: r.bool('TRUST_PROXY', false),
    },
    metrics: r.bool('METRICS', true),
    deauthorization: {
      webhookPath,
      eventCapacity: r.int('DEAUTH_EVENTS_MAX', 10_000, 1, 1_000_000),
    },
  };
  if (r.problems.length > 0) throw new ConfigError(r.problems);
  return deepFreeze(config);
}
