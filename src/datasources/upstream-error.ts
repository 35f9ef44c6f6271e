import { ErrorCode, ErrorReason, GatewayError } from '../errors.js';
import { redactText } from '../redact.js';
import type { RouteId } from './routes.js';

/**
 * How an upstream call failed:
 * - `status`: the upstream answered with a non-2xx status;
 * - `timeout`: connect, headers or body timeout, or the per-call deadline;
 * - `connection`: refused, reset, DNS, TLS, socket closed mid-body;
 * - `bad_response`: a 2xx whose body is not the JSON we need (HTML page, truncated JSON, too big);
 * - `aborted`: the caller's signal aborted the call (e.g. the client went away);
 * - `circuit_open`: not sent, the circuit breaker of its route class is open;
 * - `overloaded`: not sent (shed), it could not be answered before the request's deadline given
 *   its place in the upstream queue and the observed call latency;
 * - `budget`: not sent, the request already made all the upstream calls one request may make.
 * A request whose deadline (`REQUEST_DEADLINE_MS`) ran out fails with `timeout`.
 */
export type UpstreamFailure =
  | 'status'
  | 'timeout'
  | 'connection'
  | 'bad_response'
  | 'aborted'
  | 'circuit_open'
  | 'overloaded'
  | 'budget';

export interface UpstreamErrorInit {
  route: RouteId;
  method: string;
  /** The request URL, already redacted. */
  url: string;
  status?: number;
  /** Upstream `detail` text or a short summary of its body, already redacted. */
  detail?: string;
  /** Parsed JSON error body (400 validation errors), already redacted. */
  body?: unknown;
  /** The body was an HTML page (Django's 500 page, Heroku's error page, the UA block). */
  html?: boolean;
  /** Whether the request carried a token (a 401 "not provided" then means "invalid"). */
  hadToken: boolean;
  /** The upstream's `Retry-After`, in milliseconds from when it answered. */
  retryAfterMs?: number;
  cause?: unknown;
}

/**
 * A failed upstream call. Thrown by `OpenHumansHttp`; data sources inspect it with route
 * context (e.g. a 500 that means "unknown id") and otherwise let `toGatewayError` map it.
 * Its message is for logs only and is redacted; clients never see it.
 */
export class UpstreamError extends Error {
  readonly kind: UpstreamFailure;
  readonly route: RouteId;
  readonly method: string;
  readonly url: string;
  readonly status: number | undefined;
  readonly detail: string | undefined;
  readonly body: unknown;
  readonly html: boolean;
  readonly hadToken: boolean;
  readonly retryAfterMs: number | undefined;

  constructor(kind: UpstreamFailure, init: UpstreamErrorInit) {
    const what = init.status !== undefined ? `HTTP ${init.status}` : kind;
    const detail = init.detail ? `: ${init.detail}` : '';
    super(
      redactText(`Upstream ${init.route} ${init.method} ${init.url} failed (${what})${detail}`),
      {
        cause: init.cause,
      },
    );
    this.name = 'UpstreamError';
    this.kind = kind;
    this.route = init.route;
    this.method = init.method;
    this.url = init.url;
    this.status = init.status;
    this.detail = init.detail;
    this.body = init.body;
    this.html = init.html ?? false;
    this.hadToken = init.hadToken;
    this.retryAfterMs = init.retryAfterMs;
  }
}

export const isUpstreamError = (err: unknown): err is UpstreamError => err instanceof UpstreamError;

/** The 401 `detail` texts of Open Humans → a reason clients act on. */
type TokenReason = 'TOKEN_MISSING' | 'TOKEN_INVALID' | 'TOKEN_EXPIRED' | 'REFRESH_TOKEN_INVALID';

function unauthenticatedReason(err: UpstreamError): TokenReason {
  const detail = err.detail ?? '';
  if (/expired/i.test(detail)) return ErrorReason.TOKEN_EXPIRED;
  // "Authentication credentials were not provided." is also what the 2018 API said for an
  // invalid token: it only means "missing" when we really sent none.
  if (!err.hadToken) return ErrorReason.TOKEN_MISSING;
  return ErrorReason.TOKEN_INVALID;
}

const UNAUTHENTICATED_MESSAGES: Record<TokenReason, string> = {
  TOKEN_MISSING: 'This needs an Open Humans token: send it as `Authorization: Bearer <token>`.',
  TOKEN_INVALID: 'Open Humans did not accept the token.',
  TOKEN_EXPIRED: 'The Open Humans token has expired: refresh it and retry.',
  REFRESH_TOKEN_INVALID: 'The refresh token is invalid.',
};

