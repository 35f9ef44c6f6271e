/**
 * Process entry: `npm start` (tsx) or `node dist/src/main.js` (Docker). Reads the configuration
 * once, starts the server, and shuts down gracefully on SIGTERM/SIGINT: stop accepting, drain
 * in-flight requests, then close the upstream connections.
 */

import { loadEnvFileIfPresent } from './config/env-file.js';
import type { Config } from './config/index.js';
import { ConfigError, loadConfig } from './config/index.js';
import { startOtelSdk } from './observability/otel-sdk.js';
import { startServer } from './server.js';

let config: Config;
let envFile: string | null = null;
try {
  // `.env` in the working directory, when present; the real environment wins over it.
  envFile = loadEnvFileIfPresent();
  config = loadConfig();
} catch (err) {
  if (err instanceof ConfigError) {
    process.stderr.write(`${err.message}\n`);
    process.exit(1);
  }
  throw err;
}

// Before the server, so the first request is traced (standard OTEL_* variables; off by default).
const otel = await startOtelSdk();

const running = await startServer(config).catch((err: unknown) => {
  // e.g. EADDRINUSE: one clear line, no stack trace.
  const code = (err as { code?: string }).code;
  process.stderr.write(
    `Cannot start the gateway on ${config.server.host}:${config.server.port}: ${code ?? String(err)}\n`,
  );
  process.exit(1);
});
running.logger.info('listening', {
  url: running.url,
  graphql: `${running.url}/graphql`,
  upstream: config.openHumans.baseUrl,
  graphiql: config.server.graphiql,
  envFile: envFile !== null ? '.env' : null,
  // Where /metrics is, if anywhere (never public without METRICS_TOKEN).
  metrics: !config.metrics
    ? 'off'
    : (running.metricsUrl ?? (config.security.metricsToken ? 'bearer token' : 'not served')),
  subgraph: config.federation.subgraph && config.security.subgraphSecret !== null,
});

let stopping = false;
for (const signal of ['SIGTERM', 'SIGINT'] as const) {
  process.on(signal, () => {
    if (stopping) {
      running.logger.warn('second signal: exiting now', { signal });
      process.exit(1);
    }
    stopping = true;
    running.logger.info('shutting down', { signal });
    running
      .close()
      .then(() => otel?.shutdown())
      .then(
        () => {
          running.logger.info('stopped');
          process.exit(0);
        },
        (err: unknown) => {
          running.logger.error('shutdown failed', { err });
          process.exit(1);
        },
      );
  });
}
