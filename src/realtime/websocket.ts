import type { IncomingMessage, Server } from 'node:http';
import type { Duplex } from 'node:stream';
import type {
  DocumentNode,
  ExecutionArgs,
  ExecutionResult,
  FormattedExecutionResult,
} from 'graphql';
import { GraphQLError, getOperationAST } from 'graphql';
import type { OperationResult } from 'graphql-ws';
import { GRAPHQL_TRANSPORT_WS_PROTOCOL } from 'graphql-ws';
import type { Extra } from 'graphql-ws/use/ws';
import { useServer } from 'graphql-ws/use/ws';
import type { YogaServerInstance } from 'graphql-yoga';
import { WebSocketServer } from 'ws';
import type { Config } from '../config/index.js';
import { ErrorCode, GatewayError } from '../errors.js';
import { requestIdOf } from '../http/request-id.js';
import { addressKey } from '../limits/client-key.js';
import type { ClientLimits } from '../limits/rate-limit.js';
import type { Logger } from '../logger.js';
import { withRequestId } from '../request-scope.js';
import type { ConnectionCredentials } from './websocket-auth.js';
import { connectionCredentials, originAllowed } from './websocket-auth.js';
import { startOperationSpan } from './websocket-tracing.js';

/*
 * Subscriptions (and queries and mutations) over WebSocket, protocol `graphql-transport-ws`
 * (the graphql-ws library), on the GraphQL path. Operations run through yoga's own envelop
 * (`getEnveloped`): the same schema, context, operation limits (depth, aliases, tokens, cost)
 * and, in the subscription resolvers, the same credential re-checks as over SSE.
 *
 * The legacy `subscriptions-transport-ws` protocol (subprotocol `graphql-ws`) is not spoken:
 * such a client is closed with 4406 "Subprotocol not acceptable" right after the handshake.
 */

/** The part of a yoga server that runs operations: its envelop. */
type Enveloping = Pick<
  YogaServerInstance<Record<string, unknown>, Record<string, unknown>>,
  'getEnveloped'
>;

/** What each socket keeps besides graphql-ws' own state. */
interface SocketState {
  credentials: ConnectionCredentials;
  /** One abort controller per running operation: its context's `signal`. */
  operations: Map<string, AbortController>;
  /** Ends each running operation's span. */
  spans: Map<string, () => void>;
}

type WsExtra = Extra & { state?: SocketState };

export interface WebSocketOptions {
  path: string;
  config: Config;
  /**
   * The per-client rate limit the gateway's HTTP endpoints use (`createClientLimits`): each
   * operation takes from the same bucket as an HTTP request (shared through Redis with
   * REDIS_URL); `null` when rate limiting is off.
   */
  clientLimits: ClientLimits | null;
  logger: Logger;
  /** The gateway's error masking (the same as over HTTP). */
  maskError: (error: unknown, message: string) => Error;
  /** Counts connections and operations (GatewayMetrics); optional. */
  metrics?: {
    websocketConnection(delta: 1 | -1): void;
    websocketOperation(operationType: 'query' | 'mutation' | 'subscription'): void;
  };
}

export interface WebSocketEndpoint {
  /** Open sockets now. */
  readonly connections: number;
  /** Closes every socket (1001 going away) and stops accepting. */
  close(): Promise<void>;
}

/** Refuses an upgrade with a plain HTTP status (the client never gets a WebSocket). */
function refuse(socket: Duplex, status: number, reason: string): void {
  socket.end(
    `HTTP/1.1 ${status} ${reason}\r\nConnection: close\r\nContent-Type: text/plain\r\nContent-Length: ${Buffer.byteLength(reason)}\r\n\r\n${reason}`,
  );
}

/**
 * Serves WebSocket upgrades on `options.path` of `server`, bounded by `config.websocket`
 * (connections, message size, connection-init deadline, operations per socket).
 */
