/**
 * The caller's token from `Authorization: Bearer <token>`. Shared by the request context and by
 * the limiters that key on the token before any GraphQL runs (src/limits, upload admission).
 */

/** What an `Authorization` header holds: a token, nothing, or something unusable (`malformed`). */
export interface BearerHeader {
  token: string | null;
  /**
   * A header was sent but is not a usable `Bearer <token>` (other scheme, empty, spaces): token
   * fields answer UNAUTHENTICATED/TOKEN_INVALID, not TOKEN_MISSING.
   */
  malformed: boolean;
}

/** Parses `Authorization: Bearer <token>`; Open Humans tokens never contain spaces. */
export function parseBearer(header: string | null): BearerHeader {
  if (header === null || header.trim() === '') return { token: null, malformed: false };
  const match = /^Bearer +(\S+)\s*$/i.exec(header.trim());
  return match?.[1] ? { token: match[1], malformed: false } : { token: null, malformed: true };
}
