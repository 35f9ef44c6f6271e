/**
 * Where the browser goes after sign-in (`returnTo`): only a path on the gateway's own origin.
 * Decided by the WHATWG URL parser (what browsers run) against that origin, after refusing what
 * parsers and browsers disagree on or silently drop: control characters and spaces (a tab in
 * `/\t/evil.example` vanishes, leaving `//evil.example`), backslashes (read as `/`), and encoded
 * slashes or backslashes (decoded again by some servers and frameworks).
 */
const MAX_LENGTH = 2_000;
const FALLBACK = '/';
const UNSAFE =
  // biome-ignore lint/suspicious/noControlCharactersInRegex: control characters are what it refuses
  /[\u0000-\u0020\u007f-\u00a0\\\u1680\u2000-\u200f\u2028-\u202f\u205f\u3000\ufeff]|%(?:2f|5c|09|0a|0d|00)/i;

export function safeReturnTo(value: string | null | undefined, gatewayOrigin: string): string {
  if (!value || value.length > MAX_LENGTH || UNSAFE.test(value)) return FALLBACK;
  // Only a path: no scheme, no authority (`//host`), no relative tricks (`evil.example`, `?x`).
  if (!value.startsWith('/') || value.startsWith('//')) return FALLBACK;
  let url: URL;
  try {
    url = new URL(value, gatewayOrigin);
  } catch {
    return FALLBACK;
  }
  if (url.origin !== gatewayOrigin || url.username || url.password) return FALLBACK;
  const target = `${url.pathname}${url.search}${url.hash}`;
  // The serialised form must still be a plain path (dot segments resolved, nothing re-rooted).
  return target.startsWith('/') && !target.startsWith('//') ? target : FALLBACK;
}
