import type { Config } from '../config/index.js';
import type { OpenHumansHttp } from '../datasources/open-humans-http.js';
import type { Logger } from '../logger.js';
import { redisKey } from '../redis/keys.js';
import type { SharedRedis } from '../redis/shared-redis.js';
import { createOAuthStore, type OAuthStore } from './oauth-store.js';
import { createStateSigner, type StateSigner } from './state.js';
import { OAuthTokenApi } from './token-api.js';

/**
 * The documented authorize page (Open Humans' direct-sharing OAuth2 page), below
 * `OPENHUMANS_BASE_URL`.
 */
export const AUTHORIZE_PATH = '/direct-sharing/projects/oauth2/authorize/';

/** OAuth2 sign-in for one configured client; process-wide, built once. */
export interface OAuthServices {
  /** The public client id (it appears in authorize URLs; the secret never leaves the server). */
  clientId: string;
  /** Absolute authorize page URL without parameters. */
  authorizeUrl: string;
  state: StateSigner;
  tokens: OAuthTokenApi;
  /** Used states and session records: memory, or Redis with REDIS_URL (every instance). */
  store: OAuthStore;
}

/** Null when OPENHUMANS_CLIENT_ID / OPENHUMANS_CLIENT_SECRET are not set (sign-in disabled). */
export function createOAuthServices(
  config: Config,
  http: OpenHumansHttp,
  logger: Logger,
  redis: SharedRedis | null,
  now?: () => number,
): OAuthServices | null {
  const { clientId, clientSecret, baseUrl } = config.openHumans;
  if (!clientId || !clientSecret) return null;
  return {
    clientId,
    authorizeUrl: `${baseUrl}${AUTHORIZE_PATH}`,
    state: createStateSigner(clientSecret, { ttlSeconds: config.oauth.stateTtlSeconds, now }),
    tokens: new OAuthTokenApi({
      http,
      client: { clientId, clientSecret },
      logger,
      refreshGraceMs: config.oauth.refreshGraceMs,
      now,
    }),
    store: createOAuthStore(redis, redisKey(config, '')),
  };
}
