// Project-endpoint authentication (docs/upstream.md §1.2): the query `access_token` overrides the
// Authorization header; CustomOAuth2Authentication (user tokens) runs before
// MasterTokenAuthentication (project master tokens); exact DRF 401 bodies and WWW-Authenticate.
import type { AccessToken, Membership, Project, User } from './data/types.js';
import { type RouteContext, sendJson } from './http.js';

export type AuthOk =
  | { ok: true; kind: 'master'; project: Project; token: string; via: 'query' | 'header' }
  | {
      ok: true;
      kind: 'oauth2';
      project: Project;
      user: User;
      membership: Membership | undefined;
      accessToken: AccessToken;
      token: string;
      via: 'query' | 'header';
    };
export type AuthFail = { ok: false; status: 401; detail: string; wwwAuthenticate: string };
export type AuthResult = AuthOk | AuthFail;

export interface AuthOptions {
  /** Accept OAuth2 user tokens (every project endpoint except the members list). */
  oauth2: boolean;
  /** Accept master tokens. */
  master: boolean;
}

const REALM = 'Bearer realm="api"';
const DOT_INVALID = `${REALM},error="invalid_token",error_description="The access token is invalid."`;

/** The effective Authorization value after QueryStringAccessTokenToBearerMiddleware. */
export function effectiveAuthorization(ctx: RouteContext): {
  value: string | undefined;
  via: 'query' | 'header';
} {
  const q = ctx.url.searchParams.getAll('access_token');
  if (q.length > 0) return { value: `Bearer ${q[q.length - 1] ?? ''}`, via: 'query' };
  const h = ctx.req.headers.authorization;
  return { value: h, via: 'header' };
}

export function authenticate(ctx: RouteContext, opts: AuthOptions): AuthResult {
  const { store } = ctx.state;
  const now = ctx.state.now();
  const { value, via } = effectiveAuthorization(ctx);
  // Python bytes.split(): whitespace runs, stripped ends.
  const parts = (value ?? '')
    .trim()
    .split(/\s+/)
    .filter((p) => p.length > 0);
  const bearer = parts.length > 0 && (parts[0] ?? '').toLowerCase() === 'bearer';
  const fail = (detail: string, www: string): AuthFail => ({
    ok: false,
    status: 401,
    detail,
    wwwAuthenticate: www,
  });
  const challenge = opts.oauth2 ? REALM : REALM;
  let dotTried = false;

  if (opts.oauth2 && bearer && parts.length >= 2) {
    const token = parts[1] as string;
    const at = store.accessToken(token);
    if (at && at.expires <= now) return fail('Expired token.', REALM);
    if (at && parts.length === 2) {
      const project = store.project(at.projectId);
      const user = store.user(at.userId);
      if (project && user) {
        return {
          ok: true,
          kind: 'oauth2',
          project,
          user,
          membership: store.membership(project.id, user.id),
          accessToken: at,
          token,
          via,
        };
      }
    }
    dotTried = true;
  }
  const www = opts.oauth2 && dotTried ? DOT_INVALID : challenge;
  if (opts.master && bearer) {
    if (parts.length === 1) return fail('Invalid token header. No credentials provided.', www);
    if (parts.length > 2)
      return fail('Invalid token header. Token string should not contain spaces.', www);
    const token = parts[1] as string;
    const project = store.projectByMasterToken(token);
    if (!project) return fail('Invalid token.', www);
    if (!project.tokenExpirationDisabled && project.masterTokenExpires <= now)
      return fail('Expired token.', www);
    return { ok: true, kind: 'master', project, token, via };
  }
  return fail('Authentication credentials were not provided.', www);
}

export function sendAuthFailure(
  ctx: RouteContext,
  fail: AuthFail,
  allow = 'GET, HEAD, OPTIONS',
): void {
  sendJson(
    ctx,
    fail.status,
    { detail: fail.detail },
    { 'WWW-Authenticate': fail.wwwAuthenticate },
    allow,
  );
}

/** Authenticates or answers the 401 itself; returns null when it answered. */
export function requireAuth(ctx: RouteContext, opts: AuthOptions, allow?: string): AuthOk | null {
  const result = authenticate(ctx, opts);
  if (result.ok) return result;
  sendAuthFailure(ctx, result, allow);
  return null;
}
