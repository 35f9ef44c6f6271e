import type { Config } from '../config/index.js';
import { MAX_PUBLIC_CACHE_STALE_SECONDS, MAX_PUBLIC_CACHE_TTL_SECONDS } from '../config/index.js';
import type { OpenHumansHttp, QueryValue } from './open-humans-http.js';
import { currentDeadline, Deadline, raceSignal, withDeadline } from './resilience/index.js';
import type { RouteId } from './routes.js';
import type { SharedCache } from './shared-cache.js';
import { LruSharedCache } from './shared-cache.js';
import { UpstreamError } from './upstream-error.js';

/*
 * A DELIBERATE TTL override. Open Humans sends `Cache-Control: no-store` on every API response,
 * so a header-respecting HTTP cache would store nothing. We cache token-free public GETs anyway,
 * for a short, configured time, because that data is public and changes slowly. Bodies with
 * files carry download URLs whose keys expire after 1 hour upstream, so their TTL is capped
 * at 10 minutes (config). Nothing that carried a token ever enters this cache: requests are
 * built without auth here, and keys refuse anything that looks like a token.
 *
 * Stale-if-error: an entry past its TTL is kept for a bounded stale window (at most 20 minutes,
 * so TTL + stale ≤ 30 minutes, well inside a download key's hour). A request that finds only a
 * stale entry asks the upstream again; when that fails transiently (5xx, timeout, connection,
 * breaker open) or its own deadline comes first, it is answered from the stale entry.
 */

/** Told of every invalidation (see `PublicCache.onInvalidate`). */
export type InvalidationListener = (scope: 'shared' | 'local') => void | Promise<void>;

export interface PublicGet {
  /** Route id (`P1`..`P13`). */
  route: RouteId;
  /** Path below `OPENHUMANS_BASE_URL`. */
  path: string;
  query?: Record<string, QueryValue>;
}

export interface CacheStats {
  hits: number;
  misses: number;
  /** Concurrent misses that joined an upstream call already in flight. */
  joined: number;
  /** Answers served from a stale entry because the upstream failed. */
  stale: number;
  /** Store errors (e.g. Redis unreachable), treated as misses. */
  storeErrors: number;
}

export interface PublicCacheOptions {
  store?: SharedCache;
  maxEntries: number;
  /** TTL for bodies that may contain download URLs. Clamped to 10 minutes. */
  ttlMs: number;
  /** TTL for catalogue bodies (projects, data types) without download URLs. Clamped to 1 hour. */
  catalogTtlMs: number;
  /** Stale-if-error window past the TTL. Clamped to 20 minutes; @default 0 (off). */
  staleMs?: number;
  /**
   * Time budget of a shared upstream load (`REQUEST_DEADLINE_MS`): it runs detached from the
   * request that started it, so one client leaving does not fail the others. @default 30 s
   */
  loadDeadlineMs?: number;
  /** Epoch-ms clock for freshness (tests). @default Date.now */
  now?: () => number;
  /**
   * The upstream (`OPENHUMANS_BASE_URL`), part of every key: two upstreams never share an entry,
   * even in one Redis namespace. @default '' (tests of the cache alone)
   */
  origin?: string;
}

/**
 * Cache writes waiting for the store at once; more are skipped (the write is only an optimisation).
 */
const MAX_PENDING_WRITES = 256;

/** What the store holds: the body and until when it is fresh (epoch ms, shared by instances). */
interface Entry {
  v: unknown;
  f: number;
}

const isEntry = (value: unknown): value is Entry =>
  typeof value === 'object' &&
  value !== null &&
  'v' in value &&
  typeof (value as { f?: unknown }).f === 'number';

const KEY_PREFIX = 'oh:public:';
const TOKEN_PARAM = /[?&](access_token|refresh_token|client_secret|code)=/i;

/** Deep-freezes a parsed body so one request cannot change what the next one reads. */
function deepFreeze<T>(value: T): T {
  if (value && typeof value === 'object' && !Object.isFrozen(value)) {
    Object.freeze(value);
    for (const inner of Object.values(value)) deepFreeze(inner);
  }
  return value;
}

