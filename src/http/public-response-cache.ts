/**
 * Whole-response cache for PUBLIC operations (`@graphql-yoga/plugin-response-cache`, envelop's
 * response cache): a repeated anonymous query is answered from memory without parsing,
 * validating or executing it again.
 *
 * What may be stored, and what never is:
 * - only requests without an `Authorization` header (valid, malformed or empty alike) and
 *   without a session cookie; everything else bypasses the cache both ways;
 * - only queries whose root fields are all in `PUBLIC_ROOT_FIELDS` (an allow-list: a root field
 *   added later is not cached until someone says it is public);
 * - never a result that holds a token-scoped type (`TOKEN_SCOPED_TYPES`), nor one with errors.
 *
 * Entries live per instance, in memory, bounded by entry count, for at most the public cache's
 * TTL. Every invalidation of the public cache (a write here, or one another instance announced
 * through Redis) empties it, so it is never fresher-looking than the bodies it was built from.
 * With several instances (a shared Redis) a write also bumps a generation number in Redis before
 * it answers, and every lookup compares it with the one this instance last saw: a write through
 * one instance is seen through every other at once, without waiting for pub/sub. When Redis
 * cannot answer, the lookup is a miss (the query is executed, as without this cache).
 */
import { createHash } from 'node:crypto';
import type { Cache } from '@graphql-yoga/plugin-response-cache';
import { createInMemoryCache, useResponseCache } from '@graphql-yoga/plugin-response-cache';
import type { ExecutionResult, GraphQLSchema } from 'graphql';
import type { Plugin, YogaInitialContext } from 'graphql-yoga';
import { persistedOperationId } from '../limits/persisted-operations.js';

/** Root query fields whose answers are the same for every anonymous caller. */
export const PUBLIC_ROOT_FIELDS: ReadonlySet<string> = new Set([
  'dataFile',
  'dataFiles',
  'dataType',
  'dataTypes',
  'node',
  'nodes',
  'project',
  'projects',
  'user',
  'users',
  '__typename',
]);

/** Types whose data belongs to a token (or a sign-in): a result holding one is never stored. */
export const TOKEN_SCOPED_TYPES: readonly string[] = [
  'Viewer',
  'Member',
  'MemberConnection',
  'MemberEdge',
  'SharedSource',
  'DeauthorizationEvent',
  'DeauthorizationEventConnection',
  'DeauthorizationEventEdge',
  'OAuthAuthorization',
  'OAuthTokens',
];

type EntityRecords = Parameters<Cache['set']>[2];

/**
 * The stored result with yoga's `stringify` hook (yoga serialises a result with
 * `result.stringify ?? JSON.stringify`): an entry is serialised once, not on every hit. The hook
 * is a function, which JSON leaves out, and it sees what yoga would serialise (internals already
 * removed), so the bytes are the same as without it.
 */
function withMemoizedJson(
  result: ExecutionResult,
): ExecutionResult & { stringify: (value: unknown) => string } {
  let json: string | undefined;
  return { ...result, stringify: (value) => (json ??= JSON.stringify(value)) };
}

/** The generation number every instance shares (a Redis key); both calls may reject. */
export interface SharedGeneration {
  read(): Promise<string | null>;
  bump(): Promise<void>;
}

/**
 * The store behind the plugin: the plugin's own LRU (entity bookkeeping included), replaced
 * whole by `clear()`. `generation` counts clears, so an execution that began before one can be
 * refused when it tries to store what it read (see `usePublicResponseCache`).
 */
export class PublicResponseCache implements Cache {
  private inner: Cache;
  private clears = 0;
  /** The shared generation this instance's entries were built under. */
  private seen: string | null = null;

  constructor(
    private readonly maxEntries: number,
    private readonly shared: SharedGeneration | null = null,
  ) {
    this.inner = createInMemoryCache({ max: Math.max(1, maxEntries) });
  }

  get generation(): number {
    return this.clears;
  }

  get(key: string): ReturnType<Cache['get']> {
    return this.shared ? this.getChecked(key, this.shared) : this.inner.get(key);
  }

  /** After a write through another instance the shared number differs: drop everything first. */
  private async getChecked(
    key: string,
    shared: SharedGeneration,
  ): Promise<Awaited<ReturnType<Cache['get']>>> {
    let current: string | null;
    try {
      current = await shared.read();
    } catch {
      return null; // unverifiable: executed as if never cached
    }
    if (current !== this.seen) {
      this.clear();
      this.seen = current;
      return null;
    }
    return this.inner.get(key);
  }

  /**
   * After an invalidation of the public cache: drop everything; when this instance cleared the
   * shared store (`shared`), bump the shared number too, before the write answers.
   */
  async invalidated(scope: 'shared' | 'local'): Promise<void> {
    this.clear();
    if (scope === 'shared') await this.shared?.bump();
  }

