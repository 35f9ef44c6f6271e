import { LRUCache } from 'lru-cache';
import { tokenKey } from '../auth/token.js';
import type { OpenHumansHttp } from '../datasources/open-humans-http.js';
import { isUpstreamError, toGatewayError } from '../datasources/open-humans-http.js';
import { badUserInput, ErrorCode, ErrorReason, GatewayError } from '../errors.js';
import type { Logger } from '../logger.js';

/**
 * What `/oauth2/token/` hands out (Open Humans' OAuth2 token endpoint), with the expiry made
 * absolute.
 */
export interface OAuthTokenSet {
  accessToken: string;
  refreshToken: string;
  expiresAt: Date;
  scope: string[];
  tokenType: string;
}

export interface OAuthClientCredentials {
  clientId: string;
  clientSecret: string;
}

export interface OAuthTokenApiOptions {
  http: Pick<OpenHumansHttp, 'request'>;
  client: OAuthClientCredentials;
  logger: Logger;
  /**
   * After a refresh, the same old refresh token gets the same answer for this long instead of
   * `invalid_grant` (two tabs refreshing a moment apart). Anyone replaying the old token in that
   * window gets the new pair, so it is off unless configured. Session mode never uses it (its
   * server-side record is the grace). @default 0
   */
  refreshGraceMs?: number;
  now?: () => number;
}

const TOKEN_PATH = '/oauth2/token/';
const ROUTE = 'OAUTH_TOKEN';
const MAX_SECRET_INPUT = 512;

/**
 * The OAuth2 token endpoint, used with the gateway's confidential client (HTTP Basic). One
 * instance per process: it holds the single-flight map for refreshes, keyed by a hash of the
 * refresh token (never the token itself), so only a caller holding that very token shares it.
 */
export class OAuthTokenApi {
  readonly #http: Pick<OpenHumansHttp, 'request'>;
  readonly #basic: string;
  readonly #logger: Logger;
  readonly #now: () => number;
  readonly #inflight = new Map<string, Promise<OAuthTokenSet>>();
  readonly #recent: LRUCache<string, OAuthTokenSet> | null;

