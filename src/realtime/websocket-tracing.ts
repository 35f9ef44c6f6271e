import { SpanKind, trace } from '@opentelemetry/api';
import type { DocumentNode } from 'graphql';
import { getOperationAST } from 'graphql';
import { requestIdOf } from '../http/request-id.js';
import { extractTraceContext } from '../observability/trace-context.js';
import {
  clearRequestTraceContext,
  setRequestTraceContext,
  TRACER_NAME,
} from '../observability/upstream-spans.js';
import { VERSION } from '../version.js';

/**
 * One SERVER span per operation over WebSocket (a socket carries many operations, so the span
 * is the operation's, not the connection's), a child of the `traceparent` sent on the upgrade.
 * Upstream calls made for the operation find it through its request id, as over HTTP.
 * @returns a function ending the span (called once the operation completes or the socket closes).
 */
export function startOperationSpan(
  request: Request,
  document: DocumentNode,
  operationName: string | null | undefined,
): () => void {
  const parent = extractTraceContext(request.headers);
  const operation = getOperationAST(document, operationName);
  const name = operation
    ? operation.name
      ? `${operation.operation} ${operation.name.value}`
      : operation.operation
    : 'graphql';
  const span = trace.getTracer(TRACER_NAME, VERSION).startSpan(
    name,
    {
      kind: SpanKind.SERVER,
      attributes: {
        'network.protocol.name': 'websocket',
        ...(operation ? { 'graphql.operation.type': operation.operation } : {}),
        ...(operation?.name ? { 'graphql.operation.name': operation.name.value } : {}),
      },
    },
    parent,
  );
  if (!span.isRecording() && !trace.getSpanContext(parent)) return () => undefined;
  const id = requestIdOf(request);
  if (span.isRecording()) span.setAttribute('request.id', id);
  const context = trace.setSpan(parent, span);
  setRequestTraceContext(id, context);
  let ended = false;
  return () => {
    if (ended) return;
    ended = true;
    clearRequestTraceContext(id, context);
    span.end();
  };
}
