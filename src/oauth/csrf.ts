/**
 * The CSRF rule of session mode. A request that would act with the session cookie runs only if
 *   1. its `Origin` is the gateway's own or one of `CORS_ORIGINS` (browsers always send `Origin`
 *      on POST and on cross-origin requests; a page cannot forge it), and
 *   2. it could only have been sent after a CORS preflight: it carries the `GraphQL-Preflight`
 *      header, or is a POST whose `Content-Type` is JSON (neither can come from an HTML form).
 * Form encodings (urlencoded, text/plain, multipart without the header) never run with the
 * cookie, whatever their origin. SameSite=Lax already keeps the cookie off cross-site POSTs;
 * this rule also covers same-site neighbours (another port or subdomain) and old browsers.
 */
export const PREFLIGHT_HEADER = 'graphql-preflight';

const JSON_TYPES = new Set(['application/json']);
const FORM_TYPES = new Set([
  'application/x-www-form-urlencoded',
  'multipart/form-data',
  'text/plain',
]);

export type CsrfVerdict = { ok: true } | { ok: false; message: string };

export function checkCsrf(request: Request, allowedOrigins: ReadonlySet<string>): CsrfVerdict {
  const origin = request.headers.get('origin');
  if (origin === null) {
    return {
      ok: false,
      message:
        'A request signed in with the session cookie must carry an `Origin` header (send it with fetch).',
    };
  }
  if (!allowedOrigins.has(origin)) {
    return {
      ok: false,
      message:
        'The session cookie is not accepted from this origin (not the gateway’s, not in CORS_ORIGINS).',
    };
  }
  const type =
    (request.headers.get('content-type') ?? '').split(';')[0]?.trim().toLowerCase() ?? '';
  const hasHeader = (request.headers.get(PREFLIGHT_HEADER) ?? '').trim() !== '';
  if (hasHeader) return { ok: true };
  if (request.method === 'POST' && JSON_TYPES.has(type)) return { ok: true };
  if (FORM_TYPES.has(type)) {
    return {
      ok: false,
      message:
        'Form-encoded requests never run with the session cookie: send JSON, or the `GraphQL-Preflight: 1` header.',
    };
  }
  return {
    ok: false,
    message:
      'A request signed in with the session cookie must send the `GraphQL-Preflight: 1` header (or a JSON body).',
  };
}
