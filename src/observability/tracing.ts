import { ROOT_CONTEXT, SpanKind, SpanStatusCode, trace } from '@opentelemetry/api';
import type { Span } from '@opentelemetry/api';
import { getOperationAST } from 'graphql';
import type { Plugin } from 'graphql-yoga';
import { requestIdOf } from '../http/request-id.js';
import { currentRequestId } from '../request-scope.js';
import { VERSION } from '../version.js';

/*
 * OpenTelemetry tracing through the API only: with no SDK registered in the process every span
 * is a no-op (nothing is recorded or kept). Register an SDK and exporter when starting the
 * process (e.g. `node --import ./otel.js src/main.ts` with @opentelemetry/sdk-node) to get one
 * SERVER span per GraphQL request and one CLIENT span per Open Humans call beneath it. Span
 * attributes carry route ids, methods, statuses and operation names: never URLs or tokens.
 */

const TRACER_NAME = 'openhumans-graphql';

export class GatewayTracing {
  /** Recording request spans by request id, so upstream calls find their parent. */
  private readonly active = new Map<string, Span>();
  private readonly byRequest = new WeakMap<Request, { span: Span; id: string }>();

  private get tracer() {
    return trace.getTracer(TRACER_NAME, VERSION);
  }

  /** One SERVER span per request to the GraphQL endpoints. */
  plugin(graphqlPaths: readonly string[]): Plugin {
    const paths = new Set(graphqlPaths);
    return {
      onRequest: ({ request, url }) => {
        if (!paths.has(url.pathname)) return;
        const span = this.tracer.startSpan(`${request.method} ${url.pathname}`, {
          kind: SpanKind.SERVER,
          attributes: { 'http.request.method': request.method, 'url.path': url.pathname },
        });
        if (!span.isRecording()) return;
        const id = requestIdOf(request);
        span.setAttribute('request.id', id);
        this.active.set(id, span);
        this.byRequest.set(request, { span, id });
      },
      onExecute: ({ args }) => {
        const request = (args.contextValue as { request?: Request }).request;
        const entry = request && this.byRequest.get(request);
        const operation = entry && getOperationAST(args.document, args.operationName);
        if (!entry || !operation) return;
        entry.span.setAttribute('graphql.operation.type', operation.operation);
        if (operation.name) entry.span.setAttribute('graphql.operation.name', operation.name.value);
      },
      onResponse: ({ request, response }) => {
        const entry = this.byRequest.get(request);
        if (!entry) return;
        this.byRequest.delete(request);
        if (this.active.get(entry.id) === entry.span) this.active.delete(entry.id);
        entry.span.setAttribute('http.response.status_code', response.status);
        if (response.status >= 500) entry.span.setStatus({ code: SpanStatusCode.ERROR });
        entry.span.end();
      },
    };
  }

  /** One CLIENT span per upstream call (the HTTP layer's `onCall`, after the call). */
  upstreamCall(event: { route: string; method: string; status: number | undefined; outcome: string; durationMs: number }): void {
    const requestId = currentRequestId();
    const parent = requestId ? this.active.get(requestId) : undefined;
    if (!parent) return; // calls outside a traced request (readiness probe, cache refresh)
    const end = Date.now();
    const span = this.tracer.startSpan(
      `openhumans ${event.route}`,
      {
        kind: SpanKind.CLIENT,
        startTime: end - event.durationMs,
        attributes: {
          'openhumans.route': event.route,
          'http.request.method': event.method,
          'openhumans.outcome': event.outcome,
          ...(event.status !== undefined ? { 'http.response.status_code': event.status } : {}),
        },
      },
      trace.setSpan(ROOT_CONTEXT, parent),
    );
    if (event.outcome !== 'ok') span.setStatus({ code: SpanStatusCode.ERROR, message: event.outcome });
    span.end(end);
  }
}