/**
 * A short, safe rendering of a DRF validation body such as `{"file_id": ["Enter a whole
 * number."]}`.
 */
export function safeUpstreamMessage(err: UpstreamError): string | undefined {
  const parts: string[] = [];
  const body = err.body;
  if (body && typeof body === 'object' && !Array.isArray(body)) {
    for (const [field, value] of Object.entries(body as Record<string, unknown>)) {
      const text = Array.isArray(value)
        ? value.filter((v) => typeof v === 'string').join(' ')
        : value;
      if (typeof text !== 'string' || text === '') continue;
      parts.push(field === 'detail' || field === 'non_field_errors' ? text : `${field}: ${text}`);
    }
  } else if (err.detail && !err.html) {
    parts.push(err.detail);
  }
  if (parts.length === 0) return undefined;
  // Printable characters only, bounded length, redacted again (the body came from outside).
  const joined = parts
    .join('; ')
    .replace(/[^\x20-\x7e\u00a0-\uffff]/g, ' ')
    .slice(0, 300);
  return redactText(joined);
}

/**
 * THE mapping from upstream failures to client-facing errors (docs/design.md, Errors): every other
 * module either calls this or lets the gateway's error masking call it. GatewayErrors pass
 * through; other non-upstream errors are returned unchanged so yoga masks them as unexpected.
 */
export function toGatewayError(err: unknown): unknown {
  if (err instanceof GatewayError || !(err instanceof UpstreamError)) return err;
  const upstream = {
    route: err.route,
    ...(err.status !== undefined ? { status: err.status } : {}),
  };
  const make = (code: ErrorCode, message: string, reason?: ErrorReason): GatewayError =>
    new GatewayError(code, message, { reason, cause: err, extensions: { upstream } });

  switch (err.kind) {
    case 'timeout':
      return make(
        ErrorCode.UPSTREAM_UNAVAILABLE,
        'Open Humans did not answer in time; try again later.',
      );
    case 'connection':
      return make(
        ErrorCode.UPSTREAM_UNAVAILABLE,
        'Open Humans could not be reached; try again later.',
      );
    case 'aborted':
      return make(ErrorCode.UPSTREAM_UNAVAILABLE, 'The call to Open Humans was cancelled.');
    case 'circuit_open':
      return make(
        ErrorCode.UPSTREAM_UNAVAILABLE,
        'Open Humans is failing; the gateway pauses calls to it for a few seconds. Try again later.',
      );
    case 'overloaded':
      return make(
        ErrorCode.UPSTREAM_UNAVAILABLE,
        "The gateway is too busy to ask Open Humans before this request's deadline; try again later.",
      );
    case 'budget':
      // The gateway's own limit, not the upstream's fault: the client fixes it by asking less.
      return new GatewayError(
        ErrorCode.BAD_USER_INPUT,
        'This operation needs more calls to Open Humans than one request may make; ask for fewer objects or smaller pages.',
        { cause: err, extensions: { limit: 'upstreamCalls' } },
      );
    case 'bad_response':
      return make(
        ErrorCode.UPSTREAM_ERROR,
        'Open Humans sent a response the gateway could not read.',
      );
    case 'status':
      break;
  }
  const status = err.status ?? 0;
  if (status === 401) {
    const reason = unauthenticatedReason(err);
    return make(ErrorCode.UNAUTHENTICATED, UNAUTHENTICATED_MESSAGES[reason], reason);
  }
  if (status === 403) {
    return make(
      ErrorCode.FORBIDDEN,
      'Open Humans refused access to this resource for the given token.',
    );
  }
  if (status === 404)
    return make(ErrorCode.NOT_FOUND, 'Open Humans has no such object (or it is not public).');
  if (status === 400) {
    const detail = safeUpstreamMessage(err);
    return make(
      ErrorCode.BAD_USER_INPUT,
      detail ? `Open Humans rejected the request: ${detail}` : 'Open Humans rejected the request.',
    );
  }
  // Open Humans itself never sends 429 (no throttling); a proxy in front of it might. It is
  // transient, like the gateway timeouts and Heroku's 503s.
  if (status === 429 || status === 502 || status === 503 || status === 504) {
    return make(
      ErrorCode.UPSTREAM_UNAVAILABLE,
      'Open Humans is temporarily unavailable; try again later.',
    );
  }
  if (status >= 500)
    return make(ErrorCode.UPSTREAM_ERROR, 'Open Humans failed to answer this request.');
  return make(
    ErrorCode.UPSTREAM_ERROR,
    `Open Humans answered with an unexpected status (${status}).`,
  );
}
