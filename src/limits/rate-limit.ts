import type { Plugin } from 'graphql-yoga';
import { LRUCache } from 'lru-cache';
import { ErrorCode } from '../errors.js';
import type { AddressSet, ClientAddressResolver } from '../http/client-address.js';
import type { VerifiedTokens } from './client-key.js';
import { addressKey, bearerHash, clientKey } from './client-key.js';
import { budgetOf } from './upstream-budget.js';

/*
 * Per-client rate limit (the upstream has none, so the gateway protects it). A token bucket
 * per client: `burst` requests at once, refilled at `perSecond`. The key is the client
 * address (`ClientAddressResolver`: the right-most untrusted X-Forwarded-For hop) or, once
 * Open Humans has accepted it, the bearer token's hash (`client-key.ts`). A request whose
 * token Open Humans refused (401) is charged to its address once more, so guessing tokens is
 * throttled harder than asking. Only in-process callers (no socket: tests, tooling) and
 * addresses in `RATE_LIMIT_EXEMPT` are not limited; loopback is an address like any other.
 */

export interface RateLimitOptions {
  perSecond: number;
  burst: number;
  /** Buckets kept (least recently used dropped first: a dropped client starts full). */
  maxClients?: number;
}

export type TakeResult = { ok: true } | { ok: false; retryAfterSeconds: number };

interface Bucket {
  tokens: number;
  at: number;
}

export class TokenBucketLimiter {
  private readonly buckets: LRUCache<string, Bucket>;

  constructor(private readonly options: RateLimitOptions) {
    this.buckets = new LRUCache({ max: options.maxClients ?? 100_000 });
  }

  /** Takes one request from `key`'s bucket at time `now` (ms). */
  take(key: string, now: number = Date.now()): TakeResult {
    const { perSecond, burst } = this.options;
    const bucket = this.buckets.get(key) ?? { tokens: burst, at: now };
    bucket.tokens = Math.min(burst, bucket.tokens + ((now - bucket.at) / 1000) * perSecond);
    bucket.at = now;
    this.buckets.set(key, bucket);
    if (bucket.tokens >= 1) {
      bucket.tokens -= 1;
      return { ok: true };
    }
    return {
      ok: false,
      retryAfterSeconds: Math.max(1, Math.ceil((1 - bucket.tokens) / perSecond)),
    };
  }
}

/** Where buckets live: this process (`TokenBucketLimiter`) or Redis (`RedisTokenBucketLimiter`). */
export interface Limiter {
  take(key: string): TakeResult | Promise<TakeResult>;
  close?(): Promise<void>;
}

/**
 * What every rate-limited endpoint shares (one bucket per client across `/graphql` and
 * `/subgraph`).
 */
export interface ClientLimits extends RateLimitOptions {
  limiter: Limiter;
  addresses: ClientAddressResolver;
  exempt: AddressSet;
  verified: VerifiedTokens;
  /** Called for each refused request (metrics). */
  onLimited?: () => void;
}

export interface UseRateLimitOptions {
  limits: ClientLimits;
  /** Paths limited (the GraphQL endpoints). */
  paths: readonly string[];
  /** Whether this plugin closes the limiter on dispose (only its owner does). */
  ownsLimiter?: boolean;
}

interface Charged {
  address: string;
  tokenHash: string | null;
}

function limitedResponse(
  limits: ClientLimits,
  retryAfterSeconds: number,
  fetchAPI: { Response: typeof Response },
): Response {
  const body = {
    errors: [
      {
        message: `Too many requests: at most ${limits.perSecond} per second (bursts of ${limits.burst}). Retry after ${retryAfterSeconds} s.`,
        extensions: { code: ErrorCode.RATE_LIMITED, retryAfterSeconds },
      },
    ],
  };
  return new fetchAPI.Response(JSON.stringify(body), {
    status: 429,
    headers: {
      'content-type': 'application/json; charset=utf-8',
      'retry-after': String(retryAfterSeconds),
    },
  });
}

/** Refuses requests over the limit with HTTP 429, `Retry-After` and a RATE_LIMITED error. */
export function useRateLimit(options: UseRateLimitOptions): Plugin {
  const { limits } = options;
  const paths = new Set(options.paths);
  const charged = new WeakMap<Request, Charged>();
  return {
    async onRequest({ request, url, serverContext, endResponse, fetchAPI }) {
      if (!paths.has(url.pathname) || request.method === 'OPTIONS') return;
      const address = limits.addresses.resolve(request, serverContext);
      if (address === null || limits.exempt.has(address)) return;
      const tokenHash = bearerHash(request);
      charged.set(request, { address, tokenHash });
      const result = await limits.limiter.take(clientKey(address, tokenHash, limits.verified));
      if (result.ok) return;
      limits.onLimited?.();
      endResponse(limitedResponse(limits, result.retryAfterSeconds, fetchAPI));
    },
    async onResponse({ request }) {
      const info = charged.get(request);
      if (!info || info.tokenHash === null) return;
      charged.delete(request);
      const verdict = budgetOf(request)?.tokenVerdict ?? 'unknown';
      if (verdict === 'accepted') limits.verified.add(info.tokenHash);
      if (verdict === 'rejected') {
        limits.verified.delete(info.tokenHash);
        // A failed token attempt costs the address one more request (the response is written).
        await limits.limiter.take(addressKey(info.address));
      }
    },
    async onDispose() {
      if (options.ownsLimiter) await limits.limiter.close?.();
    },
  };
}
