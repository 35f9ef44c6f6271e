import type { Plugin } from 'graphql-yoga';
import { ErrorCode, ErrorReason, GatewayError } from '../errors.js';
import type { IsTrustedHop } from '../http/trusted-proxy.js';
import { clientFacingOrigin } from '../http/trusted-proxy.js';
import type { Logger } from '../logger.js';
import { checkCsrf } from './csrf.js';
import { redeemState } from './pkce.js';
import { safeReturnTo } from './return-to.js';
import type { OAuthServices } from './services.js';
import {
  type CookieSealer,
  clearCookie,
  createCookieSealer,
  hashOf,
  readCookies,
  setCookie,
} from './session-cookie.js';
import type { SessionLifetimes, SessionRecord } from './session-records.js';
import { SessionRecords } from './session-records.js';

export const SESSION_PATHS = {
  login: '/auth/openhumans/login',
  callback: '/auth/openhumans/callback',
  logout: '/auth/openhumans/logout',
} as const;

/**
 * Cookie names. With Secure cookies (always in production) the session cookie is `__Host-`:
 * the browser only accepts it from this very host over https, with Path=/ and no Domain, so a
 * sibling subdomain cannot plant ("toss") one. The plain names serve local http:// demos only.
 */
export function sessionCookieNames(secure: boolean): { session: string; signIn: string } {
  return secure
    ? { session: '__Host-ohgql_session', signIn: '__Secure-ohgql_signin' }
    : { session: 'ohgql_session', signIn: 'ohgql_signin' };
}

const LOGIN_MAX_AGE_S = 1800;
/** Refresh this long before the access token expires, so a request never carries a dying token. */
const REFRESH_MARGIN_MS = 60_000;

interface LoginData {
  /** hash of the state this browser started with; where to go afterwards */
  s: string;
  t: string;
}

export interface SessionSettings {
  /**
   * The gateway's callback URL as registered with Open Humans; null (development only) = this
   * request's origin + callback path.
   */
  redirectUri: string | null;
  /** Secure cookies (and the `__Host-` name); false only for http://localhost demos. */
  secure: boolean;
  lifetimes: SessionLifetimes;
  /** Origins besides the gateway's own whose requests may use the cookie (CORS_ORIGINS). */
  corsOrigins: readonly string[];
  /** Which direct peers may set X-Forwarded-Proto/-Host (TRUST_PROXY). */
  isTrustedHop: IsTrustedHop;
  /** GraphQL endpoints whose requests may act with the cookie. */
  graphqlPaths: readonly string[];
  now?: () => number;
}

type TextResponse = (status: number, body: string, headers?: Record<string, string>) => Response;

/**
 * Session mode for browser apps: after sign-in the member's tokens stay on the server, in a
 * session record (memory, or Redis with REDIS_URL); the browser holds only a random session id
 * in an httpOnly, SameSite=Lax cookie. Sign-out deletes the record, so the cookie stops working
 * at once on every instance. Sessions end after an idle and an absolute lifetime. Requests that
 * act with the cookie must pass the CSRF rule (`csrf.ts`). The access token is refreshed when
 * about to expire, once per session at a time; the rotated pair is written to the record, which
 * is the only place it goes.
 */
export class SessionManager {
  readonly #oauth: OAuthServices;
  readonly #records: SessionRecords;
  readonly #logins: CookieSealer;
  readonly #settings: SessionSettings;
  readonly #names: { session: string; signIn: string };
  readonly #logger: Logger;
  readonly #outgoing = new WeakMap<Request, string[]>();
  readonly #refreshing = new Map<string, Promise<SessionRecord | null>>();

