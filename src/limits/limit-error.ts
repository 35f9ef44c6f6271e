import { ErrorCode, GatewayError } from '../errors.js';

/** Which abuse limit refused an operation (`extensions.limit`; part of the contract). */
export type LimitName =
  | 'depth'
  | 'aliases'
  | 'directives'
  | 'tokens'
  | 'cost'
  | 'introspection'
  | 'persistedOperation'
  | 'listLength'
  | 'upstreamCalls';

/**
 * A refused operation: `BAD_USER_INPUT` (the client can fix it by asking less), with
 * `extensions.limit` naming the limit and, where useful, `max` and `actual`.
 *
 * HTTP status: a document refused by a limit fails validation, so it gets what the
 * GraphQL-over-HTTP spec gives validation errors: 400 for `application/graphql-response+json`,
 * 200 for legacy `application/json` (yoga skips `spec` statuses for that media type). A request
 * without an allowed persisted operation is not a document problem: always 400.
 */
export function limitError(
  limit: LimitName,
  message: string,
  details: { max?: number; actual?: number } = {},
): GatewayError {
  const http = limit === 'persistedOperation' ? { status: 400 } : { status: 400, spec: true };
  return new GatewayError(ErrorCode.BAD_USER_INPUT, message, {
    extensions: { limit, ...details, http },
  });
}
