/**
 * The test stack: the Open Humans sandbox on a free port, and the gateway pointed at it,
 * in-process, assembled as `server.ts` assembles it (`createOpenHumans`: production's retries,
 * breakers and concurrency cap unless a test opts out with `resilience: 'none'`). Operations
 * run through `yoga.fetch` (no socket) unless `listen()` is called.
 *
 *   const stack = await startStack();
 *   const res = await stack.execute('{ projects(first: 2) { totalCount } }');
 *   const mine = await stack.execute(ViewerDocument, {}, { token: stack.sandbox.masterToken });
 *   await stack.close();
 */

import { createServer } from 'node:http';
import type { AddressInfo } from 'node:net';
import type { TypedDocumentNode } from '@graphql-typed-document-node/core';
import type { DocumentNode, GraphQLFormattedError, GraphQLSchema } from 'graphql';
import { print } from 'graphql';
import type { Sandbox, SandboxOptions } from '../../sandbox/index.js';
import { startSandbox } from '../../sandbox/index.js';
import type { TokenScopedCache } from '../../src/auth/token-scoped-cache.js';
import type { Config } from '../../src/config/index.js';
import { loadConfig } from '../../src/config/index.js';
import type { OpenHumans, ResilienceMode } from '../../src/datasources/open-humans.js';
import { createOpenHumans } from '../../src/datasources/open-humans.js';
import type { OpenHumansHttp, UpstreamCallEvent } from '../../src/datasources/open-humans-http.js';
import type { PublicCache } from '../../src/datasources/response-cache.js';
import type { Gateway } from '../../src/gateway.js';
import { createGateway, gatewayClientLimits } from '../../src/gateway.js';
import type { ClientLimits } from '../../src/limits/rate-limit.js';
import { createLogger } from '../../src/logger.js';
import { GatewayMetrics } from '../../src/observability/metrics.js';

/** The origin in-process requests pretend to come to (nothing listens there). */
export const GATEWAY_ORIGIN = 'http://gateway.test';

export interface ExecuteOptions {
  /** Sent as `Authorization: Bearer <token>`. */
  token?: string;
  headers?: Record<string, string>;
}

export interface ExecuteResult<TData> {
  status: number;
  headers: Headers;
  data?: TData | null;
  errors?: GraphQLFormattedError[];
  /** The raw response body, for "no token anywhere" checks. */
  text: string;
}

export interface StackOptions {
  /** Options for a sandbox started here (ignored when `sandbox` is given). */
  sandboxOptions?: SandboxOptions;
  /** Reuse a running sandbox (not closed by `close()`). */
  sandbox?: Sandbox;
  /** Extra environment for `loadConfig` (OPENHUMANS_BASE_URL is set to the sandbox). */
  env?: Record<string, string>;
  /** Serve this schema instead of the gateway's (transport tests with a tiny schema). */
  schema?: GraphQLSchema;
  /** Session mode's clock (lifetimes, refresh timing). */
  sessionClock?: () => number;
  /** The token-scoped read cache, so a test can expire it (`clear()`) when it needs to. */
  tokenCache?: TokenScopedCache;
  /**
   * @default 'production' (retries, breakers, cap from the configuration); 'none' for bare calls.
   */
  resilience?: ResilienceMode;
}

export interface Stack {
  sandbox: Sandbox;
  gateway: Gateway;
  config: Config;
  /** The Open Humans client the gateway runs on (built as `server.ts` builds it). */
  openHumans: OpenHumans;
  http: OpenHumansHttp;
  publicCache: PublicCache;
  /** The per-client rate limit state the gateway uses (as `server.ts` shares it with WebSockets). */
  clientLimits: ClientLimits | null;
  /** Every log line the gateway wrote (JSON), for redaction checks. */
  logLines: string[];
  /** Every upstream call the HTTP layer made. */
  upstreamCalls: UpstreamCallEvent[];
  execute<TData = Record<string, unknown>, TVariables = Record<string, unknown>>(
    document: string | DocumentNode | TypedDocumentNode<TData, TVariables>,
    variables?: TVariables,
    options?: ExecuteOptions,
  ): Promise<ExecuteResult<TData>>;
  /** `yoga.fetch` on a path of the gateway, e.g. `stack.fetch('/health')`. */
  fetch(path: string, init?: RequestInit): Promise<Response>;
  /** Starts a real HTTP listener on 127.0.0.1:0 (once) and returns its base URL. */
  listen(): Promise<string>;
  close(): Promise<void>;
}