/**
 * The shared cache of token-free public GET responses (one per process, from `createPublicCache`;
 * passed in through `GatewayDeps`). `getOrLoad` shares one upstream call between concurrent
 * identical misses. Cached values are deep-frozen: treat them as read-only.
 */
export class PublicCache {
  readonly ttlMs: number;
  readonly catalogTtlMs: number;
  readonly staleMs: number;
  readonly stats: CacheStats = { hits: 0, misses: 0, joined: 0, stale: 0, storeErrors: 0 };
  private readonly store: SharedCache;
  private readonly enabled: boolean;
  private readonly inFlight = new Map<string, Promise<unknown>>();
  private readonly loadDeadlineMs: number;
  private readonly now: () => number;
  private readonly origin: string;
  private readonly pendingWrites = new Set<Promise<void>>();
  private readonly invalidationListeners = new Set<InvalidationListener>();
  /** Models mapped from cached bodies, per body object and mapping (see `mapped`). */
  private readonly models = new WeakMap<object, Map<string, unknown>>();

  constructor(options: PublicCacheOptions) {
    this.store = options.store ?? new LruSharedCache(options.maxEntries);
    this.enabled = options.maxEntries > 0;
    this.ttlMs = Math.min(options.ttlMs, MAX_PUBLIC_CACHE_TTL_SECONDS * 1000);
    this.catalogTtlMs = Math.min(options.catalogTtlMs, 3_600_000);
    this.staleMs = Math.min(options.staleMs ?? 0, MAX_PUBLIC_CACHE_STALE_SECONDS * 1000);
    this.loadDeadlineMs = options.loadDeadlineMs ?? 30_000;
    this.now = options.now ?? Date.now;
    this.origin = options.origin ?? '';
  }

  static fromConfig(config: Config, store?: SharedCache): PublicCache {
    return new PublicCache({
      store,
      ...config.publicCache,
      loadDeadlineMs: config.requestDeadlineMs,
      origin: config.openHumans.baseUrl,
    });
  }

  /** The storage behind this cache (to close a Redis connection on shutdown). */
  get backingStore(): SharedCache {
    return this.store;
  }

  /**
   * The cache key: method + upstream + path + query sorted by name. Refuses anything carrying a
   * token, so a mistake elsewhere fails loudly instead of sharing private data.
   */
  static keyFor(req: PublicGet, origin = ''): string {
    const params = Object.entries(req.query ?? {})
      .filter((entry): entry is [string, string | number | boolean] => entry[1] !== undefined)
      .sort(([a], [b]) => (a < b ? -1 : a > b ? 1 : 0))
      .map(([k, v]) => `${encodeURIComponent(k)}=${encodeURIComponent(String(v))}`)
      .join('&');
    const key = `${KEY_PREFIX}GET ${origin}${req.path}${params ? `?${params}` : ''}`;
    if (TOKEN_PARAM.test(key)) {
      throw new Error('PublicCache refuses requests that carry a token');
    }
    return key;
  }

  /**
   * Returns the cached value for `key`, or runs `load` once (concurrent callers with the same
   * key share that one call) and caches its result for `ttlMs` (default: the short TTL).
   * Failures are not cached.
   */
  async getOrLoad<T>(
    key: string,
    load: () => Promise<T>,
    ttlMs: number,
    route: RouteId,
  ): Promise<T> {
    if (!this.enabled || ttlMs <= 0) return load();
    const deadline = currentDeadline();
    const caller = deadline?.signal;
    // Read even when a load is in flight: its entry, if stale, is the fallback should it fail.
    const entry = await this.read(key, caller);
    if (entry && entry.f > this.now()) {
      this.stats.hits += 1;
      return entry.v as T;
    }
    let pending = this.inFlight.get(key) as Promise<T> | undefined;
    if (pending) {
      this.stats.joined += 1;
    } else {
      this.stats.misses += 1;
      pending = this.startLoad(key, load, Math.min(ttlMs, this.catalogTtlMs));
    }
    try {
      return await this.wait(pending, key, route, deadline);
    } catch (err) {
      if (entry && entry.f + this.staleMs > this.now() && (caller?.aborted || isTransient(err))) {
        this.stats.stale += 1;
        return entry.v as T;
      }
      throw err;
    }
  }

