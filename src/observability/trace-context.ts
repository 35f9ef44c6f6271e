import type { Context, TextMapGetter, TextMapSetter } from '@opentelemetry/api';
import { ROOT_CONTEXT } from '@opentelemetry/api';
import { W3CTraceContextPropagator } from '@opentelemetry/core';

/*
 * W3C trace context (`traceparent`, `tracestate`), read from incoming requests and written on
 * calls to Open Humans. The propagator is used directly, not through the global API, so the
 * trace continues even when no SDK is registered (the incoming trace is then passed on as is).
 */

const propagator = new W3CTraceContextPropagator();

const headersGetter: TextMapGetter<Headers> = {
  keys: (carrier) => [...carrier.keys()],
  get: (carrier, key) => carrier.get(key) ?? undefined,
};

const recordSetter: TextMapSetter<Record<string, string>> = {
  set: (carrier, key, value) => {
    carrier[key] = value;
  },
};

/** The parent context an incoming request names (ROOT when it sends none or a malformed one). */
export function extractTraceContext(headers: Headers): Context {
  return propagator.extract(ROOT_CONTEXT, headers, headersGetter);
}

/** The `traceparent`/`tracestate` headers for a call made within `context`. */
export function traceHeaders(context: Context): Record<string, string> {
  const headers: Record<string, string> = {};
  propagator.inject(context, headers, recordSetter);
  return headers;
}
