import type { Context } from '@opentelemetry/api';
import { SpanKind, SpanStatusCode, trace } from '@opentelemetry/api';
import { currentRequestId } from '../request-scope.js';
import { VERSION } from '../version.js';
import { traceHeaders } from './trace-context.js';

/*
 * One CLIENT span per attempt of a call to Open Humans, started before the call so that its
 * `traceparent` goes out with it (the sandbox, or Open Humans, sees the gateway's span as
 * parent). The parent is the span of the incoming request the call is made for, found through
 * the request scope; calls outside a request (readiness probe, background refresh) get none.
 * Attributes follow the OpenTelemetry HTTP client conventions; the URL is the redacted one.
 */

export const TRACER_NAME = 'openhumans-graphql';

/** Trace contexts of the requests in flight, by request id (set and cleared by GatewayTracing). */
const requestContexts = new Map<string, Context>();

export function setRequestTraceContext(requestId: string, context: Context): void {
  requestContexts.set(requestId, context);
}

export function clearRequestTraceContext(requestId: string, context: Context): void {
  if (requestContexts.get(requestId) === context) requestContexts.delete(requestId);
}

/** What the HTTP layer holds for one attempt. */
export interface UpstreamSpan {
  /** `traceparent` (and `tracestate`) to send. */
  headers: Record<string, string>;
  /** Ends the span: the status when one came back, and the outcome (`ok` or the failure kind). */
  end(status: number | undefined, outcome: string): void;
}

export interface UpstreamCallInfo {
  route: string;
  method: string;
  /** The URL with secrets redacted (`url.full`). */
  redactedUrl: string;
  /** The real URL, for `server.address` and `server.port` only. */
  url: URL;
}

/** Starts the CLIENT span of one attempt, or returns undefined outside a traced request. */
export function startUpstreamSpan(call: UpstreamCallInfo): UpstreamSpan | undefined {
  const requestId = currentRequestId();
  const parent = requestId ? requestContexts.get(requestId) : undefined;
  if (!parent) return undefined;
  const span = trace.getTracer(TRACER_NAME, VERSION).startSpan(
    call.method,
    {
      kind: SpanKind.CLIENT,
      attributes: {
        'http.request.method': call.method,
        'url.full': call.redactedUrl,
        'server.address': call.url.hostname,
        'server.port': Number(call.url.port || (call.url.protocol === 'https:' ? 443 : 80)),
        'openhumans.route': call.route,
      },
    },
    parent,
  );
  // Without an SDK the span is a no-op carrying the parent's ids: the incoming trace goes on as is.
  const headers = traceHeaders(trace.setSpan(parent, span));
  return {
    headers,
    end(status, outcome) {
      if (status !== undefined) span.setAttribute('http.response.status_code', status);
      if (outcome !== 'ok') {
        // error.type: the status code for HTTP errors, else the failure kind (timeout,
        // connection...).
        span.setAttribute(
          'error.type',
          status !== undefined && status >= 400 ? String(status) : outcome,
        );
        span.setStatus({ code: SpanStatusCode.ERROR });
      }
      span.end();
    },
  };
}