  /**
   * Waits for a shared load within the caller's own deadline. Giving up becomes an
   * `UpstreamError` (timeout or aborted), so it is mapped like any other upstream failure.
   */
  private async wait<T>(
    pending: Promise<T>,
    key: string,
    route: RouteId,
    deadline: Deadline | undefined,
  ): Promise<T> {
    try {
      return await raceSignal(pending, deadline?.signal);
    } catch (err) {
      if (err instanceof UpstreamError || !deadline?.signal.aborted) throw err;
      const path = key.slice(KEY_PREFIX.length + 'GET '.length + this.origin.length);
      const kind = deadline.expired ? 'timeout' : 'aborted';
      throw new UpstreamError(kind, {
        route,
        method: 'GET',
        url: path,
        hadToken: false,
        detail: 'gave up waiting for a shared call',
        cause: err,
      });
    }
  }

  /**
   * One upstream load shared by every concurrent caller of `key`. It runs under its own
   * deadline, detached from the request that happened to start it; callers wait for it within
   * their own deadlines. Failures are not cached.
   */
  private startLoad<T>(key: string, load: () => Promise<T>, ttlMs: number): Promise<T> {
    const deadline = Deadline.after(this.loadDeadlineMs);
    const promise = withDeadline(deadline, async () => {
      try {
        const value = deepFreeze(await load());
        // In the background: a slow store never delays the answer.
        if (value !== undefined) this.writeInBackground(key, value, ttlMs);
        return value;
      } finally {
        this.inFlight.delete(key);
        deadline.end();
      }
    });
    // Callers may all have given up (deadline): the settled load must not be an unhandled
    // rejection.
    promise.catch(() => {});
    this.inFlight.set(key, promise);
    return promise;
  }

  /** The entry for `key`; a store error, or the caller's deadline coming first, is a miss. */
  private async read(key: string, signal: AbortSignal | undefined): Promise<Entry | undefined> {
    try {
      const value = await raceSignal(this.store.get(key), signal);
      return isEntry(value) ? value : undefined;
    } catch {
      this.stats.storeErrors += 1;
      return undefined;
    }
  }

  /**
   * Bounded: past MAX_PENDING_WRITES waiting writes, a write is skipped (a later miss redoes it).
   */
  private writeInBackground(key: string, value: unknown, ttlMs: number): void {
    if (this.pendingWrites.size >= MAX_PENDING_WRITES) return;
    const pending = this.write(key, value, ttlMs).finally(() => this.pendingWrites.delete(pending));
    this.pendingWrites.add(pending);
  }

  /** Resolves once the cache writes started so far have reached the store (tests, shutdown). */
  async settled(): Promise<void> {
    while (this.pendingWrites.size > 0) await Promise.all([...this.pendingWrites]);
  }

  /** Kept for TTL + stale window; a store failure only costs the caching. */
  private async write(key: string, value: unknown, ttlMs: number): Promise<void> {
    try {
      await this.store.set(
        key,
        { v: value, f: this.now() + ttlMs } satisfies Entry,
        ttlMs + this.staleMs,
      );
    } catch {
      this.stats.storeErrors += 1;
    }
  }

  /**
   * A token-free public GET through the cache. The request is built here without auth, so a
   * token cannot reach it. Use `catalog: true` only for bodies without download URLs.
   */
  async fetch<T>(
    http: OpenHumansHttp,
    req: PublicGet,
    options: { catalog?: boolean; signal?: AbortSignal } = {},
  ): Promise<T> {
    const key = PublicCache.keyFor(req, this.origin);
    const ttl = options.catalog ? this.catalogTtlMs : this.ttlMs;
    // The signal is not passed on: the call is shared, and one client leaving must not fail the
    // others.
    return this.getOrLoad(
      key,
      () => http.request<T>({ route: req.route, method: 'GET', path: req.path, query: req.query }),
      ttl,
      req.route,
    );
  }

