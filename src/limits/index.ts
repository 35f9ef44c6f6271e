import type { Plugin } from 'graphql-yoga';
import type { Config } from '../config/index.js';
import { AddressSet, ClientAddressResolver } from '../http/client-address.js';
import { redisKey } from '../redis/keys.js';
import type { SharedRedis } from '../redis/shared-redis.js';
import { useArmorLimits } from './armor.js';
import { VerifiedTokens } from './client-key.js';
import { useCostLimit } from './cost.js';
import { useGetParamsCheck } from './get-params.js';
import { useNoIntrospection } from './introspection.js';
import { loadPersistedOperations, usePersistedOperationsOnly } from './persisted-operations.js';
import type { ClientLimits } from './rate-limit.js';
import { TokenBucketLimiter, useRateLimit } from './rate-limit.js';
import { RedisTokenBucketLimiter } from './redis-rate-limit.js';

export { budgetOf, useUpstreamBudget } from './upstream-budget.js';

export interface ClientLimitOptions {
  /** Called for each request refused by the rate limit (metrics). */
  onRateLimited?: () => void;
  /** Redis trouble. */
  onWarning?: (message: string) => void;
  /** The process's shared Redis (REDIS_URL): every instance then shares each client's bucket. */
  redis?: SharedRedis | null;
}

/**
 * The per-client rate limit's state, built once per gateway and shared by every endpoint it
 * guards (a client has one bucket for `/graphql` and `/subgraph`); null when it is off.
 */
export function createClientLimits(
  config: Config,
  options: ClientLimitOptions = {},
): ClientLimits | null {
  const { rateLimit, security } = config;
  if (rateLimit.perSecond <= 0) return null;
  // With REDIS_URL every instance shares each client's bucket.
  // (Redis down: the Redis limiter falls back to this instance's own buckets.)
  const limiter = options.redis
    ? new RedisTokenBucketLimiter({
        ...rateLimit,
        redis: options.redis,
        keyPrefix: redisKey(config, 'ratelimit', ''),
      })
    : new TokenBucketLimiter(rateLimit);
  return {
    ...rateLimit,
    limiter,
    addresses: new ClientAddressResolver(security.trustProxy),
    exempt: new AddressSet(security.rateLimitExempt),
    verified: new VerifiedTokens(security.verifiedTokenTtlMs),
    onLimited: options.onRateLimited,
  };
}

export interface AbuseLimitOptions {
  /** The GraphQL endpoints: rate limited, GET parameters checked. */
  rateLimitedPaths: readonly string[];
  /** The shared rate-limit state (`createClientLimits`); null = no rate limit. */
  clientLimits: ClientLimits | null;
  /** Whether these plugins close the shared limiter on dispose (exactly one set does). */
  ownsLimiter?: boolean;
}

/**
 * Every abuse limit, in the order a request meets them: rate limit (before any parsing),
 * persisted-operations allow-list, parse/validation limits (tokens, depth, aliases, directives,
 * introspection), then the cost limit (needs the variables; it also bounds fan-out list
 * arguments) before execution. The upstream budget (`useUpstreamBudget`) wraps whole requests.
 */
export function abuseLimitPlugins(config: Config, options: AbuseLimitOptions): Plugin[] {
  const { limits, pagination, security } = config;
  const plugins: Plugin[] = [];
  if (options.clientLimits) {
    plugins.push(
      useRateLimit({
        limits: options.clientLimits,
        paths: options.rateLimitedPaths,
        ownsLimiter: options.ownsLimiter,
      }),
    );
  }
  plugins.push(useGetParamsCheck(options.rateLimitedPaths));
  if (limits.persistedOperationsFile) {
    plugins.push(
      usePersistedOperationsOnly(loadPersistedOperations(limits.persistedOperationsFile)),
    );
  }
  plugins.push(useArmorLimits(limits));
  if (!limits.introspection) plugins.push(useNoIntrospection());
  plugins.push(
    useCostLimit(limits.maxCost, { ...pagination, maxListItems: security.maxListItems }),
  );
  return plugins;
}
