import { badUserInput } from '../errors.js';

/** Schemes that must never be a redirect target (script execution, local files). */
const FORBIDDEN_SCHEMES = new Set(['javascript:', 'data:', 'vbscript:', 'file:', 'blob:']);

/**
 * A redirect URI as Open Humans takes it: absolute, no fragment (RFC 6749 §3.1.2). Open Humans
 * itself checks it against the project's registered URL; custom app schemes are allowed there
 * (openhumanshk:, resilienceproject:), so only dangerous schemes are refused here.
 */
export function checkRedirectUri(value: string): string {
  let url: URL;
  try {
    url = new URL(value);
  } catch {
    throw badUserInput(
      '`redirectUri` must be an absolute URL (the one registered for the project).',
      { argument: 'redirectUri' },
    );
  }
  if (
    value.length > 2_000 ||
    url.hash ||
    value.includes('#') ||
    FORBIDDEN_SCHEMES.has(url.protocol)
  ) {
    throw badUserInput('`redirectUri` must be an absolute http(s) or app URL without a fragment.', {
      argument: 'redirectUri',
    });
  }
  return value;
}