  /**
   * `map(body)`, computed once per cached body: the in-memory store hands every reader the same
   * deep-frozen body object, so its mapped models can be shared too instead of being rebuilt on
   * every request. They are not frozen (Pothos brands node objects with their type, an idempotent
   * write), so treat them as read-only. `tag` names the mapping (same tag, same function). Bodies
   * that are not frozen (a miss without caching, or a Redis read, which parses a fresh copy each
   * time) are mapped every time, as before.
   */
  mapped<T>(body: unknown, tag: string, map: (body: unknown) => T): T {
    if (typeof body !== 'object' || body === null || !Object.isFrozen(body)) return map(body);
    let byTag = this.models.get(body);
    if (byTag === undefined) {
      byTag = new Map();
      this.models.set(body, byTag);
    }
    if (byTag.has(tag)) return byTag.get(tag) as T;
    const value = map(body);
    byTag.set(tag, value);
    return value;
  }

  /**
   * Calls `listener` after every invalidation, even when the store failed, and waits for it:
   * caches built from these bodies (the whole-response cache) drop theirs before a write
   * answers. `scope` is `shared` when the shared store was cleared here, `local` when another
   * instance did it and announced it. Returns the unsubscribe function.
   */
  onInvalidate(listener: InvalidationListener): () => void {
    this.invalidationListeners.add(listener);
    return () => this.invalidationListeners.delete(listener);
  }

  /** Drops every cached response whose path starts with `pathPrefix` (e.g. after an upload). */
  invalidatePath(pathPrefix: string): Promise<number> {
    return this.announced(this.store.deletePrefix(this.pathPrefixKey(pathPrefix)), 'shared');
  }

  /** Drops every response under any of `pathPrefixes`, in one pass over the store. */
  invalidatePaths(pathPrefixes: readonly string[]): Promise<number> {
    const [common, also] = this.oneOf(pathPrefixes);
    return this.announced(this.store.deletePrefix(common, also), 'shared');
  }

  /** `invalidatePaths` on this process's memory only (another instance already cleared Redis). */
  invalidateLocalPaths(pathPrefixes: readonly string[]): Promise<number> {
    const [common, also] = this.oneOf(pathPrefixes);
    return this.announced(
      this.store.deleteLocalPrefix?.(common, also) ?? Promise.resolve(0),
      'local',
    );
  }

  /** Tells the listeners once `deletion` settled (after it: a reader then finds the new state). */
  private async announced(deletion: Promise<number>, scope: 'shared' | 'local'): Promise<number> {
    try {
      return await deletion;
    } finally {
      const listeners = [...this.invalidationListeners].map(async (listener) => listener(scope));
      await Promise.allSettled(listeners);
    }
  }

  /** The longest key prefix shared by `pathPrefixes`, and a test for "under one of them". */
  private oneOf(pathPrefixes: readonly string[]): [string, (key: string) => boolean] {
    const keys = pathPrefixes.map((p) => this.pathPrefixKey(p));
    let common = keys[0] ?? this.pathPrefixKey('');
    for (const key of keys) while (!key.startsWith(common)) common = common.slice(0, -1);
    return [common, (key) => keys.some((k) => key.startsWith(k))];
  }

  private pathPrefixKey(pathPrefix: string): string {
    return `${KEY_PREFIX}GET ${this.origin}${pathPrefix}`;
  }
}

/** Failures a stale entry may stand in for: the upstream being down or slow, not its "no". */
function isTransient(err: unknown): boolean {
  if (!(err instanceof UpstreamError)) return false;
  if (err.kind !== 'status') return true;
  const status = err.status ?? 0;
  return status >= 500 || status === 429;
}
