// Response helpers shared by every route: production's headers, compact JSON (DRF JSONRenderer),
// Django's HTML error pages, and the "truncated JSON" fault hook.
import type { IncomingMessage, ServerResponse } from 'node:http';
import type { RouteId } from './data/types.js';
import type { SandboxState } from './state.js';

export interface RouteContext {
  req: IncomingMessage;
  res: ServerResponse;
  /** Parsed request URL (host from the Host header). */
  url: URL;
  /** Regex groups of the matched route. */
  params: string[];
  state: SandboxState;
  route: RouteId | null;
  /** Set by fault injection: send only part of the body, then drop the connection. */
  truncate?: boolean;
}

const API_HEADERS: Record<string, string> = {
  Vary: 'Accept, Accept-Language, Cookie',
  'X-Frame-Options': 'SAMEORIGIN',
  'Cache-Control': 'no-cache, no-store, must-revalidate, max-age=0, private',
};

export function send(
  ctx: RouteContext,
  status: number,
  body: string | Buffer,
  headers: Record<string, string | number> = {},
): void {
  const { res } = ctx;
  if (res.headersSent || res.destroyed) return;
  const buf = typeof body === 'string' ? Buffer.from(body, 'utf8') : body;
  const all: Record<string, string | number> = { 'Content-Length': buf.length, ...headers };
  if (ctx.url.pathname.startsWith('/api/')) all['Access-Control-Allow-Origin'] = '*';
  res.writeHead(status, all);
  if (ctx.truncate && buf.length > 1) {
    // The peer sees a body cut short of its Content-Length, then a closed connection.
    res.write(buf.subarray(0, Math.floor(buf.length / 2)), () => res.destroy());
    return;
  }
  res.end(buf);
}

/** A DRF JSON response (compact separators, like JSONRenderer). */
export function sendJson(
  ctx: RouteContext,
  status: number,
  body: unknown,
  extra: Record<string, string> = {},
  allow = 'GET, HEAD, OPTIONS',
): void {
  send(ctx, status, JSON.stringify(body), {
    'Content-Type': 'application/json',
    ...API_HEADERS,
    Allow: allow,
    ...extra,
  });
}

/** A JSON response whose body is already serialized. */
export function sendJsonText(
  ctx: RouteContext,
  status: number,
  text: string,
  allow = 'GET, HEAD, OPTIONS',
): void {
  send(ctx, status, text, { 'Content-Type': 'application/json', ...API_HEADERS, Allow: allow });
}

export function sendHtml(
  ctx: RouteContext,
  status: number,
  html: string,
  extra: Record<string, string> = {},
): void {
  send(ctx, status, html, {
    'Content-Type': 'text/html; charset=utf-8',
    'X-Frame-Options': 'SAMEORIGIN',
    ...extra,
  });
}

/** Open Humans' handler500 page (HTML, never JSON). */
export function sendServerError(ctx: RouteContext): void {
  sendHtml(
    ctx,
    500,
    page(
      'Server Error (500)',
      '<h1>Server Error (500)</h1><p>Sorry, something went wrong. We have been notified.</p>',
    ),
  );
}

/** Django's 404 for paths no route matches. */
export function sendNotFoundPage(ctx: RouteContext): void {
  sendHtml(
    ctx,
    404,
    page(
      'Not Found',
      `<h1>Not Found</h1><p>The requested resource was not found on this server.</p>`,
    ),
  );
}

/** DRF detail 404 (DRF 3.15 keeps Django's message). */
export function sendDetailNotFound(ctx: RouteContext, model: string): void {
  sendJson(ctx, 404, { detail: `No ${model} matches the given query.` });
}

export function sendMethodNotAllowed(ctx: RouteContext, allow: string): void {
  sendJson(ctx, 405, { detail: `Method "${ctx.req.method ?? ''}" not allowed.` }, {}, allow);
}

export function page(title: string, body: string): string {
  return `<!DOCTYPE html>\n<html lang="en"><head><meta charset="utf-8"><title>${title} | Open Humans</title></head><body>${body}</body></html>\n`;
}

/** Reads a whole request body, up to `limit` bytes (413-free: the caller decides). */
export async function readBody(req: IncomingMessage, limit = 10 * 1024 * 1024): Promise<Buffer> {
  const chunks: Buffer[] = [];
  let size = 0;
  for await (const chunk of req) {
    const b = chunk as Buffer;
    size += b.length;
    if (size > limit) throw new Error('request body too large');
    chunks.push(b);
  }
  return Buffer.concat(chunks);
}

/** Last value of a query parameter, like Django's QueryDict `[]`/`.get`. */
export function queryParam(url: URL, name: string): string | undefined {
  const all = url.searchParams.getAll(name);
  return all.length ? all[all.length - 1] : undefined;
}
