import type { Context, Span } from '@opentelemetry/api';
import { SpanKind, SpanStatusCode, trace } from '@opentelemetry/api';
import type { ExecutionArgs } from 'graphql';
import { getOperationAST } from 'graphql';
import type { Plugin } from 'graphql-yoga';
import { requestIdOf } from '../http/request-id.js';
import { VERSION } from '../version.js';
import { extractTraceContext } from './trace-context.js';
import { clearRequestTraceContext, setRequestTraceContext, TRACER_NAME } from './upstream-spans.js';

/*
 * OpenTelemetry tracing through the API: with no SDK registered every span is a no-op, but an
 * incoming W3C `traceparent` is still passed on to Open Humans. With an SDK (OTEL_* variables,
 * src/observability/otel-sdk.ts, or one registered by the host) each request to a traced path
 * gives one SERVER span, a child of the caller's trace, named `{operation type} {operation name}`
 * once the operation is known, and each Open Humans call a CLIENT span beneath it
 * (upstream-spans.ts). Attributes follow the OpenTelemetry conventions for GraphQL and HTTP
 * servers; never a token or a query string.
 */

interface Entry {
  span: Span;
  id: string;
  context: Context;
}

export class GatewayTracing {
  private readonly byRequest = new WeakMap<Request, Entry>();

  private get tracer() {
    return trace.getTracer(TRACER_NAME, VERSION);
  }

  /** One SERVER span per request to `paths` (GraphQL endpoints, the webhook). */
  plugin(paths: readonly string[]): Plugin {
    const traced = new Set(paths);
    const onOperation = ({ args }: { args: ExecutionArgs }): void => {
      const request = (args.contextValue as { request?: Request }).request;
      const entry = request && this.byRequest.get(request);
      const operation = entry && getOperationAST(args.document, args.operationName);
      if (!entry || !operation) return;
      entry.span.setAttribute('graphql.operation.type', operation.operation);
      if (operation.name) entry.span.setAttribute('graphql.operation.name', operation.name.value);
      entry.span.updateName(
        operation.name ? `${operation.operation} ${operation.name.value}` : operation.operation,
      );
    };
    return {
      onRequest: ({ request, url }) => {
        if (!traced.has(url.pathname) || this.byRequest.has(request)) return;
        const parent = extractTraceContext(request.headers);
        const span = this.tracer.startSpan(
          `${request.method} ${url.pathname}`,
          {
            kind: SpanKind.SERVER,
            attributes: {
              'http.request.method': request.method,
              'url.path': url.pathname,
              'url.scheme': url.protocol.replace(':', ''),
            },
          },
          parent,
        );
        // Not recording and no incoming trace: nothing to continue or record.
        if (!span.isRecording() && !trace.getSpanContext(parent)) return;
        const id = requestIdOf(request);
        if (span.isRecording()) span.setAttribute('request.id', id);
        const context = trace.setSpan(parent, span);
        setRequestTraceContext(id, context);
        this.byRequest.set(request, { span, id, context });
      },
      onExecute: onOperation,
      onSubscribe: onOperation,
      onResponse: ({ request, response }) => {
        const entry = this.byRequest.get(request);
        if (!entry) return;
        this.byRequest.delete(request);
        clearRequestTraceContext(entry.id, entry.context);
        entry.span.setAttribute('http.response.status_code', response.status);
        if (response.status >= 500) {
          entry.span.setAttribute('error.type', String(response.status));
          entry.span.setStatus({ code: SpanStatusCode.ERROR });
        }
        entry.span.end();
      },
    };
  }
}
