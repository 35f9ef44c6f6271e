import { describe, expect, it } from 'vitest';
import { GatewayError } from '../../src/errors.js';
import { createStateSigner } from '../../src/oauth/state.js';

const SECRET = 'fake-client-secret-for-tests';
const REDIRECT = 'https://app.example.org/callback';

function refusal(fn: () => void): string {
  try {
    fn();
  } catch (err) {
    expect(err).toBeInstanceOf(GatewayError);
    expect((err as GatewayError).extensions).toMatchObject({
      code: 'BAD_USER_INPUT',
      argument: 'state',
    });
    return (err as GatewayError).message;
  }
  throw new Error('expected a refusal');
}

describe('signed OAuth2 state', () => {
  it('verifies a state it issued, for the same redirect URI, until it expires', () => {
    let now = 1_700_000_000_000;
    const signer = createStateSigner(SECRET, { ttlSeconds: 600, now: () => now });
    const { state, expiresAt } = signer.issue(REDIRECT);
    expect(expiresAt.getTime()).toBe(now + 600_000);
    expect(() => signer.verify(state, REDIRECT)).not.toThrow();
    now += 599_000;
    expect(() => signer.verify(state, REDIRECT)).not.toThrow();
    now += 1_000;
    expect(refusal(() => signer.verify(state, REDIRECT))).toMatch(/expired/);
  });

  it('issues a different state each time', () => {
    const signer = createStateSigner(SECRET);
    expect(signer.issue(REDIRECT).state).not.toBe(signer.issue(REDIRECT).state);
  });

  it('refuses missing, forged, re-signed and misdirected states', () => {
    const signer = createStateSigner(SECRET);
    const { state } = signer.issue(REDIRECT);
    expect(refusal(() => signer.verify(undefined, REDIRECT))).toMatch(/missing/);
    expect(refusal(() => signer.verify('', REDIRECT))).toMatch(/missing/);
    expect(refusal(() => signer.verify('csrf-token-from-elsewhere', REDIRECT))).toMatch(
      /not issued/,
    );
    const [v, payload, mac] = state.split('.') as [string, string, string];
    // A payload with a later expiry under the old MAC.
    const longer = Buffer.from(
      JSON.stringify({
        ...JSON.parse(Buffer.from(payload, 'base64url').toString()),
        e: 9_999_999_999,
      }),
    ).toString('base64url');
    expect(refusal(() => signer.verify(`${v}.${longer}.${mac}`, REDIRECT))).toMatch(/not issued/);
    expect(refusal(() => signer.verify(`${v}.${payload}.${mac.slice(0, -2)}AA`, REDIRECT))).toMatch(
      /not issued/,
    );
    expect(refusal(() => signer.verify(`${state}.extra`, REDIRECT))).toMatch(/not issued/);
    // Signed by another gateway (another client secret).
    const other = createStateSigner('another-fake-secret').issue(REDIRECT).state;
    expect(refusal(() => signer.verify(other, REDIRECT))).toMatch(/not issued/);
    expect(refusal(() => signer.verify(state, 'https://evil.example.org/callback'))).toMatch(
      /another `redirectUri`/,
    );
  });
});
