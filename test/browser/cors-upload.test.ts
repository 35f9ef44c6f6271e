/**
 * Cross-origin uploads from a real browser: headless Chromium loads a page from a second local
 * origin (another port, listed in CORS_ORIGINS) and uploads one file per CSRF header the README
 * lists, with `fetch` + `FormData`. Each upload needs a CORS preflight that allows its header;
 * the file must then really be stored (read back through the gateway). A header the gateway
 * does not allow is blocked by the browser itself, which shows the preflight is really checked.
 */
import type { Browser, BrowserContext, Page } from 'playwright-core';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { PREFLIGHT_HEADERS } from '../../src/http/multipart/streaming-uploads.js';
import { chromiumAvailable, isLocalUrl, launchChromium } from '../helpers/browser.js';
import type { TestServer } from '../helpers/http-server.js';
import { startHttpServer } from '../helpers/http-server.js';
import type { Stack } from '../helpers/stack.js';
import { startStack } from '../helpers/stack.js';

/** What the page's upload returns: the HTTP status and body, or the browser's network error. */
type Outcome = { status: number; body: string } | { blocked: string };

const UPLOAD = `mutation ($file: Upload!) {
  uploadDataFile(input: { file: $file, metadata: { description: "CORS test", tags: ["cors"] } }) {
    __typename
    ... on UploadDataFilePayload { databaseId md5 dataFile { basename } }
    ... on UserError { message }
  }
}`;

describe.skipIf(!chromiumAvailable('cross-origin upload browser test'))(
  'cross-origin uploads in headless Chromium',
  () => {
    let stack: Stack;
    let gatewayUrl: string;
    let app: TestServer;
    let browser: Browser;
    let context: BrowserContext;
    let page: Page;
    let memberToken: string;
    const requested: string[] = [];

    beforeAll(async () => {
      // The app's page: served from its own origin (another port is another origin).
      app = await startHttpServer((_req, res) => {
        res.writeHead(200, { 'content-type': 'text/html; charset=utf-8' });
        res.end('<!doctype html><title>app</title><p>app</p>');
      });
      stack = await startStack({
        env: { LOG_LEVEL: 'warn', CORS_ORIGINS: app.url },
        sandboxOptions: { storage: 'memory' },
      });
      gatewayUrl = await stack.listen();
      const token = Object.values(stack.sandbox.memberTokens)[0];
      if (!token) throw new Error('the sandbox has no member token');
      memberToken = token;
      browser = await launchChromium();
      context = await browser.newContext();
      context.setDefaultTimeout(60_000);
      // Recorded, not intercepted: request interception would change how Chromium does CORS.
      context.on('request', (req) => requested.push(req.url()));
      page = await context.newPage();
      await page.goto(app.url);
    }, 60_000);

    afterAll(async () => {
      await context?.close();
      await browser?.close();
      await stack?.close();
      await app?.close();
    });

    /** Uploads `content` as `name` from the app's page, with one extra request header. */
    function uploadFromPage(header: string, name: string, content: string): Promise<Outcome> {
      return page.evaluate(
        async ({ url, token, header, name, content, query }) => {
          const form = new FormData();
          form.append('operations', JSON.stringify({ query, variables: { file: null } }));
          form.append('map', JSON.stringify({ 0: ['variables.file'] }));
          form.append('0', new Blob([content], { type: 'application/json' }), name);
          try {
            const res = await fetch(url, {
              method: 'POST',
              headers: {
                authorization: `Bearer ${token}`,
                [header]: '1',
                accept: 'application/graphql-response+json',
              },
              body: form,
            });
            return { status: res.status, body: await res.text() };
          } catch (err) {
            return { blocked: String(err) };
          }
        },
        { url: `${gatewayUrl}/graphql`, token: memberToken, header, name, content, query: UPLOAD },
      );
    }

    it.each([...PREFLIGHT_HEADERS])(
      'uploads with the CSRF header %s',
      async (header) => {
        const name = `cors-${header}.json`;
        const outcome = await uploadFromPage(header, name, JSON.stringify({ header }));
        if (!('status' in outcome))
          throw new Error(`the browser blocked the upload: ${outcome.blocked}`);
        expect(outcome.status, outcome.body).toBe(200);
        const payload = (
          JSON.parse(outcome.body) as {
            data: { uploadDataFile: { __typename: string; dataFile: { basename: string } } };
          }
        ).data.uploadDataFile;
        expect(payload.__typename).toBe('UploadDataFilePayload');
        expect(payload.dataFile.basename).toBe(name);
        // Really stored: the member's own file list now has it.
        const mine = await stack.execute<{
          viewer: { member: { dataFiles: { edges: { node: { basename: string } }[] } } };
        }>(
          '{ viewer { member { dataFiles(first: 100) { edges { node { basename } } } } } }',
          {},
          { token: memberToken },
        );
        expect(
          mine.data?.viewer.member.dataFiles.edges.map((e) => e.node.basename),
          mine.text,
        ).toContain(name);
      },
      120_000,
    );

    it('is blocked by the browser for a header the preflight does not allow', async () => {
      const outcome = await uploadFromPage('x-not-a-csrf-header', 'blocked.json', '{}');
      expect(outcome).toHaveProperty('blocked');
      // Everything the browser asked for stayed on this machine.
      expect(requested.filter((url) => !isLocalUrl(url))).toEqual([]);
    }, 60_000);
  },
);
