import type { Plugin } from 'graphql-yoga';
import type { Logger } from '../logger.js';
import { requestIdFrom, withRequestIdFor } from '../request-scope.js';

const ids = new WeakMap<Request, { id: string; started: number }>();

/** The request id assigned to `request` by `useRequestId` (generated if the plugin did not run). */
export function requestIdOf(request: Request): string {
  let entry = ids.get(request);
  if (!entry) {
    entry = { id: requestIdFrom(request.headers.get('x-request-id')), started: performance.now() };
    ids.set(request, entry);
  }
  return entry.id;
}

/**
 * `x-request-id`: accepted when well-formed, else generated; returned on every response; and
 * the whole handling runs inside the request scope, so every log line (ours and yoga's) carries
 * it. Also writes one access-log line per request.
 */
export function useRequestId(logger: Logger): Plugin {
  return {
    instrumentation: {
      request: ({ request }, wrapped) => withRequestIdFor(request, requestIdOf(request), wrapped),
    },
    onRequest({ request }) {
      requestIdOf(request);
    },
    onResponse({ request, response }) {
      const entry = ids.get(request);
      const id = entry?.id ?? requestIdOf(request);
      response.headers.set('x-request-id', id);
      const url = new URL(request.url);
      const quiet = url.pathname === '/health' || url.pathname === '/readiness';
      logger[quiet ? 'debug' : 'info']('request', {
        requestId: id,
        method: request.method,
        path: url.pathname, // never the query string: GET operations carry variables
        status: response.status,
        durationMs: entry ? Math.round(performance.now() - entry.started) : undefined,
      });
    },
  };
}
