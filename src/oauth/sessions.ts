import type { Plugin } from 'graphql-yoga';
import { ErrorReason, GatewayError } from '../errors.js';
import type { Logger } from '../logger.js';
import type { OAuthServices } from './services.js';
import { clearCookie, createCookieSealer, hashOf, readCookie, setCookie, type CookieSealer } from './session-cookie.js';

export const SESSION_COOKIE = 'ohgql_session';
const LOGIN_COOKIE = 'ohgql_signin';
export const SESSION_PATHS = {
  login: '/auth/openhumans/login',
  callback: '/auth/openhumans/callback',
  logout: '/auth/openhumans/logout',
} as const;
const SESSION_MAX_AGE_S = 30 * 24 * 3600;
const LOGIN_MAX_AGE_S = 1800;
/** Refresh this long before the access token expires, so a request never carries a dying token. */
const REFRESH_MARGIN_MS = 60_000;

interface SessionData {
  /** access token, refresh token, access expiry (epoch ms) */
  a: string;
  r: string;
  e: number;
}

interface LoginData {
  /** hash of the state this browser started with; where to go afterwards */
  s: string;
  t: string;
}

export interface SessionSettings {
  /** The gateway's callback URL as registered with Open Humans; null = this request's origin + callback path. */
  redirectUri: string | null;
  /** Secure cookies: 'auto' = when the request came over https (or X-Forwarded-Proto says so). */
  secure: 'auto' | boolean;
}

/**
 * Session mode for browser apps: after sign-in the member's tokens stay on the server side of
 * the wire, sealed in an httpOnly, SameSite=Lax cookie; the browser never holds a readable
 * token. GraphQL requests that carry the cookie (and no Authorization header) act as that
 * member; the access token is refreshed when about to expire (single flight per refresh token,
 * see OAuthTokenApi) and the new cookie is sent with the response.
 */
export class SessionManager {
  readonly #oauth: OAuthServices;
  readonly #sessions: CookieSealer;
  readonly #logins: CookieSealer;
  readonly #settings: SessionSettings;
  readonly #logger: Logger;
  readonly #outgoing = new WeakMap<Request, string[]>();

  constructor(oauth: OAuthServices, clientSecret: string, settings: SessionSettings, logger: Logger) {
    this.#oauth = oauth;
    this.#sessions = createCookieSealer(clientSecret, 'session');
    this.#logins = createCookieSealer(clientSecret, 'sign-in');
    this.#settings = settings;
    this.#logger = logger.child({ component: 'sessions' });
  }

  /**
   * The access token of the request's session, or null. Ignored when the request has its own
   * Authorization header, or when a browser says it comes from another site (no cross-site
   * request may act with the member's cookie).
   */
  async tokenFor(request: Request): Promise<string | null> {
    if (request.headers.has('authorization')) return null;
    if (request.headers.get('sec-fetch-site') === 'cross-site') return null;
    const session = this.#open(request);
    if (!session) return null;
    if (session.e - Date.now() > REFRESH_MARGIN_MS) return session.a;
    try {
      const tokens = await this.#oauth.tokens.refresh(session.r);
      const next: SessionData = { a: tokens.accessToken, r: tokens.refreshToken, e: tokens.expiresAt.getTime() };
      this.#queue(request, this.#sessionCookie(request, next));
      return next.a;
    } catch (err) {
      if (err instanceof GatewayError && err.extensions.reason === ErrorReason.REFRESH_TOKEN_INVALID) {
        // The member left or the session was replaced: sign out instead of failing every request.
        this.#queue(request, clearCookie(SESSION_COOKIE, '/', this.#secure(request)));
        return null;
      }
      this.#logger.warn('session refresh failed; using the current access token', { code: err instanceof GatewayError ? err.code : 'error' });
      return session.a;
    }
  }

