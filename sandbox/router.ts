// A tiny router mirroring Django's URL resolution: `path()` routes match exactly, `re_path()`
// routes are searched (unanchored end, and start within their include), first match wins.
import type { RouteId } from './data/types.js';
import type { RouteContext } from './http.js';

export interface Route {
  /** Counter/log/fault id; null for routes outside the contract (e.g. pages). */
  id: RouteId | null;
  /** Tested against the URL pathname; groups become `ctx.params`. */
  pattern: RegExp;
  /** Allowed methods; GET implies HEAD; OPTIONS is always answered. */
  methods: readonly string[];
  handle(ctx: RouteContext): void | Promise<void>;
  /**
   * Answers a disallowed method instead of the generic 405 (e.g. after authenticating, like DRF).
   */
  onOtherMethod?(ctx: RouteContext): void | Promise<void>;
}

const escapeRegExp = (s: string): string => s.replace(/[.*+?^${}()|[\]\\]/g, '\\$&');

/** Django `path(prefix + route)`: exact match (trailing slash included). */
export function exactPath(fullPath: string): RegExp {
  return new RegExp(`^${escapeRegExp(fullPath)}$`);
}

/** Django `re_path(regex)` inside an include mounted at `mount`: `regex.search` on the rest. */
export function rePath(mount: string, regex: string): RegExp {
  return new RegExp(`^${escapeRegExp(mount)}.*?${regex}`);
}

/**
 * The first route whose pattern matches and that allows `method`; failing that, the first whose
 * pattern matches (it answers 405). Two modules may so share a path with different methods.
 */
export function matchRoute(
  routes: readonly Route[],
  pathname: string,
  method?: string,
): { route: Route; params: string[] } | null {
  let fallback: { route: Route; params: string[] } | null = null;
  for (const route of routes) {
    const m = route.pattern.exec(pathname);
    if (!m) continue;
    const found = { route, params: m.slice(1).map((g) => g ?? '') };
    if (method === undefined || methodAllowed(route, method)) return found;
    fallback ??= found;
  }
  return fallback;
}

export function allowHeader(route: Route): string {
  const methods = new Set(route.methods);
  if (methods.has('GET')) methods.add('HEAD');
  methods.add('OPTIONS');
  const order = ['GET', 'POST', 'PUT', 'PATCH', 'DELETE', 'HEAD', 'OPTIONS'];
  return order.filter((m) => methods.has(m)).join(', ');
}

export function methodAllowed(route: Route, method: string): boolean {
  return route.methods.includes(method) || (method === 'HEAD' && route.methods.includes('GET'));
}