  constructor(
    oauth: OAuthServices,
    clientSecret: string,
    settings: SessionSettings,
    logger: Logger,
  ) {
    this.#oauth = oauth;
    this.#records = new SessionRecords(
      oauth.store,
      createCookieSealer(clientSecret, 'session-record'),
      settings.lifetimes,
      settings.now,
    );
    this.#logins = createCookieSealer(clientSecret, 'sign-in');
    this.#settings = settings;
    this.#names = sessionCookieNames(settings.secure);
    this.#logger = logger.child({ component: 'sessions' });
  }

  get cookieName(): string {
    return this.#names.session;
  }

  /**
   * Whether the request would act with the session cookie (it has one and no Authorization header).
   */
  usesSession(request: Request): boolean {
    return (
      !request.headers.has('authorization') &&
      readCookies(request.headers.get('cookie'), this.#names.session).length > 0
    );
  }

  /** The access token of the request's live session, or null. Call after the plugin's checks. */
  async tokenFor(request: Request): Promise<string | null> {
    if (!this.usesSession(request)) return null;
    const [id = ''] = readCookies(request.headers.get('cookie'), this.#names.session);
    let record = await this.#records.read(id);
    if (record && record.e - this.#now() <= REFRESH_MARGIN_MS)
      record = await this.#refreshOnce(id, record);
    if (!record) {
      this.#queue(request, clearCookie(this.#names.session, '/', this.#settings.secure));
      return null;
    }
    return record.a;
  }

  /**
   * Serves sign-in, callback and sign-out; applies the CSRF rule; adds queued cookies to responses.
   */
  plugin(): Plugin {
    const graphqlPaths = new Set(this.#settings.graphqlPaths);
    return {
      onRequest: async ({ request, url, serverContext, endResponse, fetchAPI }) => {
        if (graphqlPaths.has(url.pathname)) {
          const refusal = this.#refusal(request, url, serverContext);
          if (refusal) endResponse(errorResponse(fetchAPI.Response, refusal));
          return;
        }
        const route = Object.entries(SESSION_PATHS).find(([, path]) => path === url.pathname)?.[0];
        if (!route) return;
        try {
          endResponse(await this.#route(route, request, url, serverContext, fetchAPI.Response));
        } catch (err) {
          const status =
            err instanceof GatewayError && err.code === ErrorCode.UPSTREAM_UNAVAILABLE ? 503 : 500;
          endResponse(
            new fetchAPI.Response('Sign-in failed; try again.', {
              status,
              headers: { 'cache-control': 'no-store' },
            }),
          );
        }
      },
      onResponse: ({ request, response }) => {
        for (const cookie of this.#outgoing.get(request) ?? [])
          response.headers.append('set-cookie', cookie);
      },
    };
  }

  /** Why a GraphQL request carrying the session cookie may not run, or null. */
  #refusal(
    request: Request,
    url: URL,
    serverContext: unknown,
  ): { status: number; error: GatewayError } | null {
    if (!this.usesSession(request) || isPageLoad(request, url)) return null;
    if (readCookies(request.headers.get('cookie'), this.#names.session).length > 1) {
      // Two same-named cookies: one may have been planted by a neighbour; use neither.
      const message = 'The request carries two session cookies; sign out and in again.';
      return {
        status: 400,
        error: new GatewayError(ErrorCode.UNAUTHENTICATED, message, {
          reason: ErrorReason.TOKEN_INVALID,
        }),
      };
    }
    const verdict = checkCsrf(request, this.#allowedOrigins(request, serverContext));
    if (verdict.ok) return null;
    return {
      status: 403,
      error: new GatewayError(ErrorCode.FORBIDDEN, verdict.message, {
        reason: ErrorReason.CSRF_REJECTED,
      }),
    };
  }

  async #route(
    route: string,
    request: Request,
    url: URL,
    serverContext: unknown,
    R: typeof Response,
  ): Promise<Response> {
    const text: TextResponse = (status, body, headers = {}) =>
      new R(body, {
        status,
        headers: {
          'content-type': 'text/plain; charset=utf-8',
          'cache-control': 'no-store',
          ...headers,
        },
      });
    if (route === 'logout') return this.#logout(request, serverContext, text);
    if (request.method !== 'GET') return text(405, 'Use GET.', { allow: 'GET' });
    const origin = this.#origin(request, serverContext);
    const redirectUri = this.#settings.redirectUri ?? `${origin}${SESSION_PATHS.callback}`;
    if (route === 'callback') return this.#callback(request, url, redirectUri, text, R);
    const { state } = this.#oauth.state.issue(redirectUri);
    const authorize = new URL(this.#oauth.authorizeUrl);
    authorize.search = new URLSearchParams({
      client_id: this.#oauth.clientId,
      response_type: 'code',
      redirect_uri: redirectUri,
      state,
    }).toString();
    const login: LoginData = {
      s: hashOf(state),
      t: safeReturnTo(url.searchParams.get('returnTo'), origin),
    };
    const cookie = setCookie(this.#names.signIn, this.#logins.seal(login), {
      // The callback path as the browser sees it (a proxy may mount the gateway under a prefix).
      path: new URL(redirectUri).pathname,
      maxAgeSeconds: LOGIN_MAX_AGE_S,
      secure: this.#settings.secure,
    });
    return text(302, '', { location: authorize.href, 'set-cookie': cookie });
  }

  /**
   * POST only, and under the CSRF rule: no other site can sign a member out (or in as someone
   * else).
   */
  async #logout(request: Request, serverContext: unknown, text: TextResponse): Promise<Response> {
    if (request.method !== 'POST') return text(405, 'Use POST.', { allow: 'POST' });
    const ids = readCookies(request.headers.get('cookie'), this.#names.session);
    if (ids.length > 0) {
      const verdict = checkCsrf(request, this.#allowedOrigins(request, serverContext));
      if (!verdict.ok) return text(403, verdict.message);
      await Promise.all(ids.map((id) => this.#records.end(id)));
    }
    return text(204, '', {
      'set-cookie': clearCookie(this.#names.session, '/', this.#settings.secure),
    });
  }

  async #callback(
    request: Request,
    url: URL,
    redirectUri: string,
    text: TextResponse,
    R: typeof Response,
  ): Promise<Response> {
    const secure = this.#settings.secure;
    const [sealed] = readCookies(request.headers.get('cookie'), this.#names.signIn);
    const login = asLogin(this.#logins.open(sealed));
    const state = url.searchParams.get('state') ?? '';
    // The state must be the one THIS browser started with (no signing someone else in).
    if (!login || login.s !== hashOf(state))
      return text(400, 'This sign-in was not started in this browser; start again.');
    const headers = new Headers({ 'cache-control': 'no-store' });
    headers.append(
      'set-cookie',
      clearCookie(this.#names.signIn, new URL(redirectUri).pathname, secure),
    );
    if (url.searchParams.get('error')) {
      headers.set('location', login.t);
      return new R(null, { status: 302, headers });
    }
    try {
      // Single use: a replayed callback URL is refused before any call to Open Humans.
      await redeemState({
        signer: this.#oauth.state,
        store: this.#oauth.store,
        state,
        redirectUri,
        codeVerifier: null,
        now: this.#settings.now,
      });
      const tokens = await this.#oauth.tokens.exchangeCode(
        url.searchParams.get('code') ?? '',
        redirectUri,
      );
      // A previous session of this browser ends: one browser, one live session.
      for (const old of readCookies(request.headers.get('cookie'), this.#names.session))
        await this.#records.end(old);
      const id = await this.#records.create({
        a: tokens.accessToken,
        r: tokens.refreshToken,
        e: tokens.expiresAt.getTime(),
      });
      headers.append(
        'set-cookie',
        setCookie(this.#names.session, id, {
          path: '/',
          maxAgeSeconds: this.#records.cookieMaxAgeSeconds,
          secure,
        }),
      );
    } catch (err) {
      if (err instanceof GatewayError && err.code === ErrorCode.UPSTREAM_UNAVAILABLE) throw err;
      const message =
        err instanceof GatewayError ? err.message : 'Open Humans could not complete the sign-in.';
      return text(400, `Sign-in failed: ${message}`, {
        'set-cookie': headers.get('set-cookie') ?? '',
      });
    }
    headers.set('location', login.t);
    return new R(null, { status: 302, headers });
  }

  /**
   * One refresh per session at a time in this process; another instance's refresh is picked up from
   * the record.
   */
  #refreshOnce(id: string, record: SessionRecord): Promise<SessionRecord | null> {
    const pending = this.#refreshing.get(id);
    if (pending) return pending;
    const started = this.#refresh(id, record).finally(() => this.#refreshing.delete(id));
    this.#refreshing.set(id, started);
    return started;
  }

  async #refresh(id: string, held: SessionRecord): Promise<SessionRecord | null> {
    // A refresh that finished a moment ago (here or on another instance) is in the record already.
    const record = await this.#records.read(id);
    if (!record) return null;
    if (record.r !== held.r && record.e - this.#now() > REFRESH_MARGIN_MS) return record;
    try {
      // No grace: the rotated pair goes to this session's record and nowhere else.
      const tokens = await this.#oauth.tokens.refresh(record.r, { grace: false });
      const next: SessionRecord = {
        ...record,
        a: tokens.accessToken,
        r: tokens.refreshToken,
        e: tokens.expiresAt.getTime(),
      };
      await this.#records.write(id, next);
      return next;
    } catch (err) {
      if (
        err instanceof GatewayError &&
        err.extensions.reason === ErrorReason.REFRESH_TOKEN_INVALID
      ) {
        // Another instance may have rotated it a moment ago: its record holds the new pair.
        const current = await this.#records.read(id);
        if (current && current.r !== record.r) return current;
        // The member left or revoked access: end the session instead of failing every request.
        await this.#records.end(id);
        return null;
      }
      this.#logger.warn('session refresh failed; using the current access token', {
        code: err instanceof GatewayError ? err.code : 'error',
      });
      return record;
    }
  }

  #origin(request: Request, serverContext: unknown): string {
    const configured = this.#settings.redirectUri;
    return configured
      ? new URL(configured).origin
      : clientFacingOrigin(request, serverContext, this.#settings.isTrustedHop);
  }

  #allowedOrigins(request: Request, serverContext: unknown): Set<string> {
    return new Set([this.#origin(request, serverContext), ...this.#settings.corsOrigins]);
  }

  #queue(request: Request, cookie: string): void {
    this.#outgoing.set(request, [...(this.#outgoing.get(request) ?? []), cookie]);
  }

  #now(): number {
    return (this.#settings.now ?? Date.now)();
  }
}

/** Operation parameters of a GET request: with none of them, nothing can run. */
const OPERATION_PARAMS = ['query', 'extensions', 'documentId', 'operationName', 'variables'];

/**
 * A browser opening the GraphiQL page (a top-level navigation sends no Origin): it runs no
 * operation, so it needs no CSRF check. The page's own requests are JSON POSTs and are checked.
 */
function isPageLoad(request: Request, url: URL): boolean {
  return (
    request.method === 'GET' &&
    (request.headers.get('accept') ?? '').includes('text/html') &&
    !OPERATION_PARAMS.some((name) => url.searchParams.has(name))
  );
}

function errorResponse(
  R: typeof Response,
  refusal: { status: number; error: GatewayError },
): Response {
  const body = {
    errors: [{ message: refusal.error.message, extensions: refusal.error.extensions }],
  };
  return new R(JSON.stringify(body), {
    status: refusal.status,
    headers: { 'content-type': 'application/json; charset=utf-8', 'cache-control': 'no-store' },
  });
}

function asLogin(value: unknown): LoginData | null {
  if (typeof value !== 'object' || value === null) return null;
  const v = value as Partial<LoginData>;
  return typeof v.s === 'string' && typeof v.t === 'string' ? { s: v.s, t: v.t } : null;
}
