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
  private readonly encoded = new Map<Encoding, Promise<Buffer>>();

  constructor(private readonly options: () => GraphiQLOptions) {}

  /** The page, compressed when `acceptEncoding` allows. */
  async body(acceptEncoding: string | null): Promise<{ body: Buffer; encoding: Encoding | null }> {
    const raw = await this.raw();
    const encoding = negotiateEncoding(acceptEncoding);
    if (!encoding) return { body: raw, encoding: null };
    let pending = this.encoded.get(encoding);
    if (!pending) {
      pending = compress(raw, encoding);
      this.encoded.set(encoding, pending);
      pending.catch(() => this.encoded.delete(encoding));
    }
    return { body: await pending, encoding };
  }

  private raw(): Promise<Buffer> {
    this.html ??= (async () => {
      const { renderGraphiQL } = await import('@graphql-yoga/render-graphiql');
      const options = this.options();
      // Tabs that switch on the first click and no empty tab per visit (graphiql-page-fixes.ts).
      return Buffer.from(withPageFixes(renderGraphiQL(options), JSON.stringify(options)), 'utf8');
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
    defaultTabs: tabs.map((t) => ({ query: t.query, variables: t.variables ?? null, headers: t.headers ?? null })),
    // Tokens typed into the headers pane stay out of the browser's storage.
    shouldPersistHeaders: false,
  };
}

/** Answers `GET /graphql` from browsers (Accept: text/html) with the offline GraphiQL page. */
export function useOfflineGraphiQL(endpoint: string, page: GraphiQLPage): Plugin {
  return {
    async onRequest({ request, url, endResponse, fetchAPI }) {
      if (url.pathname !== endpoint || !shouldRenderGraphiQL(request)) return;
      const { body, encoding } = await page.body(request.headers.get('accept-encoding'));
      const headers: Record<string, string> = {
        'content-type': 'text/html; charset=utf-8',
        'content-length': String(body.length),
        vary: 'Accept-Encoding',
        'cache-control': 'no-cache',
      };
      if (encoding) headers['content-encoding'] = encoding;
      endResponse(new fetchAPI.Response(asBody(body), { status: 200, headers }));
    },
  };
}
