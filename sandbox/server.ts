// The node:http server: resolves routes like Django (with APPEND_SLASH), counts and logs API calls,
// injects latency and faults, and answers unhandled errors with the HTML 500 page.
import { createServer, type IncomingMessage, type Server, type ServerResponse } from 'node:http';
import type { FaultRule } from './controls.js';
import { handleControls } from './controls-routes.js';
import {
  page,
  queryParam,
  type RouteContext,
  sendHtml,
  sendJson,
  sendMethodNotAllowed,
  sendNotFoundPage,
  sendServerError,
} from './http.js';
import { redactAuthorization, redactUrl } from './redact.js';
import { allowHeader, matchRoute, methodAllowed, type Route } from './router.js';
import { routeModules } from './routes/index.js';
import type { SandboxState } from './state.js';

export function allRoutes(): Route[] {
  return routeModules.flat();
}

export function createSandboxServer(state: SandboxState, routes: Route[] = allRoutes()): Server {
  const server = createServer((req, res) => {
    dispatch(state, routes, req, res).catch(() => {
      if (!res.headersSent)
        res
          .writeHead(500, { 'Content-Type': 'text/html' })
          .end(page('Server Error (500)', '<h1>Server Error (500)</h1>'));
    });
  });
  server.keepAliveTimeout = 65_000;
  // Connections every client holds open, for tests that bound a gateway's connection pool.
  server.on('connection', (socket) => {
    state.controls.connectionsOpen(1);
    socket.once('close', () => state.controls.connectionsOpen(-1));
  });
  return server;
}

async function dispatch(
  state: SandboxState,
  routes: Route[],
  req: IncomingMessage,
  res: ServerResponse,
): Promise<void> {
  let url: URL;
  try {
    url = new URL(req.url ?? '/', `http://${req.headers.host ?? '127.0.0.1'}`);
  } catch {
    res
      .writeHead(400, { 'Content-Type': 'text/html' })
      .end(page('Bad Request (400)', '<h1>Bad Request (400)</h1>'));
    return;
  }
  const ctx: RouteContext = { req, res, url, params: [], state, route: null };
  if (url.pathname.startsWith('/__sandbox/')) return handleControls(ctx);

  const found: Matched | null =
    matchRoute(routes, url.pathname, req.method ?? 'GET') ??
    matchFormatSuffix(routes, url.pathname, req.method ?? 'GET');
  if (!found) {
    // Django CommonMiddleware APPEND_SLASH: 301 to the slash form when that one resolves.
    if (!url.pathname.endsWith('/') && matchRoute(routes, `${url.pathname}/`)) {
      const location = `${url.pathname}/${url.search}`;
      res.writeHead(301, { Location: location, 'Content-Length': 0 }).end();
      return;
    }
    return sendNotFoundPage(ctx);
  }
  const { route, params } = found;
  ctx.params = params;
  ctx.route = route.id;
  // DRF format override (`?format=` or a `.json` suffix): json (and api, whose browsable HTML the
  // sandbox does not render) are served; any other format is a DRF 404.
  const format =
    found.format ?? (url.pathname.startsWith('/api/') ? (queryParam(url, 'format') ?? null) : null);
  if (format !== null && format !== undefined && format !== 'json' && format !== 'api') {
    return sendJson(ctx, 404, { detail: 'Not found.' });
  }

  if (route.id) {
    const id = route.id;
    state.controls.count(id);
    state.controls.callsInFlight(1);
    const started = state.now();
    const arrived = performance.now();
    let fault: FaultRule | undefined;
    res.on('close', () => {
      state.controls.callsInFlight(-1);
      state.controls.callAnswered(performance.now() - arrived);
      state.controls.record({
        time: started,
        route: id,
        method: req.method ?? 'GET',
        url: redactUrl(req.url ?? '/'),
        authorization: redactAuthorization(req.headers.authorization),
        traceparent: typeof req.headers.traceparent === 'string' ? req.headers.traceparent : null,
        status: res.headersSent ? res.statusCode : 0,
        ...(fault ? { fault: fault.kind } : {}),
      });
    });
    const delay = state.controls.nextDelay();
    if (delay > 0) await new Promise((resolve) => setTimeout(resolve, delay));
    fault = state.controls.pickFault(id);
    if (fault && applyFault(ctx, fault)) return;
  }

  const method = req.method ?? 'GET';
  if (method === 'OPTIONS' && !route.methods.includes('OPTIONS')) {
    return sendJson(
      ctx,
      200,
      {
        name: route.id ?? '',
        description: '',
        renders: ['application/json', 'text/html'],
        parses: ['application/json', 'application/x-www-form-urlencoded', 'multipart/form-data'],
      },
      {},
      allowHeader(route),
    );
  }
  try {
    if (!methodAllowed(route, method)) {
      if (route.onOtherMethod) await route.onOtherMethod(ctx);
      else sendMethodNotAllowed(ctx, allowHeader(route));
      return;
    }
    await route.handle(ctx);
  } catch {
    sendServerError(ctx);
  }
}

/** `format_suffix_patterns`: `/api/…/datafiles.json` resolves like `/api/…/datafiles/`. */
type Matched = { route: Route; params: string[]; format?: string };

function matchFormatSuffix(routes: Route[], pathname: string, method: string): Matched | null {
  const m = /^(\/api\/.*?)\.([a-z0-9]+)\/?$/.exec(pathname);
  if (!m) return null;
  const found = matchRoute(routes, `${m[1] ?? ''}/`, method);
  return found ? { ...found, format: m[2] ?? '' } : null;
}

/** Applies an injected fault; returns true when the request is fully handled by it. */
function applyFault(ctx: RouteContext, fault: FaultRule): boolean {
  switch (fault.kind) {
    case 'status': {
      const status = fault.status ?? 503;
      sendHtml(
        ctx,
        status,
        page(
          `Error ${status}`,
          `<h1>Error ${status}</h1><p>Injected by the Open Humans sandbox.</p>`,
        ),
      );
      return true;
    }
    case 'hang':
      // Never answer; close() tears the socket down.
      return true;
    case 'reset':
      ctx.req.socket.resetAndDestroy?.() ?? ctx.req.socket.destroy();
      return true;
    case 'truncate':
      ctx.truncate = true;
      return false;
  }
}
