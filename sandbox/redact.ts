// Redaction for the request log: tokens are passwords (team rules).
const SECRET_PARAMS = new Set([
  'access_token',
  'refresh_token',
  'code',
  'client_secret',
  'key',
  'signature',
  'x-oh-key',
  'awsaccesskeyid',
]);

/** The URL path + query with secret parameter values replaced by [REDACTED]. */
export function redactUrl(pathAndQuery: string): string {
  const q = pathAndQuery.indexOf('?');
  if (q < 0) return pathAndQuery;
  const parts = pathAndQuery
    .slice(q + 1)
    .split('&')
    .map((pair) => {
      const eq = pair.indexOf('=');
      const name = eq < 0 ? pair : pair.slice(0, eq);
      let decoded = name;
      try {
        decoded = decodeURIComponent(name.replace(/\+/g, ' '));
      } catch {
        /* keep raw */
      }
      return SECRET_PARAMS.has(decoded.toLowerCase()) && eq >= 0 ? `${name}=[REDACTED]` : pair;
    });
  return `${pathAndQuery.slice(0, q)}?${parts.join('&')}`;
}

/** `Bearer [REDACTED]` style summary of an Authorization header. */
export function redactAuthorization(value: string | undefined): string | null {
  if (value === undefined) return null;
  const scheme = value.trim().split(/\s+/)[0] ?? '';
  return value.trim().includes(' ') ? `${scheme} [REDACTED]` : scheme ? '[REDACTED]' : '';
}
