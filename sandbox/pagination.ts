// DRF LimitOffsetPagination exactly (docs/upstream.md §3): default 100, no maximum, bad limit →
// 100, bad/negative offset → 0, links from the request's own host with parameters re-encoded in
// sorted key order, `offset` dropped from `previous` when it would be ≤ 0.
import { queryParam, type RouteContext } from './http.js';

export const DEFAULT_LIMIT = 100;

export interface Paged<T> {
  count: number;
  next: string | null;
  previous: string | null;
  results: T[];
}

/** Python `int()` on a query string value: surrounding whitespace, sign, `_` separators. */
export function pythonInt(raw: string): number | null {
  const s = raw.trim();
  if (!/^[+-]?\d+(_\d+)*$/.test(s)) return null;
  const n = Number(s.replace(/_/g, ''));
  return Number.isSafeInteger(n) ? n : null;
}

export function parseLimit(raw: string | undefined): number {
  if (raw === undefined) return DEFAULT_LIMIT;
  const n = pythonInt(raw);
  return n === null || n <= 0 ? DEFAULT_LIMIT : n; // strict: 0 is invalid too
}

export function parseOffset(raw: string | undefined): number {
  if (raw === undefined) return 0;
  const n = pythonInt(raw);
  return n === null || n < 0 ? 0 : n;
}

/** Pages a precomputed list: O(page). `items` may be any array-like with slice. */
export function paginate<T, R>(
  ctx: RouteContext,
  items: readonly T[],
  render: (item: T) => R,
): Paged<R> {
  const limit = parseLimit(queryParam(ctx.url, 'limit'));
  const offset = parseOffset(queryParam(ctx.url, 'offset'));
  const count = items.length;
  const slice = count === 0 || offset > count ? [] : items.slice(offset, offset + limit);
  return { count, ...withLinks(ctx, count, limit, offset), results: slice.map(render) };
}

/**
 * `paginate` producing the JSON text directly from per-item JSON strings (hot lists: P1, P5, P8,
 * P12). Same keys, order and values as `JSON.stringify(paginate(...))`.
 */
export function paginateJson<T>(
  ctx: RouteContext,
  items: readonly T[],
  renderJson: (item: T) => string,
): string {
  const limit = parseLimit(queryParam(ctx.url, 'limit'));
  const offset = parseOffset(queryParam(ctx.url, 'offset'));
  const count = items.length;
  const page = withLinks(ctx, count, limit, offset);
  const slice = count === 0 || offset > count ? [] : items.slice(offset, offset + limit);
  return `{"count":${count},"next":${JSON.stringify(page.next)},"previous":${JSON.stringify(page.previous)},"results":[${slice.map(renderJson).join(',')}]}`;
}

function withLinks(
  ctx: RouteContext,
  count: number,
  limit: number,
  offset: number,
): { next: string | null; previous: string | null } {
  return {
    next:
      offset + limit >= count
        ? null
        : linkWith(ctx, { limit: String(limit), offset: String(offset + limit) }),
    previous:
      offset <= 0
        ? null
        : offset - limit <= 0
          ? linkWith(ctx, { limit: String(limit), offset: null })
          : linkWith(ctx, { limit: String(limit), offset: String(offset - limit) }),
  };
}

/**
 * `request.build_absolute_uri()` with params replaced (null = removed), re-encoded sorted by key.
 */
export function linkWith(ctx: RouteContext, replace: Record<string, string | null>): string {
  const raw = ctx.req.url ?? '/';
  const q = raw.indexOf('?');
  const path = q < 0 ? raw : raw.slice(0, q);
  const pairs = parseQs(q < 0 ? '' : raw.slice(q + 1));
  for (const [k, v] of Object.entries(replace)) {
    pairs.delete(k);
    if (v !== null) pairs.set(k, [v]);
  }
  const keys = [...pairs.keys()].sort(comparePython);
  const query = keys
    .flatMap((k) => (pairs.get(k) ?? []).map((v) => `${quotePlus(k)}=${quotePlus(v)}`))
    .join('&');
  const proto = ctx.req.headers['x-forwarded-proto'] === 'https' ? 'https' : 'http';
  const host = ctx.req.headers.host ?? `${ctx.url.host}`;
  return `${proto}://${host}${path}${query ? `?${query}` : ''}`;
}

/** `urllib.parse.parse_qs(keep_blank_values=True)`: ordered keys, repeated values kept. */
function parseQs(qs: string): Map<string, string[]> {
  const out = new Map<string, string[]>();
  for (const part of qs.split(/[&;]/)) {
    if (!part) continue;
    const eq = part.indexOf('=');
    const k = unquotePlus(eq < 0 ? part : part.slice(0, eq));
    const v = unquotePlus(eq < 0 ? '' : part.slice(eq + 1));
    const list = out.get(k);
    if (list) list.push(v);
    else out.set(k, [v]);
  }
  return out;
}

function unquotePlus(s: string): string {
  try {
    return decodeURIComponent(s.replace(/\+/g, ' '));
  } catch {
    return s.replace(/\+/g, ' ');
  }
}

/** `urllib.parse.quote_plus`: only A-Z a-z 0-9 _ . - ~ stay literal; space becomes '+'. */
export function quotePlus(s: string): string {
  let out = '';
  for (const byte of Buffer.from(s, 'utf8')) {
    const c = String.fromCharCode(byte);
    if (/[A-Za-z0-9_.\-~]/.test(c)) out += c;
    else if (c === ' ') out += '+';
    else out += `%${byte.toString(16).toUpperCase().padStart(2, '0')}`;
  }
  return out;
}

/** Python sorts str by code point. */
function comparePython(a: string, b: string): number {
  const ca = [...a].map((c) => c.codePointAt(0) ?? 0);
  const cb = [...b].map((c) => c.codePointAt(0) ?? 0);
  for (let i = 0; i < Math.min(ca.length, cb.length); i++) {
    if (ca[i] !== cb[i]) return (ca[i] ?? 0) - (cb[i] ?? 0);
  }
  return ca.length - cb.length;
}
