import { createHash } from 'node:crypto';
import { ErrorCode, ErrorReason, GatewayError } from '../errors.js';

/**
 * The two kinds of token the direct-sharing API accepts (docs/upstream.md §1.2): a project's
 * master token, or a member's OAuth2 access token for a project.
 */
export const TokenKind = { MASTER: 'MASTER', MEMBER: 'MEMBER' } as const;
export type TokenKind = (typeof TokenKind)[keyof typeof TokenKind];

/**
 * Master tokens are exactly 64 characters of `[a-zA-Z0-9]` (`generate_id`); OAuth2 access tokens
 * from django-oauth-toolkit are 30. The shape is all the gateway can know without a call.
 */
const MASTER_TOKEN_SHAPE = /^[A-Za-z0-9]{64}$/;

/** Which kind of token this is, from its shape alone (no upstream call). */
export function tokenKindOf(token: string): TokenKind {
  return MASTER_TOKEN_SHAPE.test(token) ? TokenKind.MASTER : TokenKind.MEMBER;
}

/**
 * A stable, non-reversible key for a token (sha256, hex). Used wherever a token must key
 * something (per-token caches, rate limits): the raw token never becomes a key or a log field.
 */
export function tokenKey(token: string): string {
  return createHash('sha256').update(token, 'utf8').digest('hex');
}

/**
 * The token, or UNAUTHENTICATED for fields that cannot work without one: TOKEN_INVALID when an
 * `Authorization` header was sent but holds no usable bearer token, else TOKEN_MISSING.
 */
export function requireToken(token: string | null, malformed = false): string {
  if (!token && malformed) {
    throw new GatewayError(
      ErrorCode.UNAUTHENTICATED,
      'The Authorization header is not a usable `Bearer <token>` ' +
        '(Open Humans tokens contain no spaces).',
      { reason: ErrorReason.TOKEN_INVALID },
    );
  }
  if (!token) {
    throw new GatewayError(
      ErrorCode.UNAUTHENTICATED,
      'This field needs an Open Humans token: send `Authorization: Bearer <token>` ' +
        '(a project master token or a member access token).',
      { reason: ErrorReason.TOKEN_MISSING },
    );
  }
  return token;
}

/** FORBIDDEN for a member token on a field that only a project's master token may use. */
export function masterTokenRequired(what: string): GatewayError {
  return new GatewayError(
    ErrorCode.FORBIDDEN,
    `${what} needs the project's master token; a member access token cannot read it.`,
  );
}
