/** Session-mode settings (OAUTH_SESSION_*), read as one group by `loadConfig`. */
import type { Reader } from './reader.js';

export interface SessionConfig {
  readonly enabled: boolean;
  /** `OAUTH_SESSION_REDIRECT_URI`: the registered callback URL; required in production. */
  readonly redirectUri: string | null;
  /**
   * `OAUTH_SESSION_COOKIE_SECURE`: always true in production; false only for http://localhost
   * demos.
   */
  readonly secureCookies: boolean;
  /** `OAUTH_SESSION_IDLE_SECONDS`, in ms: a session unused this long ends. */
  readonly idleMs: number;
  /**
   * `OAUTH_SESSION_ABSOLUTE_SECONDS`, in ms: a session ends this long after sign-in, used or not.
   */
  readonly absoluteMs: number;
}

export function readSessionConfig(r: Reader, nodeEnv: string, enabled: boolean): SessionConfig {
  const production = nodeEnv === 'production';
  const redirectUri = r.optional('OAUTH_SESSION_REDIRECT_URI');
  if (redirectUri !== null && !/^https?:\/\/[^\s#]+$/.test(redirectUri)) {
    r.problems.push(
      'OAUTH_SESSION_REDIRECT_URI must be an absolute http(s) URL (the callback registered with Open Humans)',
    );
  }
  if (enabled && production && (redirectUri === null || !redirectUri.startsWith('https://'))) {
    // Without it the callback (and the gateway's own origin) would come from request headers.
    r.problems.push(
      'OAUTH_SESSIONS in production needs OAUTH_SESSION_REDIRECT_URI, an https:// callback URL registered with Open Humans',
    );
  }
  const secureCookies = r.bool('OAUTH_SESSION_COOKIE_SECURE', true);
  if (!secureCookies && production) {
    r.problems.push(
      'OAUTH_SESSION_COOKIE_SECURE=false is for local http:// demos only; it is refused when NODE_ENV=production',
    );
  }
  const idleSeconds = r.int('OAUTH_SESSION_IDLE_SECONDS', 1_800, 60, 7 * 86_400);
  const absoluteSeconds = r.int('OAUTH_SESSION_ABSOLUTE_SECONDS', 28_800, 300, 30 * 86_400);
  if (idleSeconds > absoluteSeconds) {
    r.problems.push(
      `OAUTH_SESSION_IDLE_SECONDS (${idleSeconds}) must not exceed OAUTH_SESSION_ABSOLUTE_SECONDS (${absoluteSeconds})`,
    );
  }
  return {
    enabled,
    redirectUri,
    secureCookies,
    idleMs: idleSeconds * 1000,
    absoluteMs: absoluteSeconds * 1000,
  };
}
