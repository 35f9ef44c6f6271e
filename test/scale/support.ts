/**
 * One gateway instance of a scale-out test, wired as `server.ts` wires it (`createOpenHumans`:
 * one shared Redis connection, the public cache on it, production's resilience), listening on
 * loopback so multipart uploads work, with a token cache the test can watch for invalidations.
 */

import { mkdtempSync, rmSync } from 'node:fs';
import { createServer, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { type DocumentNode, type GraphQLFormattedError, print } from 'graphql';
import type { Sandbox } from '../../sandbox/index.js';
import { TokenScopedCache } from '../../src/auth/token-scoped-cache.js';
import type { Config } from '../../src/config/index.js';
import { loadConfig } from '../../src/config/index.js';
import { createOpenHumans } from '../../src/datasources/open-humans.js';
import type { PublicCache } from '../../src/datasources/response-cache.js';
import type { Gateway } from '../../src/gateway.js';
import { createGateway } from '../../src/gateway.js';
import { createLogger } from '../../src/logger.js';
import type { SharedRedis } from '../../src/redis/shared-redis.js';

/** A token cache that reports every tag dropped (invalidation across instances). */
export class WatchedTokenCache extends TokenScopedCache {
  readonly dropped: string[] = [];
  private waiters: { tag: string; resolve: () => void }[] = [];

  override invalidateTag(tag: string): void {
    super.invalidateTag(tag);
    this.dropped.push(tag);
    this.waiters = this.waiters.filter((w) => {
      if (w.tag !== tag) return true;
      w.resolve();
      return false;
    });
  }

  /** Resolves the next time `tag` is dropped. */
  next(tag: string): Promise<void> {
    return new Promise((resolve) => this.waiters.push({ tag, resolve }));
  }
}

export interface Instance {
  config: Config;
  gateway: Gateway;
  redis: SharedRedis;
  publicCache: PublicCache;
  tokenCache: WatchedTokenCache;
  logLines: string[];
  /** `http://127.0.0.1:<port>` (for multipart uploads). */
  baseUrl: string;
  execute(
    query: string | DocumentNode,
    variables?: Record<string, unknown>,
    token?: string,
    address?: string,
  ): Promise<Result>;
  close(): Promise<void>;
}

export interface Result {
  status: number;
  data?: Record<string, unknown> | null;
  errors?: GraphQLFormattedError[];
}

export async function startInstance(
  sandbox: Sandbox,
  redisUrl: string,
  env: Record<string, string> = {},
): Promise<Instance> {
  const tmpDir = mkdtempSync(join(tmpdir(), 'oh-graphql-scale-test-'));
  const config = loadConfig({
    LOG_LEVEL: 'info',
    METRICS: 'false',
    RATE_LIMIT_PER_SECOND: '0',
    UPLOAD_TMP_DIR: tmpDir,
    OPENHUMANS_PROJECT_ID: String(sandbox.projectId),
    // Every instance signs upload handles with the same secret, as a scaled-out deployment must.
    UPLOAD_HANDLE_SECRET: 'scale-out-test-secret-0123456789abcdef',
    ...env,
    OPENHUMANS_BASE_URL: sandbox.url,
    REDIS_URL: redisUrl,
  });
  const logLines: string[] = [];
  const logger = createLogger({
    level: config.server.logLevel,
    write: (line) => logLines.push(line),
  });
  const tokenCache = new WatchedTokenCache();
  const openHumans = createOpenHumans(config, { logger, tokenCache });
  const { redis, publicCache } = openHumans;
  if (!redis) throw new Error('no Redis');
  const gateway = createGateway({ config, openHumans, logger });
  const server: Server = createServer(gateway);
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const baseUrl = `http://127.0.0.1:${(server.address() as AddressInfo).port}`;
  await redis.ready();
  return {
    config,
    gateway,
    redis,
    publicCache,
    tokenCache,
    logLines,
    baseUrl,
    async execute(query, variables, token, address) {
      const headers: Record<string, string> = {
        'content-type': 'application/json',
        accept: 'application/graphql-response+json',
      };
      if (token) headers.authorization = `Bearer ${token}`;
      const body = JSON.stringify({
        query: typeof query === 'string' ? query : print(query),
        variables,
      });
      const serverContext = address ? { req: { socket: { remoteAddress: address } } } : {};
      const res = await gateway.fetch(
        new URL('/graphql', 'http://gateway.test'),
        { method: 'POST', headers, body },
        serverContext,
      );
      const parsed = (await res.json()) as {
        data?: Record<string, unknown> | null;
        errors?: GraphQLFormattedError[];
      };
      return { status: res.status, data: parsed.data, errors: parsed.errors };
    },
    async close() {
      server.closeAllConnections();
      await new Promise<void>((resolve) => server.close(() => resolve()));
      await gateway.dispose();
      await openHumans.close();
      rmSync(tmpDir, { recursive: true, force: true });
    },
  };
}
