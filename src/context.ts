import { parseBearer } from './auth/bearer.js';
import type { Config } from './config/index.js';
import type { DirectSharingApi } from './datasources/direct-sharing-api.js';
import type { OpenHumans } from './datasources/open-humans.js';
import type { UploadServices } from './datasources/writes/upload-services.js';
import type { DeauthorizationEventStore } from './events/deauthorization-event.js';
import type { DeauthorizationEvents } from './events/deauthorization-events.js';
import { createLoaders, type Loaders } from './loaders/loaders.js';
import type { Logger } from './logger.js';
import type { OAuthServices } from './oauth/services.js';

/**
 * Process-wide singletons every request shares: built once (`startServer`, or `createGateway`
 * for what is not passed in).
 */
export interface SharedDeps {
  config: Config;
  /**
   * The process's Open Humans client (`createOpenHumans`): each request's data sources come from
   * it.
   */
  openHumans: OpenHumans;
  logger: Logger;
  /** OAuth2 sign-in; null when the client id/secret are not configured. */
  oauth: OAuthServices | null;
  /** Accepted deauthorization webhook events (memory, or Redis with REDIS_URL). */
  deauthorizationEvents: DeauthorizationEventStore;
  /** Upload settings, idempotency store and handle signer (process-wide). */
  uploads: UploadServices;
}

/**
 * Per-request context: what resolvers may use, and nothing else. No HTTP client, cache, config
 * or token is reachable from here: the token lives inside `directSharing`, reads go through
 * `loaders`, and the few settings resolvers need travel inside the loaders and services.
 */
export interface Context {
  /** Request id (x-request-id, accepted or generated); appears in every log line. */
  requestId: string;
  /** Logger bound to this request (the request id is added to every line anyway). */
  logger: Logger;
  /** Aborted when the client goes away; upstream calls of this request listen on it. */
  signal: AbortSignal;
  /**
   * The viewer: the direct-sharing client bound to this request's token (or to none). Member
   * reads, project-access checks and writes all go through its one token check.
   */
  directSharing: DirectSharingApi;
  /** The request's loaders: the only way the schema reads (`src/loaders/loaders.ts`). */
  loaders: Loaders;
  /** OAuth2 sign-in; null when not configured. */
  oauth: OAuthServices | null;
  /** Upload settings, idempotency store and handle signer (process-wide). */
  uploads: UploadServices;
  /** Deauthorization events (kept and live) and who may read them. */
  events: DeauthorizationEvents;
}

/**
 * Builds the context of one request. `sessionToken`: the access token of a session cookie
 * (session mode), used when no Authorization header was sent.
 */
export function createContext(
  request: Request,
  requestId: string,
  deps: SharedDeps,
  sessionToken: string | null = null,
): Context {
  const bearer = parseBearer(request.headers.get('authorization'));
  // The bearer token, else the session's; an unusable header stays marked (TOKEN_INVALID).
  const { publicApi, directSharing } = deps.openHumans.forRequest({
    token: bearer.token ?? sessionToken,
    tokenMalformed: bearer.malformed,
    signal: request.signal,
  });
  const { pagination } = deps.config;
  return {
    requestId,
    logger: deps.logger.child({ requestId }),
    signal: request.signal,
    directSharing,
    loaders: createLoaders({ publicApi, directSharing, pageSizes: pagination }),
    oauth: deps.oauth,
    uploads: deps.uploads,
    events: {
      store: deps.deauthorizationEvents,
      projectId: deps.config.openHumans.projectId,
      recheckMs: deps.config.deauthorization.subscriptionRecheckMs,
    },
  };
}
