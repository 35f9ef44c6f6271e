/**
 * Headless Debian Chromium for browser tests, driven by playwright-core.
 * Browsers are never downloaded: without `/usr/bin/chromium` a browser suite skips with a clear
 * message locally, and fails under `CI=true` (`.ci/run` installs Debian's chromium).
 *
 *   describe.skipIf(!chromiumAvailable('GraphiQL browser test'))('…', () => {
 *     const browser = await launchChromium();
 *   });
 */
import { accessSync, constants } from 'node:fs';
import type { Browser } from 'playwright-core';
import { chromium } from 'playwright-core';

export const CHROMIUM = '/usr/bin/chromium';

/** Flags that keep Chromium quiet and local: no background or component traffic, no QUIC. */
export const CHROMIUM_ARGS = [
  '--headless',
  '--no-sandbox',
  '--disable-gpu',
  '--disable-background-networking',
  '--disable-component-update',
  '--disable-sync',
  '--no-first-run',
  '--disable-quic',
  '--disable-domain-reliability',
  '--disable-breakpad',
  '--no-pings',
];

/** Whether Chromium is installed; throws under CI=true when it is not (the suite must run). */
export function chromiumAvailable(suite: string): boolean {
  try {
    accessSync(CHROMIUM, constants.X_OK);
    return true;
  } catch {
    if (process.env.CI === 'true') {
      throw new Error(
        `${suite}: ${CHROMIUM} is required under CI=true (.ci/run installs Debian's chromium)`,
      );
    }
    console.warn(`SKIPPING ${suite}: ${CHROMIUM} not found (apt-get install chromium to run it).`);
    return false;
  }
}

export function launchChromium(): Promise<Browser> {
  return chromium.launch({ executablePath: CHROMIUM, headless: true, args: CHROMIUM_ARGS });
}

/** URLs that stay on this machine: loopback hosts, and blob:/data: (inline resources). */
export function isLocalUrl(url: string): boolean {
  if (url.startsWith('blob:') || url.startsWith('data:') || url === 'about:blank') return true;
  try {
    const { protocol, hostname } = new URL(url);
    if (protocol !== 'http:' && protocol !== 'https:' && protocol !== 'ws:' && protocol !== 'wss:')
      return false;
    return (
      hostname === 'localhost' || hostname === '[::1]' || /^127(?:\.\d{1,3}){3}$/.test(hostname)
    );
  } catch {
    return false;
  }
}
