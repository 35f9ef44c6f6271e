import { createHash } from 'node:crypto';
import { isIP } from 'node:net';
import { LRUCache } from 'lru-cache';
import type { Plugin } from 'graphql-yoga';
import { parseBearer } from '../context.js';
import { ErrorCode } from '../errors.js';

/*
 * Per-client rate limit (decisions.md: the upstream has none, so the gateway protects it).
 * A token bucket per client: `burst` requests at once, refilled at `perSecond`. Clients are
 * keyed by a hash of their bearer token, else by their address. Loopback and in-process
 * callers (local tooling, probes, benchmarks; no address at all) are not limited: behind a
 * proxy on the same host, set TRUST_PROXY so the real client address is used.
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
    return { ok: false, retryAfterSeconds: Math.max(1, Math.ceil((1 - bucket.tokens) / perSecond)) };
  }
}

const isLoopback = (address: string): boolean =>
  address === '::1' || /^(::ffff:)?127\./.test(address);

/** The node:http server context yoga passes along (absent for in-process `yoga.fetch`). */
interface NodeServerContext {
  req?: { socket?: { remoteAddress?: string } };
}

/** The client's address: the socket peer, or the first `X-Forwarded-For` entry behind a proxy. */
export function clientAddress(request: Request, serverContext: unknown, trustProxy: boolean): string | null {
  if (trustProxy) {
    const forwarded = request.headers.get('x-forwarded-for')?.split(',')[0]?.trim();
    if (forwarded && isIP(forwarded)) return forwarded;
  }
  return (serverContext as NodeServerContext | undefined)?.req?.socket?.remoteAddress ?? null;
}

/** The bucket key of a request, or null when it is not limited (loopback / in-process). */
export function clientKey(request: Request, serverContext: unknown, trustProxy: boolean): string | null {
  const address = clientAddress(request, serverContext, trustProxy);
  if (address === null || isLoopback(address)) return null;
  const { token } = parseBearer(request.headers.get('authorization'));
  // Never the token itself: a truncated sha256 is enough to tell clients apart.
  if (token) return `token:${createHash('sha256').update(token).digest('hex').slice(0, 32)}`;
  return `address:${address}`;
}

/** Where buckets live: this process (`TokenBucketLimiter`) or Redis (`RedisTokenBucketLimiter`). */
export interface Limiter {
  take(key: string): TakeResult | Promise<TakeResult>;
  close?(): Promise<void>;
}

export interface UseRateLimitOptions extends RateLimitOptions {
  trustProxy: boolean;
  /** Paths limited (the GraphQL endpoints). */
  paths: readonly string[];
  /** Called for each refused request (metrics). */
  onLimited?: () => void;
  /** @default buckets in this process */
  limiter?: Limiter;
}

/** Refuses requests over the limit with HTTP 429, `Retry-After` and a RATE_LIMITED error. */
export function useRateLimit(options: UseRateLimitOptions): Plugin {
  const limiter: Limiter = options.limiter ?? new TokenBucketLimiter(options);
  const paths = new Set(options.paths);
  return {
    async onRequest({ request, url, serverContext, endResponse, fetchAPI }) {
      if (!paths.has(url.pathname) || request.method === 'OPTIONS') return;
      const key = clientKey(request, serverContext, options.trustProxy);
      if (key === null) return;
      const result = await limiter.take(key);
      if (result.ok) return;
      options.onLimited?.();
      const body = {
        errors: [
          {
            message: `Too many requests: at most ${options.perSecond} per second (bursts of ${options.burst}). Retry after ${result.retryAfterSeconds} s.`,
            extensions: { code: ErrorCode.RATE_LIMITED, retryAfterSeconds: result.retryAfterSeconds },
          },
        ],
      };
      endResponse(
        new fetchAPI.Response(JSON.stringify(body), {
          status: 429,
          headers: { 'content-type': 'application/json; charset=utf-8', 'retry-after': String(result.retryAfterSeconds) },
        }),
      );
    },
    async onDispose() {
      await limiter.close?.();
    },
  };
}
