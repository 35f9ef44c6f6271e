import type { Server } from 'node:http';
import { createServer } from 'node:http';
import type { AddressInfo } from 'node:net';
import type { Client, ClientOptions } from 'graphql-ws';
import { createClient } from 'graphql-ws';
import WebSocket from 'ws';
import type { Config } from '../../src/config/index.js';
import { GRAPHQL_ENDPOINT, maskError } from '../../src/gateway.js';
import { createClientLimits } from '../../src/limits/index.js';
import { createLogger } from '../../src/logger.js';
import type { GatewayMetrics } from '../../src/observability/metrics.js';
import type { WebSocketEndpoint } from '../../src/realtime/websocket.js';
import { attachWebSocketEndpoint } from '../../src/realtime/websocket.js';
import type { Stack } from '../helpers/stack.js';

export interface WsServer {
  /** ws://127.0.0.1:port/graphql */
  wsUrl: string;
  httpUrl: string;
  endpoint: WebSocketEndpoint;
  server: Server;
  close(): Promise<void>;
}

/** A real listener serving the stack's gateway over HTTP and WebSocket (as `startServer` does). */
export async function listenWithWebSockets(
  stack: Stack,
  websocket: Partial<Config['websocket']> = {},
  metrics?: GatewayMetrics,
  rateLimit?: Config['rateLimit'] & { trustProxy?: boolean },
): Promise<WsServer> {
  const server = createServer(stack.gateway);
  const { trustProxy = false, ...rates } = rateLimit ?? {
    ...stack.config.rateLimit,
    trustProxy: false,
  };
  const config: Config = {
    ...stack.config,
    websocket: { ...stack.config.websocket, ...websocket },
    rateLimit: rates,
    // trustProxy: the direct peer (loopback here) is a trusted proxy, one hop.
    security: {
      ...stack.config.security,
      ...(trustProxy ? { trustProxy: { kind: 'hops', hops: 1 } as const } : {}),
    },
  };
  const endpoint = attachWebSocketEndpoint(server, stack.gateway, {
    path: GRAPHQL_ENDPOINT,
    config,
    // The gateway's own buckets (as `server.ts` wires them), unless this listener has limits of
    // its own.
    clientLimits: rateLimit ? createClientLimits(config) : stack.clientLimits,
    logger: createLogger({ level: 'debug', write: (line) => stack.logLines.push(line) }),
    maskError,
    metrics,
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const { port } = server.address() as AddressInfo;
  return {
    wsUrl: `ws://127.0.0.1:${port}${GRAPHQL_ENDPOINT}`,
    httpUrl: `http://127.0.0.1:${port}`,
    endpoint,
    server,
    async close() {
      await endpoint.close();
      server.closeAllConnections();
      await new Promise<void>((resolve) => server.close(() => resolve()));
    },
  };
}

/** A graphql-ws client that does not retry (a refusal is the answer under test). */
export function wsClient(
  url: string,
  options: Partial<ClientOptions> = {},
  headers: Record<string, string> = {},
): Client {
  class HeaderSocket extends WebSocket {
    constructor(address: string, protocols?: string | string[]) {
      super(address, protocols, { headers });
    }
  }
  return createClient({
    url,
    webSocketImpl: HeaderSocket,
    retryAttempts: 0,
    lazy: true,
    ...options,
  });
}

/** Collects an operation's results until it completes or errors (never more than `max`). */
export async function collect<T = Record<string, unknown>>(
  client: Client,
  query: string,
  max = 10,
): Promise<{
  results: {
    data?: T | null;
    errors?: readonly { message: string; extensions?: Record<string, unknown> }[];
  }[];
  error?: unknown;
}> {
  const results: {
    data?: T | null;
    errors?: readonly { message: string; extensions?: Record<string, unknown> }[];
  }[] = [];
  try {
    for await (const result of client.iterate<T>({ query })) {
      results.push(result as (typeof results)[number]);
      if (results.length >= max) break;
    }
    return { results };
  } catch (error) {
    return { results, error };
  }
}

/**
 * Fires `deliver` (a webhook delivery) until `first` settles, then returns its value: a live
 * subscription only sees events sent after it listens, and when that is cannot be observed from
 * outside, so the event is repeated (each with its own member id) instead of waiting a guessed
 * time.
 */
export async function deliverUntil<T>(
  first: Promise<T>,
  deliver: (attempt: number) => Promise<void>,
  maxAttempts = 50,
): Promise<T> {
  let settled = false;
  const done = first.finally(() => {
    settled = true;
  });
  for (let attempt = 0; attempt < maxAttempts && !settled; attempt++) {
    await deliver(attempt);
    await Promise.race([done, new Promise((r) => setTimeout(r, 100))]);
  }
  return done;
}
