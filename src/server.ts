import type { Server } from 'node:http';
import { createServer } from 'node:http';
import type { AddressInfo } from 'node:net';
import type { Config } from './config/index.js';
import { createOpenHumans } from './datasources/open-humans.js';
import type { Gateway } from './gateway.js';
import { createGateway, GRAPHQL_ENDPOINT, gatewayClientLimits, maskError } from './gateway.js';
import { applyConnectionLimits, serverOptions } from './http/connection-limits.js';
import type { Logger } from './logger.js';
import { createLogger } from './logger.js';
import { GatewayMetrics } from './observability/metrics.js';
import type { MetricsServer } from './observability/metrics-server.js';
import { startMetricsServer } from './observability/metrics-server.js';
import { GatewayTracing } from './observability/tracing.js';
import { attachWebSocketEndpoint } from './realtime/websocket.js';

export interface RunningServer {
  /** Base URL, e.g. http://localhost:4000 */
  url: string;
  server: Server;
  gateway: Gateway;
  logger: Logger;
  /** The `METRICS_PORT` listener's base URL, when there is one. */
  metricsUrl?: string;
  /** Stops accepting, drains in-flight requests (up to `graceMs`), then closes the dispatcher. */
  close(graceMs?: number): Promise<void>;
}

/**
 * Builds the process singletons (the Open Humans client with its dispatcher, caches and Redis;
 * metrics, logger) once, wraps the gateway in a node:http server and listens. Used by
 * `main.ts` and `scripts/demo-setup.ts`.
 */
export async function startServer(
  config: Config,
  options: { logger?: Logger } = {},
): Promise<RunningServer> {
  const logger = options.logger ?? createLogger({ level: config.server.logLevel });
  const metrics = config.metrics ? new GatewayMetrics({ processMetrics: true }) : undefined;
  const tracing = new GatewayTracing();
  // Caches in Redis with REDIS_URL (shared by every instance), else in memory.
  const openHumans = createOpenHumans(config, { logger, metrics });
  // One rate-limit bucket per client for HTTP and WebSocket operations alike.
  const clientLimits = gatewayClientLimits(config, { metrics, logger, redis: openHumans.redis });
  const gateway = createGateway({ config, openHumans, logger, metrics, tracing, clientLimits });
  // Header timeout, no whole-request timeout (large uploads stream for long; too slow bodies are
  // cut by the minimum body rate instead), connection caps per client and overall.
  const server = createServer(serverOptions(config.connectionLimits), gateway);
  applyConnectionLimits(server, config.connectionLimits, {
    // Debug only: under a flood, one line per refused socket would be its own abuse.
    onRefused: (kind) => logger.debug('connection refused by a limit', { kind }),
  });
  const websockets = config.websocket.enabled
    ? attachWebSocketEndpoint(server, gateway, {
        path: GRAPHQL_ENDPOINT,
        config,
        clientLimits,
        logger,
        maskError,
        metrics,
      })
    : undefined;
  // Longer than a typical load balancer's idle timeout, so it closes idle connections first.
  server.keepAliveTimeout = 65_000;
  // A socket silent for 10 minutes (longer than the gateway's own PUT of a spooled 5 GiB file
  // upstream, during which the client waits) is cut off.
  server.timeout = 600_000;
  await new Promise<void>((resolve, reject) => {
    server.once('error', reject);
    server.listen(config.server.port, config.server.host, () => {
      server.off('error', reject);
      resolve();
    });
  });
  // METRICS_PORT: metrics on a listener of their own (keep it off the public network).
  const { metricsPort, metricsHost, metricsToken } = config.security;
  const metricsServer: MetricsServer | undefined =
    metrics && metricsPort !== null
      ? await startMetricsServer(metrics, {
          port: metricsPort,
          host: metricsHost ?? config.server.host,
          token: metricsToken,
        })
      : undefined;
  const { port } = server.address() as AddressInfo;
  const shownHost = ['0.0.0.0', '::', '', '127.0.0.1', '::1'].includes(config.server.host)
    ? 'localhost'
    : config.server.host;
  const url = `http://${shownHost.includes(':') ? `[${shownHost}]` : shownHost}:${port}`;

  if (config.server.graphiql) warmGraphiQL(gateway, logger);

  let closing: Promise<void> | undefined;
  const close = (graceMs = 10_000): Promise<void> => {
    closing ??= (async () => {
      const drained = new Promise<void>((resolve) => server.close(() => resolve()));
      await websockets?.close();
      server.closeIdleConnections();
      const timer = setTimeout(() => server.closeAllConnections(), graceMs);
      timer.unref();
      await drained;
      clearTimeout(timer);
      await metricsServer?.close();
      await gateway.dispose();
      await openHumans.close();
    })();
    return closing;
  };
  return {
    url,
    server,
    gateway,
    logger,
    close,
    ...(metricsServer ? { metricsUrl: metricsServer.url } : {}),
  };
}

/**
 * Renders and brotli-compresses the 9 MB GraphiQL page once in the background, so the first
 * browser does not wait for it. A failure only costs that first visitor the wait.
 */
function warmGraphiQL(gateway: Gateway, logger: Logger): void {
  setImmediate(() => {
    Promise.resolve(
      gateway.fetch(new URL('/graphql', 'http://localhost'), {
        headers: { accept: 'text/html', 'accept-encoding': 'br' },
      }),
    )
      .then((res) => res.arrayBuffer())
      .then(
        () => logger.debug('GraphiQL page ready'),
        (err: unknown) => logger.warn('GraphiQL warm-up failed', { err }),
      );
  });
}
