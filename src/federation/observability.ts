import { useApolloInlineTrace } from '@graphql-yoga/plugin-apollo-inline-trace';
import { GraphQLError } from 'graphql';
import type { Plugin } from 'graphql-yoga';
import { GatewayError } from '../errors.js';
import type { GatewayMetrics } from '../observability/metrics.js';
import { useMetrics } from '../observability/metrics-plugin.js';
import type { GatewayTracing } from '../observability/tracing.js';

/*
 * `/subgraph` is its own yoga, so the plugins that observe `/graphql` do not run for it. These
 * give it the same Prometheus series (labelled endpoint="subgraph"), the same SERVER span (a
 * child of the router's traceparent) and, when the router asks with
 * `apollo-federation-include-trace: ftv1`, Apollo's inline trace in `extensions.ftv1`.
 * Request ids and their log lines come from the outer gateway, which sees every request first.
 */

export interface SubgraphObservabilityOptions {
  path: string;
  /** The metrics path of the outer gateway (never reached here; required by the plugin). */
  metricsPath: string;
  metrics: GatewayMetrics | undefined;
  tracing: GatewayTracing;
}

/**
 * Errors inside an ftv1 trace reach the router (and Apollo's usage reporting): only the
 * gateway's own coded errors keep their message; anything else is masked as over HTTP.
 */
function traceSafeError(error: GraphQLError): GraphQLError {
  const original = error.originalError;
  if (original instanceof GatewayError)
    return new GraphQLError(original.message, { extensions: { code: original.code } });
  if (!original && error.extensions?.code) return error;
  return new GraphQLError('Unexpected error.');
}

export function subgraphObservability(options: SubgraphObservabilityOptions): Plugin[] {
  const { metrics, tracing, path } = options;
  return [
    ...(metrics
      ? [
          useMetrics(metrics, {
            path: options.metricsPath,
            graphqlPaths: [path],
            token: null,
            endpoint: 'subgraph',
          }),
        ]
      : []),
    tracing.plugin([path]),
    useApolloInlineTrace({
      ignoreRequest: (request) => request.headers.get('apollo-federation-include-trace') !== 'ftv1',
      rewriteError: traceSafeError,
    }) as Plugin,
  ];
}
