import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { Sandbox } from '../../sandbox/index.js';
import { startSandbox } from '../../sandbox/index.js';
import { safeReturnTo } from '../../src/oauth/return-to.js';
import { createCookieSealer } from '../../src/oauth/session-cookie.js';
import { sessionCookieNames } from '../../src/oauth/sessions.js';
import { type Stack, startStack } from '../helpers/stack.js';

/**
 * Known open-redirect payloads (the usual lists: scheme-relative, backslash, control characters,
 * encoded slashes, userinfo, odd schemes, unicode look-alikes). Every one must land on `/`.
 */
const PAYLOADS = [
  '//evil.example',
  '///evil.example',
  '////evil.example',
  '/\t/evil.example',
  '/%09/evil.example',
  '/%2F/evil.example',
  '/%2f%2fevil.example',
  '/%5C/evil.example',
  '/%5cevil.example',
  '/\\evil.example',
  '\\\\evil.example',
  '/\\/evil.example',
  '\\/\\/evil.example',
  'https://evil.example',
  'http://evil.example/',
  'https:evil.example',
  '//evil.example/%2e%2e',
  'javascript:alert(1)',
  'JaVaScRiPt:alert(1)',
  'data:text/html,<script>alert(1)</script>',
  '/\n/evil.example',
  '/\r/evil.example',
  '/%0a/evil.example',
  '/%0d/evil.example',
  '/%00/evil.example',
  ' //evil.example',
  '/ /evil.example',
  'evil.example',
  '.evil.example',
  '@evil.example',
  '/@evil.example/..//x',
  '/..//evil.example',
  '/.././/evil.example',
  '/%2e%2e//evil.example',
  '//evil.example@gateway',
  '/\u2028/evil.example',
  '/\ufeff/evil.example',
  '/\u00a0/evil.example',
  '//\u0000evil.example',
  '?next=//evil.example',
  '#//evil.example',
  `/${'a'.repeat(2_001)}`,
];

/** Local paths that must survive unchanged. */
const LOCAL = ['/', '/health', '/app/page?x=1&y=2#top', '/a/b/../c', '/%E2%9C%93', '/@user'];

describe('returnTo after sign-in', () => {
  it('has at least 30 open-redirect payloads, each refused by the WHATWG-URL check', () => {
    expect(PAYLOADS.length).toBeGreaterThanOrEqual(30);
    for (const payload of PAYLOADS)
      expect([payload, safeReturnTo(payload, 'https://gateway.example')]).toEqual([payload, '/']);
    expect(safeReturnTo('/a/b/../c', 'https://gateway.example')).toBe('/a/c');
    // A look-alike dot stays a harmless local path (percent-encoded by the parser).
    expect(safeReturnTo('/\u3002/evil.example', 'https://gateway.example')).toBe(
      '/%E3%80%82/evil.example',
    );
    for (const path of LOCAL.filter((p) => !p.includes('..')))
      expect(safeReturnTo(path, 'https://gateway.example')).toBe(path);
  });

  describe('through the real sign-in route', () => {
    let sandbox: Sandbox;
    let stack: Stack;
    beforeAll(async () => {
      sandbox = await startSandbox({ port: 0 });
      stack = await startStack({
        sandbox,
        env: {
          OPENHUMANS_CLIENT_ID: sandbox.clientId,
          OPENHUMANS_CLIENT_SECRET: sandbox.clientSecret,
          OAUTH_SESSIONS: 'true',
        },
      });
    });
    afterAll(async () => {
      await stack?.close();
      await sandbox?.close();
    });

    /**
     * Where the sign-in started with `returnTo` would land (read from the sealed sign-in cookie).
     */
    async function landing(returnTo: string): Promise<string> {
      const res = await stack.fetch(
        `/auth/openhumans/login?returnTo=${encodeURIComponent(returnTo)}`,
        { redirect: 'manual' },
      );
      expect(res.status).toBe(302);
      const cookie = res.headers.getSetCookie()[0] ?? '';
      const value = cookie.slice(`${sessionCookieNames(true).signIn}=`.length).split(';')[0];
      const sealed = createCookieSealer(sandbox.clientSecret, 'sign-in').open(value) as {
        t: string;
      };
      return sealed.t;
    }

    it('lands every payload on / and keeps local paths', async () => {
      for (const payload of PAYLOADS)
        expect([payload, await landing(payload)]).toEqual([payload, '/']);
      expect(await landing('/app/page?x=1&y=2#top')).toBe('/app/page?x=1&y=2#top');
      expect(await landing('/health')).toBe('/health');
      // Nothing of this reached Open Humans.
      expect(Object.keys(sandbox.calls())).toEqual([]);
    });
  });
});
