/**
 * GraphiQL in a real browser: headless Debian Chromium opens the page the gateway serves (on the
 * sandbox), runs the first example query with the ▶ button and reads the rendered result.
 * Every request the browser makes is recorded: each must stay on this machine (loopback, blob:,
 * data:); anything else is aborted and fails the test.
 */
import type { Browser, BrowserContext } from 'playwright-core';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { chromiumAvailable, isLocalUrl, launchChromium } from '../helpers/browser.js';
import { type Stack, startStack } from '../helpers/stack.js';

type FilesPage = { dataFiles: { totalCount: number; edges: { node: { basename: string } }[] } };

describe.skipIf(!chromiumAvailable('GraphiQL browser test'))(
  'GraphiQL in headless Chromium',
  () => {
    let stack: Stack;
    let base: string;
    let browser: Browser;
    let context: BrowserContext;
    const requested: string[] = [];
    const external: string[] = [];
    const failed: string[] = [];
    const pageErrors: string[] = [];

    beforeAll(async () => {
      stack = await startStack({ sandboxOptions: { sizes: { publicFiles: 300, users: 40 } } });
      base = await stack.listen();
      browser = await launchChromium();
      context = await browser.newContext();
      // A 9 MB page parsed on a busy 2-core CI machine: generous, not timed, limits.
      context.setDefaultTimeout(90_000);
      // Record every request of every page and worker; abort any that would leave the machine.
      await context.route('**/*', async (route) => {
        const url = route.request().url();
        if (isLocalUrl(url)) return route.continue();
        external.push(url);
        return route.abort('blockedbyclient');
      });
      context.on('request', (req) => requested.push(req.url()));
      context.on('requestfailed', (req) =>
        failed.push(`${req.url()} ${req.failure()?.errorText ?? ''}`),
      );
    }, 60_000);

    afterAll(async () => {
      await context?.close();
      await browser?.close();
      await stack?.close();
    });

    it('renders the page offline, runs the example query and shows its result', async () => {
      const expected = await stack.execute<FilesPage>(
        '{ dataFiles(first: 5) { totalCount edges { node { basename } } } }',
      );
      const files = expected.data?.dataFiles;
      const first = files?.edges[0]?.node;
      if (!files || !first) throw new Error(`no public files: ${expected.text}`);

      const page = await context.newPage();
      page.on('pageerror', (err) => pageErrors.push(err.message));
      page.on('websocket', (ws) => requested.push(ws.url()));
      // The page runs under its strict Content-Security-Policy: any violation is a console error.
      const cspViolations: string[] = [];
      page.on('console', (msg) => {
        if (/Content Security Policy/i.test(msg.text()))
          cspViolations.push(msg.text().slice(0, 300));
      });
      const served = await page.goto(`${base}/graphql`, { timeout: 150_000 });
      const headers = served?.headers() ?? {};
      expect(headers['content-security-policy']).toMatch(
        /default-src 'self'.*frame-ancestors 'none'/,
      );
      expect(headers['content-security-policy']).not.toMatch(
        /script-src[^;]*'unsafe-(inline|eval)'/,
      );
      expect(headers).toMatchObject({
        'x-content-type-options': 'nosniff',
        'referrer-policy': 'no-referrer',
        'x-frame-options': 'DENY',
      });
      await page.waitForSelector('.graphiql-container', { timeout: 150_000 });
      // The first example tab is open in the editor.
      await page.waitForFunction(
        () =>
          document
            .querySelector('.graphiql-query-editor')
            ?.textContent?.includes('PublicDataFiles'),
        null,
        { timeout: 60_000 },
      );

      const response = page.waitForResponse(
        (res) =>
          res.url() === `${base}/graphql` &&
          res.request().method() === 'POST' &&
          (res.request().postData() ?? '').includes('PublicDataFiles'),
      );
      await page.click('.graphiql-execute-button');
      const answered = (await (await response).json()) as { data?: FilesPage; errors?: unknown };
      expect(answered.errors).toBeUndefined();
      expect(answered.data?.dataFiles.totalCount).toBe(files.totalCount);

      // What the result pane shows (Monaco renders the visible lines; no-break spaces as spaces).
      await page.waitForFunction(
        () =>
          document
            .querySelector('.graphiql-response .view-lines')
            ?.textContent?.includes('totalCount'),
        null,
        { timeout: 30_000 },
      );
      // biome-ignore lint/performance/useDomNodeTextContent: Playwright's innerText (the rendered text), not the DOM property
      const rendered = (await page.innerText('.graphiql-response .view-lines')).replace(
        /\u00a0/g,
        ' ',
      );
      expect(rendered).toContain(`"totalCount": ${files.totalCount}`);
      expect(rendered).toContain(`"basename": "${first.basename}"`);
      expect(rendered).not.toContain('"errors"');

      expect(pageErrors).toEqual([]);
      expect(cspViolations).toEqual([]);
      expect(external).toEqual([]);
      expect(failed).toEqual([]);
      expect(requested.length).toBeGreaterThan(1);
      expect(requested.filter((url) => !isLocalUrl(url))).toEqual([]);
      // The page really came from the gateway, and the query went to it.
      expect(requested).toContain(`${base}/graphql`);
      await page.close();
    }, 300_000);
  },
);
