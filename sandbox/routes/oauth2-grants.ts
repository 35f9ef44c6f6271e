// OAuth2 grants as django-oauth-toolkit 2.4 / oauthlib 3.2 run them for Open Humans
// (docs/upstream.md §2.5): single-use authorization codes (30 min), access tokens valid 10 h,
// rotating refresh tokens (the used refresh token and its access token die), errors as oauthlib's
// JSON — `invalid_grant` is 400 today (401 in the 2018 cassettes).
import { randomInt } from 'node:crypto';
import { ACCESS_TOKEN_TTL_MS, OAUTH_SCOPE } from '../data/generate.js';
import type { Membership, Project } from '../data/types.js';
import type { SandboxState } from '../state.js';
import { pyJsonDumps } from '../uploads/py.js';
import { part2 } from './direct-sharing-state.js';

export const AUTHORIZATION_CODE_TTL_MS = 1_800_000;

/** A token endpoint answer: status, JSON text and headers. */
export interface TokenResponse {
  status: number;
  body: string;
  headers: Record<string, string>;
}

const TOKEN_CHARS = 'abcdefghijklmnopqrstuvwxyzABCDEFGHIJKLMNOPQRSTUVWXYZ0123456789';

/** oauthlib's `generate_token()`: 30 characters of [a-zA-Z0-9]. */
export function generateToken(length = 30): string {
  let out = '';
  for (let i = 0; i < length; i++) out += TOKEN_CHARS[randomInt(TOKEN_CHARS.length)];
  return out;
}

/** The OAuth2 project whose application has this client id. */
export function projectByClientId(
  state: SandboxState,
  clientId: string | null,
): Project | undefined {
  if (!clientId) return undefined;
  return state.store.listProjects().find((p) => p.oauth2?.clientId === clientId);
}

/**
 * What approving the authorize page does (`authorize_member`): the membership becomes joined and
 * authorized again (a member who left re-joins), then a code is issued for the redirect URI.
 */
export function approveAndMintCode(
  state: SandboxState,
  project: Project,
  m: Membership,
  redirectUri?: string,
): string {
  m.joined = true;
  m.authorized = true;
  m.revoked = false;
  m.erasureRequested = null;
  state.store.touch();
  const code = generateToken();
  part2(state).codes.set(code, {
    projectId: project.id,
    userId: m.userId,
    redirectUri: redirectUri ?? project.oauth2?.redirectUrl ?? '',
    expires: state.now() + AUTHORIZATION_CODE_TTL_MS,
  });
  return code;
}

/** Issues an access + refresh token pair for a member (what a code exchange creates). */
export function issueTokens(
  state: SandboxState,
  projectId: number,
  userId: number,
): { accessToken: string; refreshToken: string } {
  const accessToken = generateToken();
  const refreshToken = generateToken();
  state.store.addTokens(
    {
      token: accessToken,
      projectId,
      userId,
      expires: state.now() + ACCESS_TOKEN_TTL_MS,
      refreshToken,
      scope: OAUTH_SCOPE,
    },
    { token: refreshToken, projectId, userId, accessToken, revoked: false },
  );
  return { accessToken, refreshToken };
}

/** A member left: their pending codes die too (the store drops their tokens). */
export function dropCodesOf(state: SandboxState, projectId: number, userId: number): void {
  const { codes } = part2(state);
  for (const [code, grant] of codes)
    if (grant.projectId === projectId && grant.userId === userId) codes.delete(code);
}

/** `POST /oauth2/token/` with a form body and an optional Authorization header. */
export function tokenEndpoint(
  state: SandboxState,
  authorization: string | undefined,
  form: URLSearchParams,
): TokenResponse {
  const grantType = form.get('grant_type');
  if (grantType !== 'authorization_code' && grantType !== 'refresh_token')
    return oauthError(400, 'unsupported_grant_type');
  if (grantType === 'authorization_code' && form.get('code') === null) {
    return oauthError(400, 'invalid_request', 'Missing code parameter.');
  }
  if (grantType === 'refresh_token' && form.get('refresh_token') === null) {
    return oauthError(400, 'invalid_request', 'Missing refresh token parameter.');
  }
  const project = authenticateClient(state, authorization, form);
  if (!project) return oauthError(401, 'invalid_client');
  return grantType === 'authorization_code'
    ? exchangeCode(state, project, form.get('code') ?? '', form.get('redirect_uri'))
    : refresh(state, project, form.get('refresh_token') ?? '');
}

function exchangeCode(
  state: SandboxState,
  project: Project,
  code: string,
  redirectUri: string | null,
): TokenResponse {
  const { codes } = part2(state);
  const grant = codes.get(code);
  if (!grant || grant.projectId !== project.id || grant.expires <= state.now())
    return oauthError(400, 'invalid_grant');
  // oauthlib falls back to the registered redirect URI when the request names none.
  if ((redirectUri ?? project.oauth2?.redirectUrl) !== grant.redirectUri) {
    return oauthError(400, 'invalid_request', 'Mismatching redirect URI.');
  }
  codes.delete(code);
  return tokenSuccess(issueTokens(state, project.id, grant.userId));
}

function refresh(state: SandboxState, project: Project, token: string): TokenResponse {
  const { store } = state;
  const old = store.refreshToken(token);
  if (!old || old.revoked || old.projectId !== project.id) return oauthError(400, 'invalid_grant');
  // ROTATE_REFRESH_TOKEN with no grace period: the old refresh token is revoked and the access
  // token issued with it deleted.
  old.revoked = true;
  if (old.accessToken) store.removeAccessToken(old.accessToken);
  old.accessToken = '';
  return tokenSuccess(issueTokens(state, project.id, old.userId));
}

/** HTTP Basic `client_id:client_secret` (URL-encoded, RFC 6749 §2.3.1) or the same in the body. */
function authenticateClient(
  state: SandboxState,
  authorization: string | undefined,
  form: URLSearchParams,
): Project | undefined {
  let id = form.get('client_id');
  let secret = form.get('client_secret');
  const basic = /^Basic\s+(\S+)\s*$/i.exec(authorization ?? '');
  if (basic?.[1]) {
    const decoded = Buffer.from(basic[1], 'base64').toString('utf8');
    const colon = decoded.indexOf(':');
    if (colon < 0) return undefined;
    id = safeDecode(decoded.slice(0, colon));
    secret = safeDecode(decoded.slice(colon + 1));
  }
  const project = projectByClientId(state, id);
  return project && project.oauth2?.clientSecret === secret ? project : undefined;
}

function safeDecode(text: string): string {
  try {
    return decodeURIComponent(text.replace(/\+/g, ' '));
  } catch {
    return text;
  }
}

const TOKEN_HEADERS = {
  'Content-Type': 'application/json',
  'Cache-Control': 'no-store',
  Pragma: 'no-cache',
};

function tokenSuccess(pair: { accessToken: string; refreshToken: string }): TokenResponse {
  const body = pyJsonDumps({
    access_token: pair.accessToken,
    expires_in: ACCESS_TOKEN_TTL_MS / 1000,
    token_type: 'Bearer',
    scope: OAUTH_SCOPE,
    refresh_token: pair.refreshToken,
  });
  return { status: 200, body, headers: { ...TOKEN_HEADERS } };
}

/** oauthlib's error body: `{"error": "<code>"[, "error_description": "…"]}`. */
export function oauthError(status: number, error: string, description?: string): TokenResponse {
  const body = pyJsonDumps(description ? { error, error_description: description } : { error });
  return { status, body, headers: { ...TOKEN_HEADERS } };
}