  set(
    key: string,
    result: ExecutionResult,
    entities: EntityRecords,
    ttl: number,
  ): ReturnType<Cache['set']> {
    return this.inner.set(key, withMemoizedJson(result), entities, ttl);
  }

  invalidate(entities: EntityRecords): ReturnType<Cache['invalidate']> {
    return this.inner.invalidate(entities);
  }

  /** Drops every entry (cheaper than walking them: the old LRU is left to the collector). */
  clear(): void {
    this.inner = createInMemoryCache({ max: Math.max(1, this.maxEntries) });
    this.clears += 1;
  }
}

export interface PublicResponseCacheOptions {
  cache: PublicResponseCache;
  /** At most the public cache's TTL (`PUBLIC_CACHE_TTL_SECONDS`), in ms; > 0. */
  ttlMs: number;
  /** The served schema: every root query field outside `PUBLIC_ROOT_FIELDS` is never cached. */
  schema: GraphQLSchema;
  /** The session cookie's name in session mode, else null. */
  sessionCookie: string | null;
}

/** True when the request acts for someone: any Authorization header, or the session cookie. */
export function isCredentialed(request: Request, sessionCookie: string | null): boolean {
  if (request.headers.has('authorization')) return true;
  if (sessionCookie === null) return false;
  return request.headers.get('cookie')?.includes(`${sessionCookie}=`) ?? false;
}

/** TTL 0 (never stored) for every root query field that is not on the public allow-list. */
function privateRootFields(schema: GraphQLSchema): Record<string, number> {
  const fields = Object.keys(schema.getQueryType()?.getFields() ?? {});
  return Object.fromEntries(
    fields.filter((name) => !PUBLIC_ROOT_FIELDS.has(name)).map((name) => [`Query.${name}`, 0]),
  );
}

/** Sorted-key JSON, so `{a,b}` and `{b,a}` variables share an entry. */
function stableJson(value: unknown): string {
  if (Array.isArray(value)) return `[${value.map(stableJson).join(',')}]`;
  if (value !== null && typeof value === 'object') {
    const entries = Object.entries(value).sort(([a], [b]) => (a < b ? -1 : a > b ? 1 : 0));
    return `{${entries.map(([k, v]) => `${JSON.stringify(k)}:${stableJson(v)}`).join(',')}}`;
  }
  return JSON.stringify(value) ?? 'null';
}

/**
 * Document, operation name, variables and the persisted-operation id (a persisted request may
 * carry no document text). Hashed synchronously: cheaper than WebCrypto's promise per request.
 */
function cacheKey(params: {
  documentString: string;
  operationName?: string | null;
  variableValues?: unknown;
  context: unknown;
}): string {
  const graphqlParams = (params.context as Partial<YogaInitialContext> | undefined)?.params;
  const persisted = graphqlParams ? (persistedOperationId(graphqlParams) ?? '') : '';
  const source = [
    params.documentString,
    params.operationName ?? '',
    stableJson(params.variableValues ?? {}),
    persisted,
  ].join('|');
  return createHash('sha256').update(source).digest('base64url');
}

/** The response-cache plugin configured for anonymous, public operations only. */
export function usePublicResponseCache(options: PublicResponseCacheOptions): Plugin {
  const { cache, ttlMs, schema, sessionCookie } = options;
  // The generation each request started in: a clear since then means it may have read bodies
  // that were just invalidated, so what it computed is served but not stored.
  const startedIn = new WeakMap<Request, number>();
  const scoped = Object.fromEntries(TOKEN_SCOPED_TYPES.map((type) => [type, 'PRIVATE' as const]));
  return useResponseCache<YogaInitialContext>({
    cache,
    ttl: ttlMs,
    // Everyone served from here is anonymous: one shared visibility, no per-session entries.
    session: (request) => {
      startedIn.set(request, cache.generation);
      return null;
    },
    // Only requests that went through yoga's HTTP path (the plugin keys them in `onParams`, where
    // `session` runs first): operations over WebSocket execute without it and bypass the cache.
    enabled: (request) => startedIn.has(request) && !isCredentialed(request, sessionCookie),
    buildResponseCacheKey: cacheKey,
    ttlPerSchemaCoordinate: {
      ...privateRootFields(schema),
      ...Object.fromEntries(TOKEN_SCOPED_TYPES.map((type) => [type, 0])),
    },
    scopePerSchemaCoordinate: scoped,
    onTtl: ({ ttl, context }) => {
      const request = (context as Partial<YogaInitialContext>).request;
      return request && startedIn.get(request) === cache.generation ? Math.min(ttl, ttlMs) : 0;
    },
    // Same bytes whether cached or not (no `extensions.responseCache` even in development).
    includeExtensionMetadata: false,
  });
}
