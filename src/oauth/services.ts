import type { Config } from '../config.js';
import type { OpenHumansHttp } from '../datasources/http.js';
import type { Logger } from '../logger.js';
import { createStateSigner, type StateSigner } from './state.js';
import { OAuthTokenApi } from './token-api.js';

/** The documented authorize page (openhumans-api.md §2.5), below `OPENHUMANS_BASE_URL`. */
export const AUTHORIZE_PATH = '/direct-sharing/projects/oauth2/authorize/';

/** OAuth2 sign-in for one configured client; process-wide, built once. */
export interface OAuthServices {
  /** The public client id (it appears in authorize URLs; the secret never leaves the server). */
  clientId: string;
  /** Absolute authorize page URL without parameters. */
  authorizeUrl: string;
  state: StateSigner;
  tokens: OAuthTokenApi;
}

/** Null when OPENHUMANS_CLIENT_ID / OPENHUMANS_CLIENT_SECRET are not set (sign-in disabled). */
export function createOAuthServices(config: Config, http: OpenHumansHttp, logger: Logger): OAuthServices | null {
  const { clientId, clientSecret, baseUrl } = config.openHumans;
  if (!clientId || !clientSecret) return null;
  return {
    clientId,
    authorizeUrl: `${baseUrl}${AUTHORIZE_PATH}`,
    state: createStateSigner(clientSecret, { ttlSeconds: config.oauth.stateTtlSeconds }),
    tokens: new OAuthTokenApi({ http, client: { clientId, clientSecret }, logger, refreshGraceMs: config.oauth.refreshGraceMs }),
  };
}
