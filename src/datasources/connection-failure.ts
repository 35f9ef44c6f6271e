/**
 * Why an upstream call could not be completed, for the operator: DNS, refused, reset, TLS,
 * timeout, unreachable. Clients only ever see "Open Humans could not be reached"; without a log
 * line saying which of these it was, a wrong OPENHUMANS_BASE_URL, a firewall and a certificate
 * problem all look the same. Read from the error codes undici and Node document, never from
 * messages (which vary between versions).
 */
import { redactText } from '../redact.js';

export type ConnectionCause =
  | 'dns'
  | 'refused'
  | 'reset'
  | 'tls'
  | 'timeout'
  | 'unreachable'
  | 'other';

/** One failed upstream call (connection or timeout), safe to log: no query string, no token. */
export interface UpstreamFailureReport {
  route: string;
  method: string;
  /** Origin and path of the call, without the query (which may hold `access_token`). */
  target: string;
  cause: ConnectionCause;
  /** The first error code found on the error or its causes, e.g. `ECONNREFUSED`. */
  code: string | undefined;
  /** The low-level error's message, redacted and bounded. */
  detail: string;
}

const BY_CODE: Record<string, ConnectionCause> = {
  ENOTFOUND: 'dns',
  EAI_AGAIN: 'dns',
  EAI_FAIL: 'dns',
  EAI_NONAME: 'dns',
  ECONNREFUSED: 'refused',
  ECONNRESET: 'reset',
  EPIPE: 'reset',
  UND_ERR_SOCKET: 'reset',
  UND_ERR_CLOSED: 'reset',
  EPROTO: 'tls',
  UND_ERR_CONNECT_TIMEOUT: 'timeout',
  UND_ERR_HEADERS_TIMEOUT: 'timeout',
  UND_ERR_BODY_TIMEOUT: 'timeout',
  ETIMEDOUT: 'timeout',
  ENETUNREACH: 'unreachable',
  EHOSTUNREACH: 'unreachable',
};

/** OpenSSL's certificate verification codes (Node puts them in `err.code`). */
const TLS_CODE =
  /^(ERR_SSL_|ERR_TLS_|CERT_|DEPTH_ZERO_SELF_SIGNED_CERT$|SELF_SIGNED_CERT_IN_CHAIN$|UNABLE_TO_|HOSTNAME_MISMATCH$)/;

/** The error and its causes (`cause`, AggregateError's `errors`), outermost first, bounded. */
function chain(err: unknown): unknown[] {
  const seen: unknown[] = [];
  const queue: unknown[] = [err];
  while (queue.length > 0 && seen.length < 8) {
    const next = queue.shift();
    if (next === null || typeof next !== 'object' || seen.includes(next)) continue;
    seen.push(next);
    queue.push((next as { cause?: unknown }).cause);
    const inner = (next as { errors?: unknown }).errors;
    if (Array.isArray(inner)) queue.push(...inner.slice(0, 4));
  }
  return seen;
}

function causeOfCode(code: string): ConnectionCause | undefined {
  return BY_CODE[code] ?? (TLS_CODE.test(code) ? 'tls' : undefined);
}

/**
 * The cause of a failed call's error; `timedOut` when the call was classified as a timeout (our own
 * time budget included).
 */
export function describeFailure(
  err: unknown,
  timedOut: boolean,
): { cause: ConnectionCause; code: string | undefined; detail: string } {
  const errors = chain(err);
  const codes = errors
    .map((e) => (e as { code?: unknown }).code)
    .filter((c): c is string => typeof c === 'string');
  const known = codes.find((c) => causeOfCode(c) !== undefined);
  const isTimeout = errors.some((e) => (e as { name?: unknown }).name === 'TimeoutError');
  const cause = known
    ? (causeOfCode(known) ?? 'other')
    : timedOut || isTimeout
      ? 'timeout'
      : 'other';
  const messages = errors
    .map((e) => (e as { message?: unknown }).message)
    .filter((m): m is string => typeof m === 'string' && m !== '');
  return {
    cause,
    code: known ?? codes[0],
    detail: redactText(messages.join(' <- ')).slice(0, 300),
  };
}

/**
 * Origin and path only: the query may carry `access_token`, and nothing else in it matters here.
 */
export function targetOf(url: string | URL): string {
  try {
    const parsed = new URL(url);
    return `${parsed.origin}${parsed.pathname}`;
  } catch {
    return '(unparsable URL)';
  }
}
