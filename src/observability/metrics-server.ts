/**
 * Where Prometheus metrics are served, so that an anonymous client cannot read them:
 * - `METRICS_PORT`: a listener of its own (on `METRICS_HOST`, default `HOST`), answering only
 *   `GET /metrics`; keep that port off the public network;
 * - `METRICS_TOKEN`: `/metrics` on the public port, with `Authorization: Bearer <token>`
 *   (and on the metrics port too, when both are set).
 * With neither, metrics are collected but not served (the public port answers 404).
 */
import type { IncomingMessage, Server, ServerResponse } from 'node:http';
import { createServer } from 'node:http';
import type { AddressInfo } from 'node:net';
import { ErrorCode } from '../errors.js';
import { bearerOf, errorResponse, secretMatches } from '../http/secret-header.js';
import type { GatewayMetrics } from './metrics.js';

/** The exposition for `request`, or 401 when `token` is set and not presented. */
export async function metricsResponse(
  metrics: GatewayMetrics,
  request: Request,
  token: string | null,
  fetchAPI: { Response: typeof Response },
): Promise<Response> {
  if (token !== null && !secretMatches(bearerOf(request), token)) {
    return errorResponse(
      fetchAPI,
      401,
      ErrorCode.UNAUTHENTICATED,
      'Metrics need `Authorization: Bearer <METRICS_TOKEN>`.',
      {
        'www-authenticate': 'Bearer realm="metrics"',
      },
    );
  }
  return new fetchAPI.Response(await metrics.render(), {
    status: 200,
    headers: { 'content-type': metrics.contentType, 'cache-control': 'no-store' },
  });
}

export interface MetricsServer {
  server: Server;
  /** e.g. http://127.0.0.1:9464 */
  url: string;
  close(): Promise<void>;
}

async function handle(
  metrics: GatewayMetrics,
  token: string | null,
  req: IncomingMessage,
  res: ServerResponse,
): Promise<void> {
  // No body is ever read: a request is answered from its head alone.
  const url = new URL(req.url ?? '/', 'http://metrics.local');
  if (req.method !== 'GET' || url.pathname !== '/metrics') {
    res.writeHead(404, { 'content-type': 'text/plain; charset=utf-8' }).end('Not found\n');
    return;
  }
  const headers = new Headers();
  if (typeof req.headers.authorization === 'string')
    headers.set('authorization', req.headers.authorization);
  const response = await metricsResponse(metrics, new Request(url, { headers }), token, {
    Response,
  });
  res
    .writeHead(response.status, Object.fromEntries(response.headers))
    .end(Buffer.from(await response.arrayBuffer()));
}

/** Starts the metrics listener (`METRICS_PORT`; port 0 picks a free one, for tests). */
export async function startMetricsServer(
  metrics: GatewayMetrics,
  options: { port: number; host: string; token: string | null },
): Promise<MetricsServer> {
  const server = createServer((req, res) => {
    handle(metrics, options.token, req, res).catch(() => {
      if (!res.headersSent) res.writeHead(500);
      res.end();
    });
  });
  server.headersTimeout = 10_000;
  server.requestTimeout = 15_000;
  await new Promise<void>((resolve, reject) => {
    server.once('error', reject);
    server.listen(options.port, options.host, () => {
      server.off('error', reject);
      resolve();
    });
  });
  const { port, address } = server.address() as AddressInfo;
  const host = address.includes(':') ? `[${address}]` : address;
  return {
    server,
    url: `http://${host}:${port}`,
    close: () =>
      new Promise<void>((resolve) => {
        server.close(() => resolve());
        server.closeAllConnections();
      }),
  };
}
