/**
 * The gateway's configuration, parsed once from the environment into a frozen, typed object.
 * This is the only file that reads `process.env` (scripts and CLIs aside). Invalid input fails
 * fast with ONE error naming every bad variable. No token is ever configured: clients send
 * theirs with each request.
 */

import { tmpdir } from 'node:os';
import { readConnectionLimits, readUploadLimits } from './intake-limits.js';
import type { Env } from './reader.js';
import { ConfigError, deepFreeze, Reader } from './reader.js';
import { readRedisSettings } from './redis.js';
import { readSecurity } from './security.js';
import { readSessionConfig } from './sessions.js';
import type { Config } from './types.js';
import { LOG_LEVELS } from './types.js';
import { uploadTmpDirProblem } from './upload-tmp-dir.js';

export { ConfigError } from './reader.js';
export type { SecurityConfig, TrustProxy } from './security.js';
export type { Config, LogLevel } from './types.js';

/** Upper bound for any cached body that may contain a download URL (valid 1 h upstream). */
export const MAX_PUBLIC_CACHE_TTL_SECONDS = 600;
/**
 * Upper bound of the stale window: TTL + stale stays at 30 minutes at most, well inside the
 * 1 hour a download URL is valid.
 */
export const MAX_PUBLIC_CACHE_STALE_SECONDS = 1_200;

/**
 * Parses and validates the configuration.
 * @throws ConfigError naming every invalid variable at once.
 */
