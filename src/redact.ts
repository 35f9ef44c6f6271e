/**
 * Redaction of secrets from anything that can reach a log line or an error (docs/design.md,
 * "Redaction in logs and errors"). Tokens are passwords: when in doubt, redact.
 */

export const REDACTED = '[REDACTED]';

/**
 * Query parameters whose values are secrets: OAuth2 tokens and codes, the client secret, the
 * one-hour download `key`, its `x-oh-key` echo and the S3 pre-signed `Signature`.
 */
const SECRET_PARAMS = [
  'access_token',
  'refresh_token',
  'code',
  'client_secret',
  'key',
  'x-oh-key',
  'signature',
  'x-amz-signature',
  'x-amz-credential',
  'x-amz-security-token',
];
const SECRET_PARAM_SET = new Set(SECRET_PARAMS);

/** Redacts secret query parameters of a URL; anything unparsable goes through `redactText`. */
export function redactUrl(url: string | URL): string {
  let parsed: URL;
  try {
    parsed = typeof url === 'string' ? new URL(url) : new URL(url.href);
  } catch {
    return redactText(String(url));
  }
  for (const name of [...parsed.searchParams.keys()]) {
    if (SECRET_PARAM_SET.has(name.toLowerCase())) parsed.searchParams.set(name, REDACTED);
  }
  if (parsed.password) parsed.password = REDACTED;
  // URLSearchParams percent-encodes the brackets; keep the marker readable.
  return parsed.href.replaceAll(encodeURIComponent(REDACTED), REDACTED);
}

const escapeRegExp = (s: string): string => s.replace(/[.*+?^${}()|[\]\\-]/g, '\\$&');

/** `name=value` in URLs, form bodies and free text; `name` must not be part of a longer word. */
const PARAM_PATTERN = new RegExp(
  `(^|[^A-Za-z0-9_-])(${SECRET_PARAMS.map(escapeRegExp).join('|')})=([^&\\s"'<>#]+)`,
  'gi',
);
/** `"access_token": "…"` in JSON (tokens in OAuth2 token responses and echoed bodies). */
const JSON_PATTERN =
  /("(?:access_token|refresh_token|client_secret|authorization)"\s*:\s*")((?:[^"\\]|\\.)*)(")/gi;
/** `Authorization: Bearer …`, `Basic …` and bare `Bearer …` (curl lines, header dumps). */
const AUTH_HEADER_PATTERN =
  /(authorization["']?\s*[:=]\s*["']?)(?:bearer|basic|token)?\s*[^\s"',}]+/gi;
const BEARER_PATTERN = /\b(bearer|basic)\s+[A-Za-z0-9._~+/=-]{4,}/gi;
/** Open Humans master tokens are 64 alphanumeric characters (docs/upstream.md §1.2). */
const MASTER_TOKEN_PATTERN = /(?<![A-Za-z0-9])[A-Za-z0-9]{64}(?![A-Za-z0-9])/g;

/**
 * Redacts every secret the gateway knows how to recognise in free text: secret query/form
 * parameters, JSON token fields, Authorization headers, bearer credentials and anything shaped
 * like a master token. Cheap enough to run on every log line.
 */
export function redactText(text: string): string {
  return text
    .replace(PARAM_PATTERN, (_m, pre: string, name: string) => `${pre}${name}=${REDACTED}`)
    .replace(
      JSON_PATTERN,
      (_m, pre: string, _v: string, post: string) => `${pre}${REDACTED}${post}`,
    )
    .replace(AUTH_HEADER_PATTERN, (_m, pre: string) => `${pre}${REDACTED}`)
    .replace(BEARER_PATTERN, (_m, scheme: string) => `${scheme} ${REDACTED}`)
    .replace(MASTER_TOKEN_PATTERN, REDACTED);
}

/**
 * Redacts one known secret (e.g. the token of the current call) wherever it occurs, then the
 * generic patterns. Used where the secret is at hand and may appear in an unexpected shape.
 */
export function redactSecret(text: string, secret: string | undefined | null): string {
  const withoutSecret = secret && secret.length >= 4 ? text.split(secret).join(REDACTED) : text;
  return redactText(withoutSecret);
}
