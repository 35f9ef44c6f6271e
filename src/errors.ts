import { GraphQLError } from 'graphql';

/**
 * The one registry of error codes the gateway puts in `extensions.code`.
 * Clients may branch on these; they are part of the contract.
 */
export const ErrorCode = {
  UNAUTHENTICATED: 'UNAUTHENTICATED',
  FORBIDDEN: 'FORBIDDEN',
  NOT_FOUND: 'NOT_FOUND',
  BAD_USER_INPUT: 'BAD_USER_INPUT',
  RATE_LIMITED: 'RATE_LIMITED',
  UPSTREAM_ERROR: 'UPSTREAM_ERROR',
  UPSTREAM_UNAVAILABLE: 'UPSTREAM_UNAVAILABLE',
} as const;
export type ErrorCode = (typeof ErrorCode)[keyof typeof ErrorCode];

/** Finer reasons, in `extensions.reason`, where a client acts differently on each. */
export const ErrorReason = {
  TOKEN_MISSING: 'TOKEN_MISSING',
  TOKEN_INVALID: 'TOKEN_INVALID',
  TOKEN_EXPIRED: 'TOKEN_EXPIRED',
  REFRESH_TOKEN_INVALID: 'REFRESH_TOKEN_INVALID',
  // What a client may make the gateway hold: bodies, uploads, connections.
  /** BAD_USER_INPUT, HTTP 413: the request body is larger than `MAX_BODY_BYTES`. */
  BODY_TOO_LARGE: 'BODY_TOO_LARGE',
  /** BAD_USER_INPUT, HTTP 408: the body arrived slower than `BODY_MIN_BYTES_PER_WINDOW`. */
  BODY_TOO_SLOW: 'BODY_TOO_SLOW',
  /** BAD_USER_INPUT: a multipart file part that the operation does not use. */
  UNREFERENCED_FILE: 'UNREFERENCED_FILE',
  /**
   * RATE_LIMITED, HTTP 429: this token already has `UPLOAD_MAX_CONCURRENT_PER_TOKEN` uploads
   * running.
   */
  TOKEN_UPLOADS_BUSY: 'TOKEN_UPLOADS_BUSY',
  /** RATE_LIMITED, HTTP 503: `UPLOAD_MAX_CONCURRENT` uploads are running. */
  UPLOADS_BUSY: 'UPLOADS_BUSY',
  /** RATE_LIMITED, HTTP 503: the upload spools hold `UPLOAD_MAX_SPOOL_BYTES`. */
  SPOOL_FULL: 'SPOOL_FULL',
  /** RATE_LIMITED, HTTP 503: free disk space is below `UPLOAD_MIN_FREE_DISK_BYTES`. */
  DISK_LOW: 'DISK_LOW',
  /**
   * FORBIDDEN: a request signed in with the session cookie failed the CSRF rule (Origin,
   * preflight).
   */
  CSRF_REJECTED: 'CSRF_REJECTED',
} as const;
export type ErrorReason = (typeof ErrorReason)[keyof typeof ErrorReason];

export interface GatewayErrorOptions {
  reason?: ErrorReason;
  /** Extra, safe-to-show extensions (never a URL, token or upstream body). */
  extensions?: Record<string, unknown>;
  cause?: unknown;
}

/**
 * A GraphQLError with a stable code. Yoga's masking lets GraphQLErrors through unchanged, so
 * every message here must be safe to show a client.
 */
export class GatewayError extends GraphQLError {
  readonly code: ErrorCode;

  constructor(code: ErrorCode, message: string, options: GatewayErrorOptions = {}) {
    super(message, {
      extensions: {
        code,
        ...(options.reason ? { reason: options.reason } : {}),
        ...options.extensions,
      },
      originalError: options.cause instanceof Error ? options.cause : undefined,
    });
    this.code = code;
    this.name = 'GatewayError';
  }
}

export const badUserInput = (message: string, extensions?: Record<string, unknown>): GatewayError =>
  new GatewayError(ErrorCode.BAD_USER_INPUT, message, { extensions });

export const notFound = (message: string): GatewayError =>
  new GatewayError(ErrorCode.NOT_FOUND, message);
