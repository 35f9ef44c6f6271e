import { createHash, timingSafeEqual } from 'node:crypto';
import { badUserInput } from '../errors.js';
import type { OAuthStore } from './oauth-store.js';
import type { StateSigner } from './state.js';

/**
 * PKCE (RFC 7636, S256 only) enforced by the gateway itself. Open Humans runs with PKCE off, so
 * it cannot tie a code to the app that asked for it; the gateway ties the `state` instead: the
 * app sends the challenge of a random verifier it keeps to `oauthAuthorizeUrl`, and only that
 * verifier redeems the state in `exchangeOAuthCode`. A leaked callback URL (code + state) is
 * then worthless without the verifier, and is refused before any call to Open Humans.
 */

/** base64url(SHA-256(verifier)) is always 43 characters. */
const CHALLENGE = /^[A-Za-z0-9_-]{43}$/;
/** RFC 7636 §4.1: 43–128 unreserved characters. */
const VERIFIER = /^[A-Za-z0-9._~-]{43,128}$/;

export const challengeOf = (verifier: string): string =>
  createHash('sha256').update(verifier, 'ascii').digest('base64url');

export function checkChallenge(value: string): string {
  if (!CHALLENGE.test(value)) {
    throw badUserInput(
      '`codeChallenge` must be the S256 challenge of a random verifier: base64url(SHA-256(verifier)), 43 characters.',
      { argument: 'codeChallenge' },
    );
  }
  return value;
}

function checkVerifier(value: string): void {
  if (!VERIFIER.test(value)) {
    throw badUserInput(
      '`codeVerifier` must be 43 to 128 characters of A–Z, a–z, 0–9, "-", ".", "_", "~".',
      { argument: 'codeVerifier' },
    );
  }
}

function sameChallenge(verifier: string, challenge: string): boolean {
  const a = Buffer.from(challengeOf(verifier));
  const b = Buffer.from(challenge);
  return a.length === b.length && timingSafeEqual(a, b);
}

export interface RedeemOptions {
  signer: StateSigner;
  store: OAuthStore;
  state: string | null | undefined;
  redirectUri: string;
  /** Required when the state carries a challenge (app sign-in); null in session mode. */
  codeVerifier: string | null;
  now?: () => number;
}

/**
 * Checks a `state` (signature, expiry, redirect URI, verifier) and marks it used, once across
 * every instance sharing the store. All refusals are BAD_USER_INPUT and happen before any call
 * to Open Humans.
 */
export async function redeemState(options: RedeemOptions): Promise<void> {
  const verified = options.signer.verify(options.state, options.redirectUri);
  if (options.codeVerifier !== null) {
    checkVerifier(options.codeVerifier);
    if (verified.challenge === null || !sameChallenge(options.codeVerifier, verified.challenge)) {
      throw badUserInput(
        '`codeVerifier` does not match the `codeChallenge` this sign-in was started with.',
        { argument: 'codeVerifier' },
      );
    }
  } else if (verified.challenge !== null) {
    throw badUserInput(
      'This `state` was issued to an app: redeem it with `exchangeOAuthCode` and its verifier.',
      { argument: 'state' },
    );
  }
  // Kept until the state would expire anyway (plus a minute for clock skew between instances).
  const ttlMs = Math.max(1_000, verified.expiresAtMs - (options.now ?? Date.now)() + 60_000);
  if (!(await options.store.claimOnce('oauth-state', verified.nonce, ttlMs))) {
    throw badUserInput(
      'This `state` was used already: start the sign-in again with `oauthAuthorizeUrl`.',
      { argument: 'state' },
    );
  }
}
