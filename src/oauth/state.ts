import { createHash, createHmac, hkdfSync, randomBytes, timingSafeEqual } from 'node:crypto';
import { badUserInput } from '../errors.js';

/**
 * The OAuth2 `state` parameter, signed by the gateway. Open Humans runs with PKCE off, so this
 * is what binds a code exchange to an authorization the gateway started: it carries an expiry,
 * a nonce, a hash of the redirect URI and the app's S256 code challenge, under an
 * HMAC-SHA256 whose key is derived from the client secret (no extra setting; every instance
 * with the same secret verifies it; rotating the secret invalidates pending states).
 *
 * Format: `v1.<base64url payload>.<base64url mac>`; payload `{"e":<expiry s>,"n":<nonce>,"r":<uri
 * hash>}`.
 */
export const STATE_VERSION = 'v1';
const DEFAULT_TTL_SECONDS = 600;

interface StatePayload {
  e: number;
  n: string;
  r: string;
  /** The S256 code challenge the app sent (PKCE at the gateway); absent for session-mode states. */
  c?: string;
}

/** What a valid state carries: its nonce (to mark it used), expiry, and the app's challenge. */
export interface VerifiedState {
  nonce: string;
  expiresAtMs: number;
  challenge: string | null;
}

export interface StateSigner {
  /**
   * A fresh state for an authorization that will come back to `redirectUri`, bound to `challenge`
   * if given.
   */
  issue(redirectUri: string, challenge?: string): { state: string; expiresAt: Date };
  /**
   * Throws BAD_USER_INPUT when the state is missing, forged, expired or for another redirect URI.
   * Single use is the caller's part (`redeemState`): this check is stateless.
   */
  verify(state: string | null | undefined, redirectUri: string): VerifiedState;
}

export function createStateSigner(
  clientSecret: string,
  options: { ttlSeconds?: number; now?: () => number } = {},
): StateSigner {
  const key = Buffer.from(
    hkdfSync('sha256', clientSecret, 'openhumans-graphql', 'oauth2 state v1', 32),
  );
  const ttl = options.ttlSeconds ?? DEFAULT_TTL_SECONDS;
  const nowMs = options.now ?? Date.now;
  const mac = (payload: string): Buffer =>
    createHmac('sha256', key).update(`${STATE_VERSION}.${payload}`).digest();

  return {
    issue(redirectUri, challenge) {
      const expiresAtS = Math.floor(nowMs() / 1000) + ttl;
      const payload: StatePayload = {
        e: expiresAtS,
        n: randomBytes(16).toString('base64url'),
        r: uriHash(redirectUri),
        ...(challenge ? { c: challenge } : {}),
      };
      const encoded = Buffer.from(JSON.stringify(payload)).toString('base64url');
      return {
        state: `${STATE_VERSION}.${encoded}.${mac(encoded).toString('base64url')}`,
        expiresAt: new Date(expiresAtS * 1000),
      };
    },
    verify(state, redirectUri) {
      if (!state)
        throw stateError('The `state` is missing: pass the value that came back with the code.');
      const [version, encoded, signature, ...rest] = state.split('.');
      if (
        version !== STATE_VERSION ||
        !encoded ||
        !signature ||
        rest.length > 0 ||
        state.length > 512
      ) {
        throw stateError('The `state` was not issued by this gateway.');
      }
      const given = Buffer.from(signature, 'base64url');
      const expected = mac(encoded);
      if (given.length !== expected.length || !timingSafeEqual(given, expected)) {
        throw stateError('The `state` was not issued by this gateway.');
      }
      const payload = parsePayload(encoded);
      if (!payload) throw stateError('The `state` was not issued by this gateway.');
      if (payload.e * 1000 <= nowMs()) {
        throw stateError(
          'The `state` has expired: start the sign-in again with `oauthAuthorizeUrl`.',
        );
      }
      if (payload.r !== uriHash(redirectUri)) {
        throw stateError('The `state` was issued for another `redirectUri`.');
      }
      return { nonce: payload.n, expiresAtMs: payload.e * 1000, challenge: payload.c ?? null };
    },
  };
}

function uriHash(uri: string): string {
  return createHash('sha256').update(uri).digest('base64url').slice(0, 22);
}

function parsePayload(encoded: string): StatePayload | null {
  try {
    const value = JSON.parse(
      Buffer.from(encoded, 'base64url').toString('utf8'),
    ) as Partial<StatePayload>;
    if (typeof value.e !== 'number' || typeof value.n !== 'string' || typeof value.r !== 'string')
      return null;
    if (value.c !== undefined && typeof value.c !== 'string') return null;
    return { e: value.e, n: value.n, r: value.r, ...(value.c ? { c: value.c } : {}) };
  } catch {
    return null;
  }
}

const stateError = (message: string) => badUserInput(message, { argument: 'state' });
