import type { IncomingMessage } from 'node:http';

/** What a WebSocket connection authenticates with, fixed at `connection_init`. */
export interface ConnectionCredentials {
  /** An `Authorization` header value (`Bearer <token>`), or null. Never log it. */
  authorization: string | null;
  /** The upgrade's Cookie header (a session cookie), or null. */
  cookie: string | null;
}

const TOKEN = /^[^\s]{1,4096}$/;

/**
 * The first string among the connection_init payload's `Authorization`, `authorization`, `token`.
 */
function payloadCredential(
  params: Readonly<Record<string, unknown>> | undefined,
): string | null | false {
  if (!params) return null;
  for (const key of ['Authorization', 'authorization', 'token'] as const) {
    if (!(key in params) || params[key] === undefined || params[key] === null) continue;
    const value = params[key];
    if (typeof value !== 'string') return false;
    if (key === 'token') return TOKEN.test(value) ? `Bearer ${value}` : false;
    return value.length <= 4_200 ? value : false;
  }
  return null;
}

/**
 * The credentials of a connection, in order: the connection_init payload (`Authorization` /
 * `authorization` as a header value, or a bare `token`), else the upgrade's `Authorization`
 * header, else its session cookie. False when the payload carries something that cannot be a
 * credential (not a string, too long): the connection is refused with 4403.
 */
export function connectionCredentials(
  request: IncomingMessage,
  params: Readonly<Record<string, unknown>> | undefined,
): ConnectionCredentials | false {
  const fromPayload = payloadCredential(params);
  if (fromPayload === false) return false;
  const header = request.headers.authorization;
  const authorization =
    fromPayload ?? (typeof header === 'string' && header !== '' ? header : null);
  const cookie = typeof request.headers.cookie === 'string' ? request.headers.cookie : null;
  // An explicit credential wins: the cookie is then not sent on (as over HTTP, where an
  // Authorization header makes the session cookie ignored).
  return { authorization, cookie: authorization === null ? cookie : null };
}

/**
 * Browsers send `Origin` on every WebSocket upgrade and apply no CORS to it, so a page on any
 * site could open a socket that carries the member's session cookie. Only the gateway's own
 * origin (the upgrade's Host) and the configured CORS origins may; clients without `Origin`
 * (servers, CLIs) are not browsers and carry no ambient cookie of a member.
 */
export function originAllowed(request: IncomingMessage, corsOrigins: readonly string[]): boolean {
  const origin = request.headers.origin;
  if (origin === undefined) return true;
  if (corsOrigins.includes(origin)) return true;
  try {
    return new URL(origin).host === request.headers.host;
  } catch {
    return false;
  }
}
