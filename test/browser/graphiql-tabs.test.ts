/**
 * GraphiQL's example tabs in headless Chromium: on a fresh profile each tab shows its own query
 * on the FIRST click; after a reload, and after a fresh visit to /graphql (no `?query=` in the
 * address), the same tabs are there, no empty `<untitled>` tab is added, the tab that was active
 * still is, and every tab still switches on the first click. Checked in the DOM (the tab list
 * and what the query editor shows); a screenshot of each state is kept in a temp directory.
 */
import { mkdtempSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { parse } from 'graphql';
import type { Browser, BrowserContext, Page } from 'playwright-core';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { examplesFor } from '../../src/http/graphiql-examples.js';
import { schema } from '../../src/schema/index.js';
import { chromiumAvailable, isLocalUrl, launchChromium } from '../helpers/browser.js';
import type { Stack } from '../helpers/stack.js';
import { startStack } from '../helpers/stack.js';

/** The operation name of each example tab, in order. */
const NAMES = examplesFor(schema).map((tab) => {
  const op = parse(tab.query).definitions[0];
  return op && 'name' in op && op.name ? op.name.value : '';
});

const shots = mkdtempSync(join(tmpdir(), 'oh-graphql-graphiql-tabs-'));

describe.skipIf(!chromiumAvailable('GraphiQL tabs browser test'))(
  'GraphiQL tabs in headless Chromium',
  () => {
    let stack: Stack;
    let base: string;
    let browser: Browser;
    let context: BrowserContext;
    let page: Page;
    const pageErrors: string[] = [];

    beforeAll(async () => {
      stack = await startStack({ env: { LOG_LEVEL: 'warn' } });
      base = await stack.listen();
      browser = await launchChromium();
      // A fresh profile: nothing saved in localStorage.
      context = await browser.newContext();
      // A 9 MB page on a busy 2-core machine: generous, not timed, limits.
      context.setDefaultTimeout(120_000);
      await context.route('**/*', (route) =>
        isLocalUrl(route.request().url()) ? route.continue() : route.abort('blockedbyclient'),
      );
      page = await context.newPage();
      page.on('pageerror', (err) => pageErrors.push(err.message));
    }, 60_000);

    afterAll(async () => {
      await context?.close();
      await browser?.close();
      await stack?.close();
    });

    /** Tab titles, with `*` on the selected one. */
    const tabs = (): Promise<string[]> =>
      page.$$eval('.graphiql-tab', (els) =>
        els.map(
          (el) =>
            `${el.querySelector('.graphiql-tab-button')?.textContent ?? ''}${el.getAttribute('aria-selected') === 'true' ? '*' : ''}`,
        ),
      );

    /**
     * Waits until the query editor shows the operation `name` (Monaco renders the visible lines).
     */
    async function editorShows(name: string): Promise<void> {
      await page.waitForFunction(
        (wanted) =>
          (document.querySelector('.graphiql-query-editor .view-lines')?.textContent ?? '')
            .replace(/\u00a0/g, ' ')
            .includes(wanted),
        `query ${name}`,
        { timeout: 30_000 },
      );
    }

    async function open(url: string, shot: string): Promise<void> {
      await page.goto(url, { timeout: 150_000 });
      await page.waitForSelector('.graphiql-container', { timeout: 150_000 });
      await page.waitForFunction(
        (n) => document.querySelectorAll('.graphiql-tab').length >= n,
        NAMES.length,
      );
      await page.screenshot({ path: join(shots, `${shot}.png`) });
    }

    /** Clicks every tab once, in a mixed order, and checks each shows its own query at once. */
    async function clickEveryTabOnce(round: string): Promise<void> {
      const order = [...NAMES.keys()].slice(1).concat(0).reverse();
      for (const index of order) {
        const name = NAMES[index] ?? '';
        await page.click(`.graphiql-tab:nth-child(${index + 1}) .graphiql-tab-button`);
        // One click: the tab is selected and its query is in the editor.
        expect((await tabs())[index], `${round}: ${name} after one click`).toBe(`${name}*`);
        await editorShows(name);
        await page.screenshot({ path: join(shots, `${round}-${name}.png`) });
      }
    }

    it('has one example tab per example, the first one open', async () => {
      expect(NAMES.length).toBeGreaterThanOrEqual(4);
      await open(`${base}/graphql`, 'fresh');
      expect(await tabs()).toEqual(NAMES.map((n, i) => (i === 0 ? `${n}*` : n)));
      await editorShows(NAMES[0] ?? '');
    }, 300_000);

    it('switches each tab on the first click (fresh profile)', async () => {
      await clickEveryTabOnce('fresh');
    }, 300_000);

    it('after a reload: same tabs, no empty tab, the active one kept, first clicks work', async () => {
      const before = await tabs();
      const active = before.find((t) => t.endsWith('*'))?.slice(0, -1) ?? '';
      await page.reload({ timeout: 150_000 });
      await page.waitForSelector('.graphiql-container', { timeout: 150_000 });
      await editorShows(active);
      await page.screenshot({ path: join(shots, 'reloaded.png') });
      expect(await tabs(), `screenshots in ${shots}`).toEqual(before);
      await clickEveryTabOnce('reloaded');
    }, 300_000);

    it('a fresh visit to /graphql (no query in the address) adds no empty tab either', async () => {
      await page.click(`.graphiql-tab:nth-child(2) .graphiql-tab-button`);
      await editorShows(NAMES[1] ?? '');
      // GraphiQL saves its tab state a moment after a switch: leave only once it has.
      await page.waitForFunction(
        (key) =>
          (
            JSON.parse(window.localStorage.getItem(key) ?? 'null') as {
              activeTabIndex?: number;
            } | null
          )?.activeTabIndex === 1,
        'graphiql:tabState',
      );
      const before = await tabs();
      await open(`${base}/graphql`, 'revisited');
      await editorShows(NAMES[1] ?? '');
      expect(await tabs(), `screenshots in ${shots}`).toEqual(before);
      expect((await tabs()).some((t) => t.startsWith('<untitled>'))).toBe(false);
      expect(pageErrors).toEqual([]);
    }, 300_000);
  },
);
