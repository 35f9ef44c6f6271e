import type { ExecutionArgs, ExecutionResult } from 'graphql';
import { getOperationAST } from 'graphql';
import type { Plugin } from 'graphql-yoga';
import { ErrorCode } from '../errors.js';
import type { GatewayMetrics } from './metrics.js';
import { metricsResponse } from './metrics-server.js';

interface RequestInfo {
  started: number;
  operationName: string;
  operationType: string;
}

/**
 * The `code` label: one of the codes the gateway and yoga send, else `OTHER` (or `UNCODED`), so
 * the label set stays bounded whatever ends up in an error.
 */
const KNOWN_CODES: ReadonlySet<string> = new Set([
  ...Object.values(ErrorCode),
  'GRAPHQL_PARSE_FAILED',
  'GRAPHQL_VALIDATION_FAILED',
  'BAD_REQUEST',
  'OPERATION_RESOLUTION_FAILURE',
  'PERSISTED_QUERY_NOT_FOUND',
  'INTERNAL_SERVER_ERROR',
]);

export function codeLabel(code: unknown): string {
  if (typeof code !== 'string') return 'UNCODED';
  return KNOWN_CODES.has(code) ? code : 'OTHER';
}

const isResult = (value: unknown): value is ExecutionResult =>
  typeof value === 'object' && value !== null && !(Symbol.asyncIterator in value);

/**
 * Serves `GET <path>` (Prometheus text format) and records, per GraphQL request, its latency by
 * operation name and type and HTTP status, and the codes of the errors in its result.
 */
export function useMetrics(
  metrics: GatewayMetrics,
  options: {
    path: string;
    graphqlPaths: readonly string[];
    token: string | null;
    endpoint?: 'graphql' | 'subgraph';
  },
): Plugin {
  const requests = new WeakMap<Request, RequestInfo>();
  const endpoint = options.endpoint ?? 'graphql';
  const graphqlPaths = new Set(options.graphqlPaths);
  const { token } = options;
  const recordOperation = (args: ExecutionArgs): void => {
    const request = (args.contextValue as { request?: Request }).request;
    const info = request && requests.get(request);
    if (!info) return;
    const operation = getOperationAST(args.document, args.operationName);
    if (!operation) return;
    info.operationType = operation.operation;
    info.operationName = metrics.operationLabel(operation.name?.value ?? args.operationName);
  };
  return {
    async onRequest({ request, url, endResponse, fetchAPI }) {
      // Without METRICS_TOKEN the exposition is not served on the public port at all (404).
      if (token !== null && url.pathname === options.path && request.method === 'GET') {
        endResponse(await metricsResponse(metrics, request, token, fetchAPI));
        return;
      }
      if (graphqlPaths.has(url.pathname) && !requests.has(request)) {
        requests.set(request, {
          started: performance.now(),
          operationName: '(none)',
          operationType: 'unknown',
        });
      }
    },
    onParams({ request, params }) {
      const info = requests.get(request);
      if (info) info.operationName = metrics.operationLabel(params.operationName);
    },
    onExecute: ({ args }) => recordOperation(args),
    // Subscriptions do not pass through onExecute: without this they had no operation type.
    onSubscribe: ({ args }) => recordOperation(args),
    onResultProcess({ request, result }) {
      const info = requests.get(request);
      const label = info?.operationName ?? '(none)';
      for (const one of Array.isArray(result) ? result : [result]) {
        if (!isResult(one)) continue;
        for (const error of one.errors ?? []) {
          const code = error.extensions?.code;
          metrics.graphqlError(label, codeLabel(code));
        }
      }
    },
    onResponse({ request, response }) {
      const info = requests.get(request);
      if (!info) return;
      requests.delete(request);
      metrics.observeRequest(
        {
          operationName: info.operationName,
          operationType: info.operationType,
          status: response.status,
          endpoint,
        },
        (performance.now() - info.started) / 1000,
      );
    },
  };
}
