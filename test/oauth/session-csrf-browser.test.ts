import { createServer, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import type { Browser, BrowserContext } from 'playwright-core';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { Sandbox } from '../../sandbox/index.js';
import { startSandbox } from '../../sandbox/index.js';
import { sentMessages } from '../../sandbox/routes/direct-sharing-controls.js';
import { chromiumAvailable, launchChromium } from '../helpers/browser.js';
import { startSessionStack } from '../helpers/session-stack.js';
import type { Stack } from '../helpers/stack.js';

/**
 * The CSRF rule in a real browser. The member signs in on the gateway (http://127.0.0.1:<port>),
 * then visits attacker pages on two other origins: http://127.0.0.1:<other port> (same site:
 * the browser DOES send the SameSite=Lax cookie there, so only the gateway's Origin check stands
 * in the way) and http://localhost:<other port> (cross-site). From neither may a form post or a
 * fetch run a mutation with the cookie: no message reaches the sandbox.
 */

const attackerPage = (gateway: string, pmi: string): string => {
  const mutation = `mutation { sendMessage(input: { subject: "csrf", message: "csrf", projectMemberIds: ["${pmi}"] }) { __typename } }`;
  const json = JSON.stringify({ query: mutation });
  const esc = (s: string): string => s.replace(/&/g, '&amp;').replace(/"/g, '&quot;');
  return `<!doctype html><html><body>
<form id="plain" method="post" action="${gateway}/graphql" enctype="text/plain" target="f1">
  <input name='${esc(json.slice(0, -2))}' value='${esc('"}')}'></form>
<form id="urlencoded" method="post" action="${gateway}/graphql" target="f2"><input name="query" value="${esc(mutation)}"></form>
<form id="multipart" method="post" action="${gateway}/graphql" enctype="multipart/form-data" target="f3">
  <input name="operations" value="${esc(json)}"><input name="map" value="{}"></form>
<form id="logout" method="post" action="${gateway}/auth/openhumans/logout" target="f4"></form>
<iframe name="f1"></iframe><iframe name="f2"></iframe><iframe name="f3"></iframe><iframe name="f4"></iframe>
<script>
  window.attack = async () => {
    const results = [];
    const send = async (init) => {
      try {
        const res = await fetch(${JSON.stringify(`${gateway}/graphql`)}, init);
        results.push(res.type + ' ' + res.status);
      } catch (e) {
        results.push('blocked');
      }
    };
    await send({ method: 'POST', credentials: 'include', headers: { 'content-type': 'application/json' }, body: ${JSON.stringify(json)} });
    await send({ method: 'POST', credentials: 'include', headers: { 'content-type': 'application/json', 'graphql-preflight': '1' }, body: ${JSON.stringify(json)} });
    await send({ method: 'POST', mode: 'no-cors', credentials: 'include', headers: { 'content-type': 'text/plain' }, body: ${JSON.stringify(json)} });
    for (const id of ['plain', 'urlencoded', 'multipart', 'logout']) document.getElementById(id).submit();
    return results;
  };
</script></body></html>`;
};

describe.skipIf(!chromiumAvailable('browser CSRF test'))(
  'session mode CSRF in a real browser',
  () => {
    let sandbox: Sandbox;
    let stack: Stack;
    let base: string;
    let browser: Browser;
    let attacker: Server;
    let attackerPort: number;
    let pmi: string;

    beforeAll(async () => {
      sandbox = await startSandbox({ port: 0 });
      ({ stack, base } = await startSessionStack(sandbox));
      pmi = Object.keys(sandbox.memberTokens).sort()[0] ?? '';
      attacker = createServer((_req, res) => {
        res.writeHead(200, { 'content-type': 'text/html; charset=utf-8' });
        res.end(attackerPage(base, pmi));
      });
      await new Promise<void>((resolve) => attacker.listen(0, '127.0.0.1', resolve));
      attackerPort = (attacker.address() as AddressInfo).port;
      browser = await launchChromium();
    }, 60_000);
    afterAll(async () => {
      await browser?.close();
      await new Promise<void>((resolve) =>
        attacker ? attacker.close(() => resolve()) : resolve(),
      );
      await stack?.close();
      await sandbox?.close();
    });

    async function signedIn(): Promise<BrowserContext> {
      const context = await browser.newContext();
      const page = await context.newPage();
      await page.goto(`${base}/auth/openhumans/login?returnTo=${encodeURIComponent('/health')}`);
      await page.selectOption('select[name="project_member_id"]', pmi);
      await Promise.all([page.waitForURL(`${base}/health`), page.click('button[name="allow"]')]);
      await page.close();
      return context;
    }

    /** Runs the member's own page: a same-origin fetch may run the mutation (the control case). */
    async function sendFromGateway(context: BrowserContext): Promise<unknown> {
      const page = await context.newPage();
      await page.goto(`${base}/health`);
      const body = await page.evaluate(async (p) => {
        const res = await fetch('/graphql', {
          method: 'POST',
          headers: { 'content-type': 'application/json' },
          body: JSON.stringify({
            query: `mutation { sendMessage(input: { subject: "mine", message: "hello", projectMemberIds: ["${p}"] }) { __typename } }`,
          }),
        });
        return res.json();
      }, pmi);
      await page.close();
      return body;
    }

    it('runs a mutation from the gateway’s own page, and none from a same-site or cross-site attacker page', async () => {
      const context = await signedIn();
      expect(await sendFromGateway(context)).toEqual({
        data: { sendMessage: { __typename: 'SendMessagePayload' } },
      });
      expect(sentMessages(sandbox.state).filter((m) => m.subject.includes('mine'))).toHaveLength(1);

      for (const origin of [
        `http://127.0.0.1:${attackerPort}`,
        `http://localhost:${attackerPort}`,
      ]) {
        sandbox.resetCalls();
        const page = await context.newPage();
        const seen: string[] = [];
        const bodies: Promise<string>[] = [];
        page.on('response', (res) => {
          if (!res.url().startsWith(base)) return;
          seen.push(`${res.request().method()} ${new URL(res.url()).pathname} ${res.status()}`);
          if (res.status() === 200) bodies.push(res.text().catch(() => ''));
        });
        await page.goto(`${origin}/`);
        const results = await page.evaluate(() =>
          (window as unknown as { attack(): Promise<string[]> }).attack(),
        );
        // Wait until the no-cors fetch and the four form posts have been answered.
        await expect
          .poll(() => seen.filter((s) => s.startsWith('POST')).length, { timeout: 10_000 })
          .toBeGreaterThanOrEqual(5);
        // No fetch could read an answer (opaque or blocked), and the gateway refused every post
        // that carried the cookie.
        expect(results.every((r) => r === 'blocked' || r.startsWith('opaque'))).toBe(true);
        // A post that ran at all ran without the member (the browser withheld the cookie
        // cross-site).
        for (const body of await Promise.all(bodies))
          expect(body).toMatch(/"code":"UNAUTHENTICATED".*"reason":"TOKEN_MISSING"/);
        // Same site: the browser sent the cookie with every post, and the gateway refused them all.
        if (origin.includes('127.0.0.1'))
          expect(seen.every((line) => line.endsWith(' 403'))).toBe(true);
        expect(sandbox.calls().D4 ?? 0).toBe(0);
        await page.close();
      }
      expect(sentMessages(sandbox.state).filter((m) => m.subject.includes('csrf'))).toEqual([]);
      // The cross-site logout form did not end the session either: the member's page still works.
      expect(await sendFromGateway(context)).toEqual({
        data: { sendMessage: { __typename: 'SendMessagePayload' } },
      });
      await context.close();
    }, 90_000);
  },
);
