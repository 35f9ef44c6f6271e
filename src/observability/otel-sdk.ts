/*
 * The OpenTelemetry SDK with an OTLP/HTTP exporter, switched on by the standard variables only
 * (no gateway-specific ones): OTEL_EXPORTER_OTLP_ENDPOINT or OTEL_EXPORTER_OTLP_TRACES_ENDPOINT,
 * or OTEL_TRACES_EXPORTER=otlp. OTEL_SDK_DISABLED=true or OTEL_TRACES_EXPORTER=none keep it off.
 * The exporter, batch processor and sampler read their own OTEL_* settings (headers, timeouts,
 * OTEL_TRACES_SAMPLER...); the resource takes OTEL_SERVICE_NAME and OTEL_RESOURCE_ATTRIBUTES.
 * The SDK packages are loaded only when it is on.
 */

type Env = Readonly<Record<string, string | undefined>>;

export interface OtelSdk {
  /** Flushes the spans still buffered and stops exporting. */
  shutdown(): Promise<void>;
}

/** Whether the standard variables ask for trace export over OTLP. */
export function otlpTracingWanted(env: Env): boolean {
  if (env.OTEL_SDK_DISABLED?.trim().toLowerCase() === 'true') return false;
  const exporters = (env.OTEL_TRACES_EXPORTER ?? '')
    .split(',')
    .map((s) => s.trim().toLowerCase())
    .filter(Boolean);
  if (exporters.includes('none')) return false;
  if (exporters.includes('otlp')) return true;
  return Boolean(
    env.OTEL_EXPORTER_OTLP_ENDPOINT?.trim() || env.OTEL_EXPORTER_OTLP_TRACES_ENDPOINT?.trim(),
  );
}

/** The traces URL as the OTLP/HTTP spec derives it (undefined: the exporter's own default). */
function tracesUrl(env: Env): string | undefined {
  const traces = env.OTEL_EXPORTER_OTLP_TRACES_ENDPOINT?.trim();
  if (traces) return traces;
  const base = env.OTEL_EXPORTER_OTLP_ENDPOINT?.trim();
  return base ? `${base.replace(/\/+$/, '')}/v1/traces` : undefined;
}

/**
 * Registers the SDK globally (tracer provider, W3C propagator, async context); null when not
 * wanted.
 */
export async function startOtelSdk(env: Env = process.env): Promise<OtelSdk | null> {
  if (!otlpTracingWanted(env)) return null;
  const [{ NodeTracerProvider, BatchSpanProcessor }, { OTLPTraceExporter }, resources] =
    await Promise.all([
      import('@opentelemetry/sdk-trace-node'),
      import('@opentelemetry/exporter-trace-otlp-http'),
      import('@opentelemetry/resources'),
    ]);
  const detected = resources.detectResources({ detectors: [resources.envDetector] });
  const resource = resources
    .resourceFromAttributes({
      'service.name': env.OTEL_SERVICE_NAME?.trim() || 'openhumans-graphql',
    })
    .merge(detected);
  const exporter = new OTLPTraceExporter({ url: tracesUrl(env) });
  const provider = new NodeTracerProvider({
    resource,
    spanProcessors: [new BatchSpanProcessor(exporter)],
  });
  provider.register();
  return { shutdown: () => provider.shutdown() };
}