export function loadConfig(env: Env = process.env): Config {
  const r = new Reader(env);
  const defaultPageSize = r.int('DEFAULT_PAGE_SIZE', 20, 1, 1000);
  const maxPageSize = r.int('MAX_PAGE_SIZE', 100, 1, 1000);
  if (defaultPageSize > maxPageSize) {
    r.problems.push(
      `DEFAULT_PAGE_SIZE (${defaultPageSize}) must not exceed MAX_PAGE_SIZE (${maxPageSize})`,
    );
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
    r.problems.push(
      'OPENHUMANS_CLIENT_ID and OPENHUMANS_CLIENT_SECRET must be set together (OAuth2 sign-in needs both)',
    );
  }
  const sessionsEnabled = r.bool('OAUTH_SESSIONS', false);
  if (sessionsEnabled && clientSecret === null) {
    r.problems.push('OAUTH_SESSIONS needs OPENHUMANS_CLIENT_ID and OPENHUMANS_CLIENT_SECRET');
  }
  // Session mode's own group: cookie, lifetimes, callback (src/config/sessions.ts).
  const sessions = readSessionConfig(r, r.string('NODE_ENV', 'development'), sessionsEnabled);
  const webhookPath = r.string('DEAUTH_WEBHOOK_PATH', '/webhooks/openhumans/deauthorize');
  if (!/^\/[A-Za-z0-9._~/-]*$/.test(webhookPath) || webhookPath === '/graphql') {
    r.problems.push(
      'DEAUTH_WEBHOOK_PATH must be a URL path such as /webhooks/openhumans/deauthorize (not /graphql)',
    );
  }

  const typePrefix = r.optional('FEDERATION_TYPE_PREFIX');
  if (typePrefix !== null && !/^[A-Z][A-Za-z0-9]{0,30}$/.test(typePrefix)) {
    r.problems.push(
      'FEDERATION_TYPE_PREFIX must be a GraphQL name starting with a capital letter, e.g. OpenHumans',
    );
  }

  const uploadHandleSecret = r.optional('UPLOAD_HANDLE_SECRET');
  if (uploadHandleSecret !== null && uploadHandleSecret.length < 32) {
    r.problems.push('UPLOAD_HANDLE_SECRET must be at least 32 characters');
  }

  const maxUploadBytes = r.int('MAX_UPLOAD_BYTES', 5 * 1024 ** 3, 1, 5 * 1024 ** 3);
  const baseUrl = r.httpUrl('OPENHUMANS_BASE_URL', 'https://www.openhumans.org');
  const projectId = r.optionalInt('OPENHUMANS_PROJECT_ID', 1);
  // 32: the connections Open Humans saw from one instance before; see docs/upstream-budget.md.
  const upstreamConcurrency = r.int('UPSTREAM_CONCURRENCY', 32, 1, 1024);

  const config: Config = {
    nodeEnv: r.string('NODE_ENV', 'development'),
    openHumans: {
      baseUrl,
      clientId,
      clientSecret,
      webhookSecret,
      projectId,
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
      concurrency: upstreamConcurrency,
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
      responseMaxEntries: r.int('RESPONSE_CACHE_MAX_ENTRIES', 500, 0, 100_000),
    },
    redisUrl,
    redis: readRedisSettings(r, baseUrl, projectId),
    uploads: {
      maxUploadBytes,
      directThresholdBytes: r.int(
        'UPLOAD_DIRECT_THRESHOLD_BYTES',
        16 * 1024 ** 2,
        0,
        5 * 1024 ** 3,
      ),
      tmpDir: r.string('UPLOAD_TMP_DIR', tmpdir()),
      handleSecret: uploadHandleSecret,
      idempotencyTtlMs: r.int('UPLOAD_IDEMPOTENCY_TTL_SECONDS', 86_400, 1, 7 * 86_400) * 1000,
    },
    oauth: {
      stateTtlSeconds: r.int('OAUTH_STATE_TTL_SECONDS', 600, 30, 1_800),
      // Off by default: whoever replays a rotated refresh token in the window gets the new pair.
      refreshGraceMs: r.int('OAUTH_REFRESH_GRACE_SECONDS', 0, 0, 300) * 1000,
      sessions,
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
    },
    metrics: r.bool('METRICS', true),
    compiledExecution: r.bool('COMPILED_EXECUTION', true),
    deauthorization: {
      webhookPath,
      eventCapacity: r.int('DEAUTH_EVENTS_MAX', 10_000, 1, 1_000_000),
      // Webhook hardening and event delivery, kept together in one block.
      allowUnsigned: r.bool('OPENHUMANS_WEBHOOK_ALLOW_UNSIGNED', false),
      timestampToleranceMs: r.int('DEAUTH_WEBHOOK_TOLERANCE_SECONDS', 900, 30, 86_400) * 1000,
      redisTimeoutMs: r.int('DEAUTH_EVENTS_REDIS_TIMEOUT_MS', 500, 20, 10_000),
      subscriptionRecheckMs: r.int('SUBSCRIPTION_RECHECK_SECONDS', 30, 1, 3_600) * 1000,
    },
    // Abuse limits on what a client can make the gateway hold.
    uploadLimits: readUploadLimits(r, maxUploadBytes),
    connectionLimits: readConnectionLimits(r),
    startupChecks: {
      // Below this, the first large upload would fail: 64 MiB keeps a full disk from passing.
      uploadTmpMinFreeBytes: r.int(
        'UPLOAD_TMP_MIN_FREE_BYTES',
        64 * 1024 ** 2,
        0,
        Number.MAX_SAFE_INTEGER,
      ),
    },
    // Fan-out, upstream budget, client keying, /subgraph and /metrics exposure.
    security: readSecurity(r, upstreamConcurrency),
    // WebSocket subscriptions, their own block.
    websocket: {
      enabled: r.bool('WS_ENABLED', true),
      maxConnections: r.int('WS_MAX_CONNECTIONS', 1_000, 1, 1_000_000),
      maxPayloadBytes: r.int('WS_MAX_PAYLOAD_BYTES', 102_400, 1_024, 16_777_216),
      maxSubscriptionsPerConnection: r.int('WS_MAX_SUBSCRIPTIONS_PER_CONNECTION', 20, 1, 1_000),
      connectionInitTimeoutMs: r.int('WS_CONNECTION_INIT_TIMEOUT_MS', 5_000, 100, 60_000),
    },
  };
  checkAtStart(r, config);
  if (config.security.metricsPort !== null && config.security.metricsPort > 65535) {
    r.problems.push('METRICS_PORT must be a port number from 1 to 65535');
  }
  refuseReplaced(r);
  if (r.problems.length > 0) throw new ConfigError(r.problems);
  return deepFreeze(config);
}

/**
 * Checks of the machine the configuration names, reported with the invalid values (one message).
 */
function checkAtStart(r: Reader, config: Config): void {
  const problem = uploadTmpDirProblem(
    config.uploads.tmpDir,
    config.startupChecks.uploadTmpMinFreeBytes,
  );
  if (problem) r.problems.push(problem);
}

/**
 * Settings that were replaced by `UPSTREAM_CONCURRENCY`: one set in a deployment would change
 * nothing any more, so it stops the start instead of being silently ignored.
 */
function refuseReplaced(r: Reader): void {
  for (const name of ['UPSTREAM_CONNECTIONS', 'UPSTREAM_MAX_CONCURRENCY', 'UPSTREAM_MAX_QUEUE']) {
    if (r.raw(name) !== undefined) {
      r.problems.push(
        `${name} was replaced by UPSTREAM_CONCURRENCY (connections and calls in flight toward Open Humans, one number); remove it`,
      );
    }
  }
}
