import type { Plugin } from 'graphql-yoga';
import { ErrorCode } from '../errors.js';

/*
 * Streaming HTTP transports yoga does not serve for subscriptions get a coded GraphQL error
 * instead of a bare 405/406 with an empty body:
 *
 * - graphql-sse's "single connection" mode (a `PUT` reservation, then operations carrying an
 *   `x-graphql-event-stream-token`). Its reservations are server-side state kept until a stream
 *   attaches, keyed by a bearer-like token; the distinct-connections mode (one SSE response per
 *   operation) and WebSocket cover the same needs without it.
 * - Apollo Client's multipart HTTP subscriptions (`Accept: multipart/mixed;subscriptionSpec=1.0`):
 *   yoga streams multipart only for @defer/@stream results, not for subscriptions, and not in
 *   the `{ payload }` framing that Apollo's subscription spec wants.
 */

const STREAM_TOKEN_HEADER = 'x-graphql-event-stream-token';

/** Where to go instead; part of every refusal's message. */
const USE_INSTEAD =
  'Use WebSocket (graphql-transport-ws) or Server-Sent Events (distinct connections mode, Accept: text/event-stream).';

function refusal(status: number, message: string, transport: string): Response {
  const body = {
    errors: [
      {
        message: `${message} ${USE_INSTEAD}`,
        extensions: { code: ErrorCode.BAD_USER_INPUT, transport },
      },
    ],
  };
  return new Response(JSON.stringify(body), {
    status,
    headers: { 'content-type': 'application/json; charset=utf-8' },
  });
}

function isSingleConnectionSse(request: Request, url: URL): boolean {
  if (request.method === 'PUT') return true;
  if (request.headers.has(STREAM_TOKEN_HEADER)) return true;
  return (
    request.method === 'GET' && url.searchParams.has('token') && !url.searchParams.has('query')
  );
}

const isAsyncIterable = (value: unknown): value is AsyncIterable<unknown> =>
  typeof value === 'object' && value !== null && Symbol.asyncIterator in value;

/** Asked for multipart (Apollo's subscription spec or plain) and not for SSE. */
function wantsMultipartOnly(request: Request): boolean {
  const accept = (request.headers.get('accept') ?? '').toLowerCase();
  return accept.includes('multipart/mixed') && !accept.includes('text/event-stream');
}

/** Refuses the transports above on `paths` with a 406 whose body carries `extensions.code`. */
export function useUnsupportedTransportErrors(paths: readonly string[]): Plugin {
  const served = new Set(paths);
  return {
    onRequest({ request, url, endResponse }) {
      if (!served.has(url.pathname) || !isSingleConnectionSse(request, url)) return;
      endResponse(
        refusal(
          406,
          "graphql-sse's single connection mode is not served.",
          'graphql-sse-single-connection',
        ),
      );
    },
    onResultProcess({ request, result, resultProcessor, setResultProcessor }) {
      // Only a live subscription that yoga found no streaming processor for (it would answer 406,
      // empty).
      if (resultProcessor || !isAsyncIterable(result) || !wantsMultipartOnly(request)) return;
      const iterator = result[Symbol.asyncIterator]();
      // End the subscription at once: nobody will read it.
      void iterator.return?.();
      setResultProcessor(
        () =>
          refusal(
            406,
            'Subscriptions over multipart HTTP (Apollo Client) are not supported.',
            'multipart-subscription',
          ),
        'application/json',
      );
    },
  };
}
