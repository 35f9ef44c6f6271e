/**
 * The read machinery of `DirectSharingApi` (its paths, read specs and their keys), kept apart so
 * that the client itself stays about what it reads and writes.
 */
import type { TokenScope } from '../auth/token-scoped-cache.js';
import { type GatewayError, notFound } from '../errors.js';
import {
  type Auth,
  isUpstreamError,
  type OpenHumansHttp,
  toGatewayError,
} from './open-humans-http.js';

/**
 * Upstream calls one request keeps in flight at once: a page of members may need one
 * exchange-member call each, and Open Humans has no rate limits of its own to protect it.
 * 32 lets a typical 100-member page (about a quarter of members have more than 10 files) make
 * its exchange-member calls in one round, as a hand-written client would; the process-wide cap
 * (UPSTREAM_CONCURRENCY) still bounds the total across requests.
 */
const MAX_CONCURRENT_CALLS = 32;

/**
 * How one request's reads reach Open Humans: deduplicated in the request (`inflight`), then the
 * token's partition of the cross-request cache, then upstream, at most MAX_CONCURRENT_CALLS at
 * a time. The token is passed per read: the client checks it first.
 */
export class ReadChannel {
  private readonly inflight = new Map<string, Promise<unknown>>();
  private readonly slots = new CallSlots(MAX_CONCURRENT_CALLS);

  constructor(
    private readonly http: OpenHumansHttp,
    private readonly signal: AbortSignal | undefined,
    private readonly scope: TokenScope | null,
  ) {}

  read<T>(spec: ReadSpec<T>, token: string): Promise<T> {
    const key = readKey(spec);
    const pending = spec.fresh ? undefined : this.inflight.get(key);
    if (pending) return pending as Promise<T>;
    const cached = spec.fresh ? undefined : this.scope?.get<T>(key);
    if (cached !== undefined) return Promise.resolve(cached);
    const promise = this.fetch(spec, token).then((value) => {
      this.scope?.set(key, value, spec.tags(value));
      return value;
    });
    // A failed read is not remembered: a retry in the same request may succeed.
    promise.catch(() => this.inflight.delete(key));
    this.inflight.set(key, promise);
    return promise;
  }

  /** Forgets the request's reads (after a write). */
  forget(): void {
    this.inflight.clear();
  }

  private async fetch<T>(spec: ReadSpec<T>, token: string): Promise<T> {
    let wire: unknown;
    try {
      wire = await this.slots.run(() =>
        this.http.request<unknown>({
          route: spec.route,
          method: 'GET',
          path: spec.path,
          query: spec.query,
          auth: { token, via: spec.via },
          signal: this.signal,
        }),
      );
    } catch (err) {
      if (spec.route === 'D3' && upstreamStatus(err) === 400) throw unknownMember();
      throw toGatewayError(err);
    }
    return spec.map(wire);
  }
}

export const PATHS = {
  project: '/api/direct-sharing/project/',
  members: '/api/direct-sharing/project/members/',
  exchangeMember: '/api/direct-sharing/project/exchange-member/',
} as const;

export interface ReadSpec<T> {
  route: 'D1' | 'D2' | 'D3';
  path: string;
  query?: Record<string, string | number | undefined>;
  via: Auth['via'];
  map: (wire: unknown) => T;
  /** Tags for the cross-request cache (members the answer lists). */
  tags: (value: T) => string[];
  /** Skip the request's and the token's caches (the value is still cached for later reads). */
  fresh?: boolean;
}

export const unknownMember = (): GatewayError =>
  notFound('No member of this project has that projectMemberId.');

function readKey(spec: Pick<ReadSpec<unknown>, 'route' | 'path' | 'query'>): string {
  const query = Object.entries(spec.query ?? {})
    .filter(([, v]) => v !== undefined)
    .sort(([a], [b]) => (a < b ? -1 : 1))
    .map(([k, v]) => `${k}=${String(v)}`)
    .join('&');
  return `${spec.route} ${spec.path}?${query}`;
}

/** The HTTP status of an upstream failure (`UpstreamError.status`), if it is one. */
const upstreamStatus = (err: unknown): number | undefined =>
  isUpstreamError(err) ? err.status : undefined;

/** A small counting semaphore: at most `size` tasks run at once, the rest wait in order. */
class CallSlots {
  private active = 0;
  private readonly waiting: (() => void)[] = [];

  constructor(private readonly size: number) {}

  async run<T>(task: () => Promise<T>): Promise<T> {
    if (this.active < this.size) this.active += 1;
    // A finishing task hands its slot straight to the next waiter, so `active` never overshoots.
    else await new Promise<void>((resolve) => this.waiting.push(resolve));
    try {
      return await task();
    } finally {
      const next = this.waiting.shift();
      if (next) next();
      else this.active -= 1;
    }
  }
}
