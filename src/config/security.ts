/**
 * The abuse-resistance settings (fan-out, upstream budget, rate-limit keying,
 * `/subgraph` and `/metrics` exposure), read as one block by `loadConfig`.
 */
import { isIP } from 'node:net';
import type { Reader } from './reader.js';

/**
 * Which proxies in front of the gateway are trusted to append to `X-Forwarded-For`:
 * none, a number of hops, or the proxies' addresses (CIDR blocks).
 */
export type TrustProxy =
  | { readonly kind: 'none' }
  | { readonly kind: 'hops'; readonly hops: number }
  | { readonly kind: 'cidrs'; readonly cidrs: readonly string[] };

export interface SecurityConfig {
  /** `TRUST_PROXY`: see `TrustProxy`; the client is the right-most untrusted hop. */
  readonly trustProxy: TrustProxy;
  /** `RATE_LIMIT_EXEMPT`: CIDR blocks whose clients are not rate limited (default none). */
  readonly rateLimitExempt: readonly string[];
  /**
   * `RATE_LIMIT_VERIFIED_TOKEN_TTL_SECONDS`, in ms: how long a token Open Humans accepted keeps its
   * own bucket.
   */
  readonly verifiedTokenTtlMs: number;
  /**
   * `MAX_LIST_ARGUMENT_ITEMS`: longest list argument that fans out (`nodes(ids:)`, `_entities`).
   */
  readonly maxListItems: number;
  /** `MAX_UPSTREAM_CALLS_PER_REQUEST`: upstream calls (retries included) one request may make. */
  readonly maxUpstreamCallsPerRequest: number;
  /**
   * `UPSTREAM_CONCURRENCY_PER_REQUEST`: upstream calls one request may have in flight at once.
   * Default: all of `UPSTREAM_CONCURRENCY` — a request alone uses the whole budget, and the turn
   * order between waiting requests already gives any other request the next free slot
   * (docs/upstream-budget.md). Lower keeps slots free for newcomers even while one request waits.
   */
  readonly upstreamConcurrencyPerRequest: number;
  /** `SUBGRAPH_SECRET`: `/subgraph` is served only when set, to requests carrying it. */
  readonly subgraphSecret: string | null;
  /**
   * `METRICS_TOKEN`: `/metrics` on the public port needs `Authorization: Bearer <it>`; null = not
   * served there.
   */
  readonly metricsToken: string | null;
  /** `METRICS_PORT`: serve `/metrics` on this port instead (null = no metrics listener). */
  readonly metricsPort: number | null;
  /** `METRICS_HOST`: the interface of the metrics listener (default: `HOST`). */
  readonly metricsHost: string | null;
}

/** A CIDR block (`10.0.0.0/8`, `fd00::/8`) or a single address. */
function validCidr(value: string): boolean {
  const [address, prefix, extra] = value.split('/');
  const family = address ? isIP(address) : 0;
  if (family === 0 || extra !== undefined) return false;
  if (prefix === undefined) return true;
  return /^\d{1,3}$/.test(prefix) && Number(prefix) <= (family === 4 ? 32 : 128);
}

function cidrList(r: Reader, name: string): string[] {
  const value = r.raw(name);
  if (value === undefined) return [];
  const items = value
    .split(',')
    .map((s) => s.trim())
    .filter(Boolean);
  const bad = items.filter((item) => !validCidr(item));
  if (bad.length > 0)
    r.problems.push(
      `${name} must be a comma-separated list of addresses or CIDR blocks such as 10.0.0.0/8 (bad: "${bad[0]}")`,
    );
  return items.filter(validCidr);
}

/**
 * `TRUST_PROXY`: `false`/`0` (default), a hop count (`1` = one proxy in front), `true` (= 1,
 * never "trust everything": the left-most entry is whatever the client wrote), or CIDR blocks.
 */
function trustProxy(r: Reader): TrustProxy {
  const value = r.raw('TRUST_PROXY')?.toLowerCase();
  if (value === undefined || ['false', 'no', 'off', '0'].includes(value)) return { kind: 'none' };
  if (['true', 'yes', 'on'].includes(value)) return { kind: 'hops', hops: 1 };
  if (/^\d{1,2}$/.test(value)) return { kind: 'hops', hops: Number(value) };
  const cidrs = cidrList(r, 'TRUST_PROXY');
  return cidrs.length > 0 ? { kind: 'cidrs', cidrs } : { kind: 'none' };
}

function secret(r: Reader, name: string): string | null {
  const value = r.optional(name);
  if (value !== null && !/^[\x21-\x7e]{16,256}$/.test(value)) {
    r.problems.push(`${name} must be 16 to 256 printable ASCII characters without spaces`);
    return null;
  }
  return value;
}

/** `budget`: `UPSTREAM_CONCURRENCY`, the default of what one request may have in flight. */
export function readSecurity(r: Reader, budget: number): SecurityConfig {
  return {
    trustProxy: trustProxy(r),
    rateLimitExempt: cidrList(r, 'RATE_LIMIT_EXEMPT'),
    verifiedTokenTtlMs: r.int('RATE_LIMIT_VERIFIED_TOKEN_TTL_SECONDS', 300, 1, 86_400) * 1000,
    maxListItems: r.int('MAX_LIST_ARGUMENT_ITEMS', 100, 1, 10_000),
    maxUpstreamCallsPerRequest: r.int('MAX_UPSTREAM_CALLS_PER_REQUEST', 300, 1, 100_000),
    upstreamConcurrencyPerRequest: r.int('UPSTREAM_CONCURRENCY_PER_REQUEST', budget, 1, 10_000),
    subgraphSecret: secret(r, 'SUBGRAPH_SECRET'),
    metricsToken: secret(r, 'METRICS_TOKEN'),
    metricsPort: r.optionalInt('METRICS_PORT', 1),
    metricsHost: r.optional('METRICS_HOST'),
  };
}
