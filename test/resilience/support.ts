/**
 * A gateway on the sandbox with the production wiring (`createOpenHumans`: retries, breaker,
 * cap; the request deadline), as `server.ts` builds it, with quick retry delays, breaker
 * changes recorded, and an optional store or clock for the public cache.
 */

import type { DocumentNode, GraphQLFormattedError } from 'graphql';
import { print } from 'graphql';
import type { Sandbox, SandboxOptions } from '../../sandbox/index.js';
import { startSandbox } from '../../sandbox/index.js';
import type { Config } from '../../src/config/index.js';
import { loadConfig } from '../../src/config/index.js';
import { createOpenHumans } from '../../src/datasources/open-humans.js';
import type { OpenHumansHttp } from '../../src/datasources/open-humans-http.js';
import type { BreakerState } from '../../src/datasources/resilience/index.js';
import { PublicCache } from '../../src/datasources/response-cache.js';
import type { RouteClass } from '../../src/datasources/routes.js';
import type { SharedCache } from '../../src/datasources/shared-cache.js';
import type { Gateway } from '../../src/gateway.js';
import { createGateway } from '../../src/gateway.js';
import { createLogger } from '../../src/logger.js';
import type { SharedRedis } from '../../src/redis/shared-redis.js';

export interface ResilientStack {
  sandbox: Sandbox;
  gateway: Gateway;
  config: Config;
  http: OpenHumansHttp;
  publicCache: PublicCache;
  /** The shared Redis this stack built (REDIS_URL without `store`), else null. */
  redis: SharedRedis | null;
  breakerChanges: { routeClass: RouteClass; state: BreakerState }[];
  execute(
    query: string | DocumentNode,
    variables?: Record<string, unknown>,
    token?: string,
  ): Promise<Result>;
  close(): Promise<void>;
}

export interface Result {
  status: number;
  data?: Record<string, unknown> | null;
  errors?: GraphQLFormattedError[];
  text: string;
}

export interface ResilientStackOptions {
  env?: Record<string, string>;
  sandbox?: Sandbox;
  sandboxOptions?: SandboxOptions;
  /** Store behind the public cache (Redis in the scale-out tests). */
  store?: SharedCache;
  /** Freshness clock of the public cache. */
  now?: () => number;
  /** Clock of the circuit breakers (their open period), so a test need not wait it out. */
  breakerNow?: () => number;
}

/** Quick defaults for tests: no backoff waits worth mentioning. */
export const FAST_RETRIES = {
  UPSTREAM_RETRY_BASE_DELAY_MS: '5',
  UPSTREAM_RETRY_MAX_DELAY_MS: '20',
  METRICS: 'false',
  RATE_LIMIT_PER_SECOND: '0',
};

export async function startResilientStack(
  options: ResilientStackOptions = {},
): Promise<ResilientStack> {
  const sandbox =
    options.sandbox ??
    (await startSandbox({
      port: 0,
      sizes: { publicFiles: 400, users: 60 },
      ...options.sandboxOptions,
    }));
  const config = loadConfig({
    LOG_LEVEL: 'silent',
    ...FAST_RETRIES,
    ...options.env,
    OPENHUMANS_BASE_URL: sandbox.url,
  });
  const breakerChanges: ResilientStack['breakerChanges'] = [];
  const logger = createLogger({ level: 'silent' });
  // With REDIS_URL and no store given: production's Redis and public cache, built by the factory.
  const ownCache = options.store !== undefined || options.now !== undefined;
  const openHumans = createOpenHumans(config, {
    logger,
    onBreakerChange: (routeClass, state) => breakerChanges.push({ routeClass, state }),
    breakerNow: options.breakerNow,
    ...(ownCache
      ? {
          redis: null,
          publicCache: new PublicCache({
            ...config.publicCache,
            store: options.store,
            loadDeadlineMs: config.requestDeadlineMs,
            now: options.now,
          }),
        }
      : {}),
  });
  const { http, publicCache, redis } = openHumans;
  const gateway = createGateway({ config, openHumans, logger });
  return {
    sandbox,
    gateway,
    config,
    http,
    publicCache,
    redis,
    breakerChanges,
    async execute(query, variables, token) {
      const headers: Record<string, string> = {
        'content-type': 'application/json',
        accept: 'application/graphql-response+json',
      };
      if (token) headers.authorization = `Bearer ${token}`;
      const body = JSON.stringify({
        query: typeof query === 'string' ? query : print(query),
        variables,
      });
      const res = await gateway.fetch(new URL('/graphql', 'http://gateway.test'), {
        method: 'POST',
        headers,
        body,
      });
      const text = await res.text();
      let parsed: { data?: Record<string, unknown> | null; errors?: GraphQLFormattedError[] } = {};
      try {
        parsed = JSON.parse(text) as typeof parsed;
      } catch {
        // status and text tell the story
      }
      return { status: res.status, data: parsed.data, errors: parsed.errors, text };
    },
    async close() {
      await gateway.dispose();
      await openHumans.close();
      if (!options.sandbox) await sandbox.close();
    },
  };
}

/** Error codes of a result, in order. */
export const codes = (res: Result): unknown[] => (res.errors ?? []).map((e) => e.extensions?.code);