export async function startStack(options: StackOptions = {}): Promise<Stack> {
  const sandbox = options.sandbox ?? (await startSandbox({ port: 0, ...options.sandboxOptions }));
  const config = loadConfig({
    LOG_LEVEL: 'debug',
    OPENHUMANS_BASE_URL: sandbox.url,
    ...options.env,
  });
  const logLines: string[] = [];
  const upstreamCalls: UpstreamCallEvent[] = [];
  const logger = createLogger({
    level: config.server.logLevel,
    write: (line) => logLines.push(line),
  });
  const metrics = config.metrics ? new GatewayMetrics() : undefined;
  const openHumans = createOpenHumans(config, {
    logger,
    metrics,
    onUpstreamCall: (event) => upstreamCalls.push(event),
    resilience: options.resilience,
    tokenCache: options.tokenCache,
  });
  const { http, publicCache } = openHumans;
  const clientLimits = gatewayClientLimits(config, { metrics, logger, redis: openHumans.redis });
  const gateway = createGateway({
    config,
    openHumans,
    metrics,
    logger,
    clientLimits,
    schema: options.schema,
    sessionClock: options.sessionClock,
  });
  let server: ReturnType<typeof createServer> | undefined;
  let baseUrl: string | undefined;

  const fetchPath = (path: string, init?: RequestInit): Promise<Response> =>
    Promise.resolve(gateway.fetch(new URL(path, GATEWAY_ORIGIN), init ?? {}));

  return {
    sandbox,
    gateway,
    config,
    openHumans,
    http,
    publicCache,
    clientLimits,
    logLines,
    upstreamCalls,
    async execute(document, variables, opts = {}) {
      const query = typeof document === 'string' ? document : print(document);
      const headers: Record<string, string> = {
        'content-type': 'application/json',
        accept: 'application/graphql-response+json, application/json',
        ...opts.headers,
      };
      if (opts.token !== undefined) headers.authorization = `Bearer ${opts.token}`;
      const res = await fetchPath('/graphql', {
        method: 'POST',
        headers,
        body: JSON.stringify({ query, variables }),
      });
      const text = await res.text();
      let body: { data?: never; errors?: GraphQLFormattedError[] } = {};
      try {
        body = JSON.parse(text) as typeof body;
      } catch {
        // Left empty: the caller sees status and text.
      }
      return {
        status: res.status,
        headers: res.headers,
        data: body.data,
        errors: body.errors,
        text,
      };
    },
    fetch: fetchPath,
    async listen() {
      if (baseUrl) return baseUrl;
      server = createServer(gateway);
      await new Promise<void>((resolve) => server?.listen(0, '127.0.0.1', resolve));
      baseUrl = `http://127.0.0.1:${(server.address() as AddressInfo).port}`;
      return baseUrl;
    },
    async close() {
      if (server) {
        server.closeAllConnections();
        await new Promise<void>((resolve) => server?.close(() => resolve()));
      }
      await gateway.dispose();
      await openHumans.close();
      if (!options.sandbox) await sandbox.close();
    },
  };
}

/**
 * Fails when any of `secrets` occurs in any of `texts` (log lines, response bodies, error
 * messages). Returns the offending snippets so the assertion message shows where.
 */
export function findSecrets(texts: Iterable<string>, secrets: Iterable<string>): string[] {
  const found: string[] = [];
  const list = [...secrets].filter((s) => s.length >= 4);
  for (const text of texts) {
    for (const secret of list) {
      const at = text.indexOf(secret);
      if (at >= 0)
        found.push(
          text.slice(Math.max(0, at - 60), at + secret.length + 20).replace(secret, '<SECRET>'),
        );
    }
  }
  return found;
}