export function attachWebSocketEndpoint(
  server: Server,
  yoga: Enveloping,
  options: WebSocketOptions,
): WebSocketEndpoint {
  const { config, logger } = options;
  const limits = config.websocket;
  const wss = new WebSocketServer({ noServer: true, maxPayload: limits.maxPayloadBytes });
  let handshakes = 0;
  const onUpgrade = (req: IncomingMessage, socket: Duplex, head: Buffer): void => {
    const path = new URL(req.url ?? '/', 'http://localhost').pathname;
    if (path !== options.path) {
      refuse(socket, 404, 'Not Found');
      return;
    }
    // Handshakes in progress count too, so a burst of upgrades cannot overshoot the bound.
    if (wss.clients.size + handshakes >= limits.maxConnections) {
      refuse(socket, 503, 'Service Unavailable');
      return;
    }
    // Browsers do not apply CORS to WebSockets: only the gateway's own origin and CORS_ORIGINS may
    // open one.
    if (!originAllowed(req, config.server.corsOrigins)) {
      refuse(socket, 403, 'Forbidden');
      return;
    }
    handshakes++;
    let counted = true;
    const settle = (): void => {
      if (counted) handshakes--;
      counted = false;
    };
    // A handshake that fails never calls back: the socket's close settles the count then.
    socket.once('close', settle);
    wss.handleUpgrade(req, socket, head, (ws) => {
      settle();
      wss.emit('connection', ws, req);
    });
  };
  server.on('upgrade', onUpgrade);
  const disposable = useServer<Record<string, unknown> | undefined, { state?: SocketState }>(
    {
      connectionInitWaitTimeout: limits.connectionInitTimeoutMs,
      onConnect: (ctx) => {
        const credentials = connectionCredentials(ctx.extra.request, ctx.connectionParams);
        // A token that cannot be one (not a string, spaces) is refused before any work is done.
        if (!credentials) return false;
        ctx.extra.state = { credentials, operations: new Map(), spans: new Map() };
        return true;
      },
      onSubscribe: async (ctx, id, params) => {
        const state = ctx.extra.state;
        if (!state)
          return [new GatewayError(ErrorCode.UNAUTHENTICATED, 'Connection not initialised.')];
        if (state.operations.size >= limits.maxSubscriptionsPerConnection) {
          return [
            new GatewayError(
              ErrorCode.RATE_LIMITED,
              `Too many operations on this connection (at most ${limits.maxSubscriptionsPerConnection}).`,
            ),
          ];
        }
        const controller = new AbortController();
        const request = syntheticRequest(
          ctx.extra,
          state.credentials,
          options.path,
          controller.signal,
        );
        // Each operation takes from the client's bucket, at the HTTP rate (RATE_LIMIT_*): a socket
        // is no way around the per-client limit.
        // The operation holds its place before the (possibly Redis) bucket is asked, so
        // subscribes arriving together cannot all pass the per-connection cap above.
        state.operations.set(id, controller);
        const limited = await rateLimited(options.clientLimits, request, ctx.extra.request);
        if (limited) {
          state.operations.delete(id);
          return [limited];
        }
        const enveloped = yoga.getEnveloped({ request, params, socket: ctx.extra.socket });
        let document: DocumentNode;
        try {
          document = enveloped.parse(params.query);
        } catch (err) {
          state.operations.delete(id);
          return [err as GraphQLError];
        }
        const errors = enveloped.validate(enveloped.schema, document);
        if (errors.length > 0) {
          state.operations.delete(id);
          return errors;
        }
        const operation = getOperationAST(document, params.operationName);
        if (operation) options.metrics?.websocketOperation(operation.operation);
        state.spans.set(id, startOperationSpan(request, document, params.operationName));
        logger.debug('websocket operation', {
          requestId: requestIdOf(request),
          operationType: operation?.operation ?? 'unknown',
        });
        const args: ExecutionArgs = {
          schema: enveloped.schema,
          document,
          operationName: params.operationName,
          variableValues: params.variables,
          contextValue: await enveloped.contextFactory(),
          rootValue: { execute: enveloped.execute, subscribe: enveloped.subscribe },
        };
        return args;
      },
      // In the request scope of its request id, as over HTTP: log lines of the operation carry it.
      execute: (args) => inScope(args, (runners) => runners.execute(args)),
      subscribe: (args) => inScope(args, (runners) => runners.subscribe(args)),
      onNext: (_ctx, _id, _payload, _args, result) => masked(result, options.maskError),
      onComplete: (ctx, id) => endOperation(ctx.extra.state, id),
      onClose: (ctx) => {
        for (const id of [...(ctx.extra.state?.operations.keys() ?? [])])
          endOperation(ctx.extra.state, id);
      },
    },
    wss,
  );
  // A legacy client (subprotocol `graphql-ws`) gets its socket, then a clear 4406 close from
  // graphql-ws, instead of a handshake without a subprotocol that it cannot explain. (Set after
  // `useServer`, which installs its own chooser that answers no subprotocol at all.)
  wss.options.handleProtocols = (protocols: Set<string>) =>
    protocols.has(GRAPHQL_TRANSPORT_WS_PROTOCOL)
      ? GRAPHQL_TRANSPORT_WS_PROTOCOL
      : (protocols.values().next().value ?? false);
  wss.on('connection', (socket) => {
    options.metrics?.websocketConnection(1);
    socket.once('close', () => options.metrics?.websocketConnection(-1));
  });
  wss.on('error', (err) => logger.warn('websocket server error', { err: err.message }));
  return {
    get connections() {
      return wss.clients.size;
    },
    async close() {
      server.off('upgrade', onUpgrade);
      for (const client of wss.clients) client.close(1001, 'Server shutting down');
      await disposable.dispose();
    },
  };
}

