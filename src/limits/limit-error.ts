import { ErrorCode, GatewayError } from '../errors.js';

/** Which abuse limit refused an operation (`extensions.limit`; part of the contract). */
export type LimitName = 'depth' | 'aliases' | 'directives' | 'tokens' | 'cost' | 'introspection' | 'persistedOperation' | 'listLength' | 'upstreamCalls';

/**
 * A refused operation: `BAD_USER_INPUT` (the client can fix it by asking less), with
 * `extensions.limit` naming the limit and, where useful, `max` and `actual`. The HTTP status is
 * 400 like any other request error.
 */
export function limitError(limit: LimitName, message: string, details: { max?: number; actual?: number } = {}): GatewayError {
  return new GatewayError(ErrorCode.BAD_USER_INPUT, message, {
    extensions: { limit, ...details, http: { status: 400 } },
  });
}
