import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { challengeOf } from '../../src/oauth/pkce.js';
import { type Stack, startStack } from '../helpers/stack.js';

const APP = 'https://app.example.org';
const PUBLIC = '{ projects(first: 1) { totalCount } }';

let stack: Stack;
beforeAll(async () => {
  stack = await startStack({
    env: {
      CORS_ORIGINS: APP,
      OPENHUMANS_CLIENT_ID: 'fake-client-id',
      OPENHUMANS_CLIENT_SECRET: 'fake-client-secret-0123456789',
    },
  });
});
afterAll(async () => stack?.close());

describe('response headers', () => {
  it('sends Cache-Control: no-store to every request with a token, and on OAuth answers', async () => {
    const withToken = await stack.execute(PUBLIC, {}, { token: stack.sandbox.masterToken });
    expect(withToken.headers.get('cache-control')).toBe('no-store');
    const badToken = await stack.execute(
      '{ viewer { tokenKind } }',
      {},
      { token: 'fake-invalid-token' },
    );
    expect(badToken.headers.get('cache-control')).toBe('no-store');
    const authorize = await stack.execute(
      'query($c: String!) { oauthAuthorizeUrl(redirectUri: "https://app.example.org/cb", codeChallenge: $c) { state } }',
      {
        c: challengeOf('v'.repeat(43)),
      },
    );
    expect(authorize.errors).toBeUndefined();
    expect(authorize.headers.get('cache-control')).toBe('no-store');
    const refresh = await stack.execute(
      'mutation { refreshOAuthToken(input: { refreshToken: "fakeRefresh" }) { accessToken } }',
    );
    expect(refresh.headers.get('cache-control')).toBe('no-store');
    // A token-free public query stays cacheable by the browser as before.
    const anonymous = await stack.execute(PUBLIC);
    expect(anonymous.headers.get('cache-control')).not.toBe('no-store');
  });

  it('says Vary: Origin on every answer when the CORS answer depends on the Origin', async () => {
    for (const origin of [APP, 'https://other.example.org', null]) {
      const res = await stack.fetch('/graphql', {
        method: 'POST',
        headers: {
          'content-type': 'application/json',
          'accept-encoding': 'gzip',
          ...(origin ? { origin } : {}),
        },
        body: JSON.stringify({ query: PUBLIC }),
      });
      expect(res.headers.get('vary') ?? '').toMatch(/\bOrigin\b/);
      expect(res.headers.get('access-control-allow-origin')).toBe(origin === APP ? APP : null);
    }
    const preflight = await stack.fetch('/graphql', {
      method: 'OPTIONS',
      headers: { origin: APP, 'access-control-request-method': 'POST' },
    });
    expect(preflight.headers.get('vary') ?? '').toMatch(/\bOrigin\b/);
  });

  it('serves GraphiQL with a strict CSP, no framing, nosniff and no referrer', async () => {
    const res = await stack.fetch('/graphql', { headers: { accept: 'text/html' } });
    expect(res.status).toBe(200);
    const csp = res.headers.get('content-security-policy') ?? '';
    for (const directive of [
      "default-src 'self'",
      "connect-src 'self'",
      "frame-ancestors 'none'",
      "object-src 'none'",
      "base-uri 'none'",
    ]) {
      expect(csp).toContain(directive);
    }
    // Scripts only by hash: no inline or eval allowance, and no host outside the gateway.
    expect(csp).toMatch(/script-src 'self'( 'sha256-[A-Za-z0-9+/=]+')+;/);
    expect(csp).not.toMatch(/unsafe-eval|https?:|\*/);
    expect(res.headers.get('x-frame-options')).toBe('DENY');
    expect(res.headers.get('x-content-type-options')).toBe('nosniff');
    expect(res.headers.get('referrer-policy')).toBe('no-referrer');
    await res.arrayBuffer();
  });
});