  /** Serves sign-in, callback and sign-out, and adds queued cookies to GraphQL responses. */
  plugin(): Plugin {
    return {
      onRequest: async ({ request, url, endResponse, fetchAPI }) => {
        const route = Object.entries(SESSION_PATHS).find(([, path]) => path === url.pathname)?.[0];
        if (!route) return;
        try {
          endResponse(await this.#route(route, request, url, fetchAPI.Response));
        } catch {
          endResponse(new fetchAPI.Response('Sign-in failed.', { status: 500 }));
        }
      },
      onResponse: ({ request, response }) => {
        for (const cookie of this.#outgoing.get(request) ?? []) response.headers.append('set-cookie', cookie);
      },
    };
  }

  async #route(route: string, request: Request, url: URL, R: typeof Response): Promise<Response> {
    const text = (status: number, body: string, headers: Record<string, string> = {}): Response =>
      new R(body, { status, headers: { 'content-type': 'text/plain; charset=utf-8', 'cache-control': 'no-store', ...headers } });
    if (route === 'logout') {
      if (request.method !== 'POST') return text(405, 'Use POST.', { allow: 'POST' });
      return text(204, '', { 'set-cookie': clearCookie(SESSION_COOKIE, '/', this.#secure(request)) });
    }
    if (request.method !== 'GET') return text(405, 'Use GET.', { allow: 'GET' });
    const redirectUri = this.#settings.redirectUri ?? `${url.origin}${SESSION_PATHS.callback}`;
    if (route === 'login') {
      const { state } = this.#oauth.state.issue(redirectUri);
      const authorize = new URL(this.#oauth.authorizeUrl);
      authorize.search = new URLSearchParams({ client_id: this.#oauth.clientId, response_type: 'code', redirect_uri: redirectUri, state }).toString();
      const login: LoginData = { s: hashOf(state), t: safeReturnTo(url.searchParams.get('returnTo')) };
      const cookie = setCookie(LOGIN_COOKIE, this.#logins.seal(login), {
        // The callback path as the browser sees it (a proxy may mount the gateway under a prefix).
        path: new URL(redirectUri).pathname,
        maxAgeSeconds: LOGIN_MAX_AGE_S,
        secure: this.#secure(request),
      });
      return text(302, '', { location: authorize.href, 'set-cookie': cookie });
    }
    return this.#callback(request, url, redirectUri, text, R);
  }

  async #callback(
    request: Request,
    url: URL,
    redirectUri: string,
    text: (status: number, body: string, headers?: Record<string, string>) => Response,
    R: typeof Response,
  ): Promise<Response> {
    const secure = this.#secure(request);
    const login = asLogin(this.#logins.open(readCookie(request.headers.get('cookie'), LOGIN_COOKIE)));
    const state = url.searchParams.get('state') ?? '';
    // The state must be the one THIS browser started with (no signing someone else in).
    if (!login || login.s !== hashOf(state)) return text(400, 'This sign-in was not started in this browser; start again.');
    const headers = new Headers({ 'cache-control': 'no-store' });
    headers.append('set-cookie', clearCookie(LOGIN_COOKIE, new URL(redirectUri).pathname, secure));
    if (url.searchParams.get('error')) {
      headers.set('location', login.t);
      return new R(null, { status: 302, headers });
    }
    try {
      this.#oauth.state.verify(state, redirectUri);
      const tokens = await this.#oauth.tokens.exchangeCode(url.searchParams.get('code') ?? '', redirectUri);
      headers.append('set-cookie', this.#sessionCookie(request, { a: tokens.accessToken, r: tokens.refreshToken, e: tokens.expiresAt.getTime() }));
    } catch (err) {
      const message = err instanceof GatewayError ? err.message : 'Open Humans could not complete the sign-in.';
      return text(400, `Sign-in failed: ${message}`);
    }
    headers.set('location', login.t);
    return new R(null, { status: 302, headers });
  }

  #open(request: Request): SessionData | null {
    const value = this.#sessions.open(readCookie(request.headers.get('cookie'), SESSION_COOKIE));
    if (typeof value !== 'object' || value === null) return null;
    const v = value as Partial<SessionData>;
    return typeof v.a === 'string' && typeof v.r === 'string' && typeof v.e === 'number' ? { a: v.a, r: v.r, e: v.e } : null;
  }

  #sessionCookie(request: Request, session: SessionData): string {
    return setCookie(SESSION_COOKIE, this.#sessions.seal(session), { path: '/', maxAgeSeconds: SESSION_MAX_AGE_S, secure: this.#secure(request) });
  }

  #queue(request: Request, cookie: string): void {
    this.#outgoing.set(request, [...(this.#outgoing.get(request) ?? []), cookie]);
  }

  #secure(request: Request): boolean {
    if (this.#settings.secure !== 'auto') return this.#settings.secure;
    return new URL(request.url).protocol === 'https:' || request.headers.get('x-forwarded-proto') === 'https';
  }
}

/** Only a local path: never an open redirect to another site. */
function safeReturnTo(value: string | null): string {
  return value && value.startsWith('/') && !value.startsWith('//') && !value.includes('\\') ? value : '/';
}

function asLogin(value: unknown): LoginData | null {
  if (typeof value !== 'object' || value === null) return null;
  const v = value as Partial<LoginData>;
  return typeof v.s === 'string' && typeof v.t === 'string' ? { s: v.s, t: v.t } : null;
}