interface RootRunners {
  execute(args: ExecutionArgs): OperationResult;
  subscribe(args: ExecutionArgs): OperationResult;
}

/**
 * A RATE_LIMITED error when the operation's client has no request left in its bucket (the one
 * its HTTP requests use; addresses in RATE_LIMIT_EXEMPT are never limited, as over HTTP).
 */
async function rateLimited(
  limits: ClientLimits | null,
  request: Request,
  upgrade: IncomingMessage,
): Promise<GatewayError | null> {
  if (!limits) return null;
  // Keyed by the client address (TRUST_PROXY honoured): a token on a socket is not proven here.
  const address = limits.addresses.resolve(request, { req: upgrade });
  if (address === null || limits.exempt.has(address)) return null;
  const result = await limits.limiter.take(addressKey(address));
  if (result.ok) return null;
  limits.onLimited?.();
  return new GatewayError(
    ErrorCode.RATE_LIMITED,
    `Too many operations: retry after ${result.retryAfterSeconds} s.`,
    {
      extensions: { retryAfterSeconds: result.retryAfterSeconds },
    },
  );
}

function inScope(
  args: ExecutionArgs,
  run: (runners: RootRunners) => OperationResult,
): OperationResult {
  const runners = args.rootValue as RootRunners;
  const requestId = (args.contextValue as { requestId?: unknown }).requestId;
  return typeof requestId === 'string'
    ? withRequestId(requestId, () => run(runners))
    : run(runners);
}

function endOperation(state: SocketState | undefined, id: string): void {
  const endSpan = state?.spans.get(id);
  state?.spans.delete(id);
  endSpan?.();
  const controller = state?.operations.get(id);
  if (!controller) return;
  state?.operations.delete(id);
  controller.abort();
}

/**
 * A Request standing for one operation on the socket, so yoga's context factory sees the same
 * inputs as over HTTP: the connection's Authorization, the session cookie (only from an allowed
 * origin), a request id, and a signal aborted when the operation ends or the socket closes.
 */
function syntheticRequest(
  extra: WsExtra,
  credentials: ConnectionCredentials,
  path: string,
  signal: AbortSignal,
): Request {
  const headers = new Headers();
  if (credentials.authorization !== null) headers.set('authorization', credentials.authorization);
  if (credentials.cookie !== null) headers.set('cookie', credentials.cookie);
  const requestId = extra.request.headers['x-request-id'];
  if (typeof requestId === 'string') headers.set('x-request-id', requestId);
  // Also the caller's trace context, which the operation's span continues, and the forwarded
  // address the rate limit keys on behind a proxy (TRUST_PROXY).
  for (const name of ['sec-fetch-site', 'traceparent', 'tracestate', 'x-forwarded-for'] as const) {
    const value = extra.request.headers[name];
    if (typeof value === 'string') headers.set(name, value);
  }
  const host = extra.request.headers.host ?? 'localhost';
  return new Request(`http://${host}${path}`, { method: 'POST', headers, signal });
}

/** Results leave through the same masking as over HTTP (upstream errors mapped, others hidden). */
function masked(
  result: ExecutionResult,
  maskError: WebSocketOptions['maskError'],
): FormattedExecutionResult | undefined {
  if (!result.errors || result.errors.length === 0) return undefined;
  const errors = result.errors.map((error) => {
    const shown = maskError(error, 'Unexpected error.');
    return shown instanceof GraphQLError ? shown.toJSON() : { message: 'Unexpected error.' };
  });
  return { ...(result as FormattedExecutionResult), errors };
}
