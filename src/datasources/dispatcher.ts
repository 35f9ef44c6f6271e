import { Agent } from 'undici';
import type { Config } from '../config/index.js';

/**
 * The one keep-alive dispatcher for every upstream call, created once per process (`startServer`,
 * or `createGateway` when it builds the HTTP layer itself). An Agent (a pool per origin) because
 * uploads go to the storage origin the upstream names in its pre-signed URLs, not only to
 * `OPENHUMANS_BASE_URL`.
 */
export function createDispatcher(config: Config): Agent {
  return new Agent({
    // As many connections as calls the limiter lets through: a granted call never queues again
    // inside the pool, and Open Humans never sees more than UPSTREAM_CONCURRENCY sockets from us.
    connections: config.upstream.concurrency,
    connect: { timeout: config.upstream.connectTimeoutMs },
    headersTimeout: config.upstream.headersTimeoutMs,
    bodyTimeout: config.upstream.bodyTimeoutMs,
    // Heroku's router closes idle connections after 55 s; recycle ours well before that.
    keepAliveTimeout: 10_000,
    keepAliveMaxTimeout: 30_000,
  });
}
