import type { Browser } from 'playwright-core';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { Sandbox } from '../../sandbox/index.js';
import { startSandbox } from '../../sandbox/index.js';
import { sessionCookieNames } from '../../src/oauth/sessions.js';
import { chromiumAvailable, launchChromium } from '../helpers/browser.js';
import { startSessionStack } from '../helpers/session-stack.js';
import { findSecrets, type Stack } from '../helpers/stack.js';

describe.skipIf(!chromiumAvailable('browser session test'))(
  'session mode in a real browser',
  () => {
    let sandbox: Sandbox;
    let stack: Stack;
    let base: string;
    let browser: Browser;

    beforeAll(async () => {
      sandbox = await startSandbox({ port: 0 });
      ({ stack, base } = await startSessionStack(sandbox));
      browser = await launchChromium();
    }, 60_000);
    afterAll(async () => {
      await browser?.close();
      await stack?.close();
      await sandbox?.close();
    });

    it('signs in through the sandbox authorize page, queries as the member, and no script sees a token', async () => {
      const pmi = Object.keys(sandbox.memberTokens).sort()[0] ?? '';
      const context = await browser.newContext();
      const page = await context.newPage();
      const visited: string[] = [];
      page.on('request', (req) => visited.push(new URL(req.url()).origin));

      // returnTo is encoded: yoga answers any URL that merely ends in "/health" with its health
      // check.
      await page.goto(`${base}/auth/openhumans/login?returnTo=${encodeURIComponent('/health')}`);
      expect(page.url()).toContain(`${sandbox.url}/direct-sharing/projects/oauth2/authorize/`);
      await page.selectOption('select[name="project_member_id"]', pmi);
      await Promise.all([page.waitForURL(`${base}/health`), page.click('button[name="allow"]')]);

      const seen = await page.evaluate(async () => {
        const res = await fetch('/graphql', {
          method: 'POST',
          headers: { 'content-type': 'application/json' },
          body: JSON.stringify({ query: '{ viewer { tokenKind member { projectMemberId } } }' }),
        });
        return {
          result: (await res.json()) as unknown,
          cookie: document.cookie,
          storage: JSON.stringify({ ...localStorage }) + JSON.stringify({ ...sessionStorage }),
          html: document.documentElement.outerHTML,
        };
      });
      expect(seen.result).toEqual({
        data: { viewer: { tokenKind: 'MEMBER', member: { projectMemberId: pmi } } },
      });
      expect(seen.cookie).toBe(''); // httpOnly: invisible to page scripts

      const cookies = await context.cookies(base);
      const session = cookies.find((c) => c.name === sessionCookieNames(true).session);
      expect(session).toMatchObject({ httpOnly: true, sameSite: 'Lax', path: '/', secure: true });
      // Nothing a script (or the cookie jar) holds contains a token or the client secret.
      const tokens = Object.values(sandbox.info().memberTokens);
      const visible = [seen.cookie, seen.storage, seen.html, ...cookies.map((c) => c.value)];
      expect(findSecrets(visible, [...tokens, sandbox.clientSecret])).toEqual([]);
      expect(new Set(visited)).toEqual(new Set([base, sandbox.url]));

      // Signing out from the page ends the session.
      const after = await page.evaluate(async () => {
        await fetch('/auth/openhumans/logout', {
          method: 'POST',
          headers: { 'graphql-preflight': '1' },
        });
        const res = await fetch('/graphql', {
          method: 'POST',
          headers: { 'content-type': 'application/json' },
          body: JSON.stringify({ query: '{ viewer { tokenKind } }' }),
        });
        return (await res.json()) as { errors?: { extensions?: { reason?: string } }[] };
      });
      expect(after.errors?.[0]?.extensions?.reason).toBe('TOKEN_MISSING');
      await context.close();
    }, 60_000);
  },
);