  constructor(options: OAuthTokenApiOptions) {
    this.#http = options.http;
    // RFC 6749 §2.3.1: form-encode both parts before Base64 (DOT unquotes them).
    const { clientId, clientSecret } = options.client;
    this.#basic = Buffer.from(
      `${encodeURIComponent(clientId)}:${encodeURIComponent(clientSecret)}`,
    ).toString('base64');
    this.#logger = options.logger.child({ component: 'oauth' });
    this.#now = options.now ?? Date.now;
    const grace = options.refreshGraceMs ?? 0;
    this.#recent = grace > 0 ? new LRUCache({ max: 10_000, ttl: grace }) : null;
  }

  /**
   * `grant_type=authorization_code`. The caller has checked the `state` already. A callback
   * submitted twice at once (a reload) shares one call: codes are single use.
   */
  exchangeCode(code: string, redirectUri: string): Promise<OAuthTokenSet> {
    checkOpaque(code, 'code');
    return this.#singleFlight(`code ${tokenKey(`${code} ${redirectUri}`)}`, () =>
      this.#post({ grant_type: 'authorization_code', code, redirect_uri: redirectUri }, 'code'),
    );
  }

  /**
   * `grant_type=refresh_token`. Refresh tokens rotate: the answer holds a new refresh token, and
   * the old access and refresh tokens stop working. Concurrent calls with one refresh token share
   * one upstream call, since a second call would only get `invalid_grant`.
   */
  refresh(refreshToken: string, options: { grace?: boolean } = {}): Promise<OAuthTokenSet> {
    checkOpaque(refreshToken, 'refreshToken');
    const key = tokenKey(refreshToken);
    const recent = options.grace === false ? undefined : this.#recent?.get(key);
    if (recent) return Promise.resolve(recent);
    return this.#singleFlight(`refresh ${key}`, () =>
      this.#post({ grant_type: 'refresh_token', refresh_token: refreshToken }, 'refresh').then(
        (tokens) => {
          this.#recent?.set(key, tokens);
          return tokens;
        },
      ),
    );
  }

  /** One upstream call per key at a time; later callers share its outcome. */
  #singleFlight(key: string, call: () => Promise<OAuthTokenSet>): Promise<OAuthTokenSet> {
    const pending = this.#inflight.get(key);
    if (pending) return pending;
    const started = call().finally(() => this.#inflight.delete(key));
    this.#inflight.set(key, started);
    return started;
  }

  async #post(form: Record<string, string>, grant: 'code' | 'refresh'): Promise<OAuthTokenSet> {
    let wire: unknown;
    try {
      wire = await this.#http.request<unknown>({
        route: ROUTE,
        method: 'POST',
        path: TOKEN_PATH,
        body: { form },
        headers: { authorization: `Basic ${this.#basic}` },
      });
    } catch (err) {
      throw this.#mapError(err, grant);
    }
    const tokens = toTokenSet(wire, this.#now());
    if (!tokens)
      throw new GatewayError(
        ErrorCode.UPSTREAM_ERROR,
        'Open Humans sent a token response the gateway could not read.',
      );
    // No refresh_token in the answer means no rotation: the old one stays valid.
    if (!tokens.refreshToken && grant === 'refresh') tokens.refreshToken = form.refresh_token ?? '';
    return tokens;
  }

  #mapError(err: unknown, grant: 'code' | 'refresh'): unknown {
    const oauthError =
      isUpstreamError(err) && err.kind === 'status' ? oauthErrorCode(err.body) : undefined;
    switch (oauthError) {
      case 'invalid_grant':
        return grant === 'refresh'
          ? new GatewayError(
              ErrorCode.UNAUTHENTICATED,
              'The refresh token is invalid, expired or already used (refresh tokens rotate: keep the newest one), ' +
                'or the member left the project. Sign the member in again.',
              { reason: ErrorReason.REFRESH_TOKEN_INVALID },
            )
          : badUserInput(
              'The authorization code is invalid, expired or already used, or `redirectUri` differs from the one used to sign in.',
              { argument: 'code' },
            );
      case 'invalid_request':
        return badUserInput(
          'Open Humans refused the request: check `redirectUri` (it must be the registered one).',
        );
      case 'invalid_client':
      case 'unauthorized_client':
        this.#logger.error(
          'Open Humans refused the OAuth2 client credentials: check OPENHUMANS_CLIENT_ID and OPENHUMANS_CLIENT_SECRET',
          { oauthError },
        );
        return clientMisconfigured();
      default:
        return toGatewayError(err);
    }
  }
}

/**
 * The gateway's own client credentials were refused: nothing the caller can fix. The message
 * names the settings, never their values.
 */
export function clientMisconfigured(): GatewayError {
  return new GatewayError(
    ErrorCode.UPSTREAM_ERROR,
    'Open Humans refused this gateway’s OAuth2 client: its operator must check OPENHUMANS_CLIENT_ID and OPENHUMANS_CLIENT_SECRET.',
    { extensions: { settings: ['OPENHUMANS_CLIENT_ID', 'OPENHUMANS_CLIENT_SECRET'] } },
  );
}

function oauthErrorCode(body: unknown): string | undefined {
  if (typeof body !== 'object' || body === null) return undefined;
  const code = (body as { error?: unknown }).error;
  return typeof code === 'string' ? code : undefined;
}

function toTokenSet(wire: unknown, nowMs: number): OAuthTokenSet | null {
  if (typeof wire !== 'object' || wire === null) return null;
  const w = wire as Record<string, unknown>;
  if (typeof w.access_token !== 'string' || w.access_token === '') return null;
  const expiresIn = typeof w.expires_in === 'number' && w.expires_in > 0 ? w.expires_in : null;
  if (expiresIn === null) return null;
  return {
    accessToken: w.access_token,
    refreshToken: typeof w.refresh_token === 'string' ? w.refresh_token : '',
    expiresAt: new Date(nowMs + expiresIn * 1000),
    scope: typeof w.scope === 'string' ? w.scope.split(/\s+/).filter(Boolean) : [],
    tokenType: typeof w.token_type === 'string' ? w.token_type : 'Bearer',
  };
}

/** Codes and tokens are opaque, but bounded and free of whitespace (no header/form tricks). */
function checkOpaque(value: string, argument: string): void {
  if (value === '' || value.length > MAX_SECRET_INPUT || /\s/.test(value)) {
    throw badUserInput(`\`${argument}\` must be a non-empty value without spaces.`, { argument });
  }
}
