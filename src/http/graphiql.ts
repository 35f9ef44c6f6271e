import { createHash } from 'node:crypto';
import type { GraphQLSchema } from 'graphql';
import type { GraphiQLOptions, Plugin } from 'graphql-yoga';
import { shouldRenderGraphiQL } from 'graphql-yoga';
import type { Encoding } from './compression.js';
import { asBody, compress, negotiateEncoding } from './compression.js';
import { examplesFor } from './graphiql-examples.js';
import { withPageFixes } from './graphiql-page-fixes.js';

/**
 * GraphiQL served fully offline: `@graphql-yoga/render-graphiql` inlines its CSS, JS and Monaco
 * workers (no CDN), which makes a ~9 MB page. It is imported lazily (0.5 s and 9 MB of memory
 * that production without GraphiQL never pays), rendered once, and compressed once per
 * encoding, so a browser downloads well under 2 MB.
 */
export class GraphiQLPage {
  private html: Promise<Buffer> | undefined;
  private csp: string | undefined;
  private readonly encoded = new Map<Encoding, Promise<Buffer>>();

  constructor(private readonly options: () => GraphiQLOptions) {}

  /** The page, compressed when `acceptEncoding` allows, and its Content-Security-Policy. */
  async body(
    acceptEncoding: string | null,
  ): Promise<{ body: Buffer; encoding: Encoding | null; csp: string }> {
    const raw = await this.raw();
    const csp = this.csp ?? FALLBACK_CSP;
    const encoding = negotiateEncoding(acceptEncoding);
    if (!encoding) return { body: raw, encoding: null, csp };
    let pending = this.encoded.get(encoding);
    if (!pending) {
      pending = compress(raw, encoding);
      this.encoded.set(encoding, pending);
      pending.catch(() => this.encoded.delete(encoding));
    }
    return { body: await pending, encoding, csp };
  }

  private raw(): Promise<Buffer> {
    this.html ??= (async () => {
      const { renderGraphiQL } = await import('@graphql-yoga/render-graphiql');
      const options = this.options();
      // Tabs that switch on the first click and no empty tab per visit (graphiql-page-fixes.ts);
      // the CSP hashes the scripts of the page as served, fixes included.
      const html = withPageFixes(renderGraphiQL(options), JSON.stringify(options));
      this.csp = contentSecurityPolicy(html);
      return Buffer.from(html, 'utf8');
    })();
    this.html.catch(() => {
      this.html = undefined;
    });
    return this.html;
  }
}

/** GraphiQL options: title and the example tabs that the current schema can run. */
export function graphiqlOptions(schema: GraphQLSchema, endpoint: string): GraphiQLOptions {
  const tabs = examplesFor(schema);
  return {
    title: 'Open Humans GraphQL',
    endpoint,
    defaultQuery: tabs[0]?.query ?? '{ __typename }',
    defaultTabs: tabs.map((t) => ({
      query: t.query,
      variables: t.variables ?? null,
      headers: t.headers ?? null,
    })),
    // Tokens typed into the headers pane stay out of the browser's storage.
    shouldPersistHeaders: false,
  };
}

/** Answers `GET /graphql` from browsers (Accept: text/html) with the offline GraphiQL page. */
export function useOfflineGraphiQL(endpoint: string, page: GraphiQLPage): Plugin {
  return {
    async onRequest({ request, url, endResponse, fetchAPI }) {
      if (url.pathname !== endpoint || !shouldRenderGraphiQL(request)) return;
      const { body, encoding, csp } = await page.body(request.headers.get('accept-encoding'));
      const headers: Record<string, string> = {
        'content-type': 'text/html; charset=utf-8',
        'content-length': String(body.length),
        vary: 'Accept-Encoding',
        'cache-control': 'no-cache',
        // Nothing outside the gateway's origin, no framing (clickjacking), no sniffing, no
        // referrer.
        'content-security-policy': csp,
        'x-frame-options': 'DENY',
        'x-content-type-options': 'nosniff',
        'referrer-policy': 'no-referrer',
        'cross-origin-opener-policy': 'same-origin',
      };
      if (encoding) headers['content-encoding'] = encoding;
      endResponse(new fetchAPI.Response(asBody(body), { status: 200, headers }));
    },
  };
}

/** Used only if the page was rendered by an older instance of this class: no inline script runs. */
const FALLBACK_CSP =
  "default-src 'self'; script-src 'self'; frame-ancestors 'none'; base-uri 'none'; object-src 'none'";

/**
 * A strict policy for the rendered page: scripts only by the hashes of its own inline scripts
 * (no 'unsafe-inline' for scripts), requests only to the gateway itself, Monaco's workers from
 * blob: URLs the page creates (same origin), images and fonts inlined as data:, never framed.
 * Styles allow inline: Monaco and GraphiQL inject <style> elements at run time.
 */
export function contentSecurityPolicy(html: string): string {
  const hashes = [...html.matchAll(/<script(?:\s[^>]*)?>([\s\S]*?)<\/script>/g)]
    .map((m) => m[1] ?? '')
    .filter((code) => code.trim() !== '')
    .map((code) => `'sha256-${createHash('sha256').update(code, 'utf8').digest('base64')}'`);
  return [
    "default-src 'self'",
    `script-src 'self' ${hashes.join(' ')}`.trim(),
    "style-src 'self' 'unsafe-inline'",
    "img-src 'self' data:",
    "font-src 'self' data:",
    "connect-src 'self'",
    "worker-src 'self' blob:",
    "frame-ancestors 'none'",
    "base-uri 'none'",
    "form-action 'self'",
    "object-src 'none'",
  ].join('; ');
}
