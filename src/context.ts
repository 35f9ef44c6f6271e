import type { Config } from './config.js';
import type { DirectSharingApi } from './datasources/direct-sharing-api.js';
import type { OpenHumansHttp } from './datasources/http.js';
import type { PublicCache } from './datasources/response-cache.js';
import type { DeauthorizationEventStore } from './events/deauthorization-event.js';
import type { Logger } from './logger.js';
import type { OAuthServices } from './oauth/services.js';
import type { UploadServices } from './datasources/uploads/upload-services.js';
import type { PublicDataApi } from './datasources/public-api.js';
import type { OpenHumans } from './datasources/open-humans.js';
import type { SharedRedis } from './redis/shared-redis.js';
import { createPublicLoaders, type PublicLoaders } from './loaders/public.js';

/** Process-wide singletons every request shares; created once (`main.ts`) and passed in. */
export interface SharedDeps {
  config: Config;
  /** The process's Open Humans client (`createOpenHumans`): each request's data sources come from it. */
  openHumans: OpenHumans;
  http: OpenHumansHttp;
  publicCache: PublicCache;
  logger: Logger;
  /** OAuth2 sign-in; null when the client id/secret are not configured. */
  oauth: OAuthServices | null;
  /** Accepted deauthorization webhook events (memory, or Redis with REDIS_URL). */
  deauthorizationEvents: DeauthorizationEventStore;
  /** Upload settings, idempotency store and handle signer (process-wide). */
  uploads: UploadServices;
  /** The process's shared Redis (REDIS_URL), or null. */
  redis: SharedRedis | null;
}

/**
 * Per-request context. Built fresh for every GraphQL request by `createContext`; process-wide
 * singletons (undici dispatcher inside `http`, shared caches, logger) are passed in, never
 * imported. Pothos' dataloader plugin keys its per-request loaders on this object.
 */
export interface Context {
  /** Request id (x-request-id, accepted or generated); appears in every log line. */
  requestId: string;
  /** The caller's Open Humans token from `Authorization: Bearer …`, or null. Never log it. */
  token: string | null;
  /**
   * An `Authorization` header was sent but is not a usable `Bearer <token>` (other scheme,
   * empty, spaces): token-scoped fields answer UNAUTHENTICATED/TOKEN_INVALID, not TOKEN_MISSING.
   */
  tokenMalformed: boolean;
  /** Aborted when the client goes away; pass it to upstream calls made for this request only. */
  signal: AbortSignal;
  config: Config;
  /** The one HTTP layer (only undici caller). */
  http: OpenHumansHttp;
  /** Shared cache of token-free public responses. Never put token-scoped data in it. */
  publicCache: PublicCache;
  /** Logger bound to this request (the request id is added to every line anyway). */
  logger: Logger;
  /** The direct-sharing API for this request's token (token-scoped; never shared across tokens). */
  directSharing: DirectSharingApi;
  /** OAuth2 sign-in; null when not configured. */
  oauth: OAuthServices | null;
  /** Deauthorization events (kept and live). */
  deauthorizationEvents: DeauthorizationEventStore;
  /** Upload settings, idempotency store and handle signer (process-wide). */
  uploads: UploadServices;
  /** The token-free public API (P1–P13) for this request, over the shared public cache. */
  publicApi: PublicDataApi;
  /** Per-request DataLoaders of the public graph (projects, data types, users, files). */
  publicLoaders: PublicLoaders;
}

/** Parses `Authorization: Bearer <token>`; Open Humans tokens never contain spaces. */
export function parseBearer(header: string | null): { token: string | null; malformed: boolean } {
  if (header === null || header.trim() === '') return { token: null, malformed: false };
  const match = /^Bearer +(\S+)\s*$/i.exec(header.trim());
  return match?.[1] ? { token: match[1], malformed: false } : { token: null, malformed: true };
}

/**
 * Builds the context of one request. Data sources and loaders are added here, per request.
 * `sessionToken`: the access token of a session cookie (session mode), used when no
 * Authorization header was sent.
 */
export function createContext(request: Request, requestId: string, deps: SharedDeps, sessionToken: string | null = null): Context {
  const bearer = parseBearer(request.headers.get('authorization'));
  const token = bearer.token ?? sessionToken;
  const malformed = bearer.malformed;
  const { publicApi, directSharing } = deps.openHumans.forRequest({ token, tokenMalformed: malformed, signal: request.signal });
  return {
    requestId,
    token,
    tokenMalformed: malformed,
    signal: request.signal,
    config: deps.config,
    http: deps.http,
    publicCache: deps.publicCache,
    logger: deps.logger.child({ requestId }),
    oauth: deps.oauth,
    deauthorizationEvents: deps.deauthorizationEvents,
    uploads: deps.uploads,
    directSharing,
    publicApi,
    publicLoaders: createPublicLoaders(publicApi),
  };
}
