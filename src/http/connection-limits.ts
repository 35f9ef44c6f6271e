import type { IncomingMessage, Server, ServerOptions, ServerResponse } from 'node:http';
import type { Socket } from 'node:net';
import type { ConnectionLimitsConfig } from '../config/intake-limits.js';
import { ErrorCode, ErrorReason } from '../errors.js';

/** Refusals, for logs and metrics. */
export interface ConnectionLimitEvents {
  onRefused?(kind: 'per-client' | 'slow-body'): void;
}

/**
 * Options for `createServer`: the header timeout, and how often node checks it (its own default
 * of 30 s would let a slow header through for up to 30 s past the limit). The whole-request
 * timeout stays off: large uploads take long, and the minimum body rate cuts slow ones instead.
 */
export function serverOptions(limits: ConnectionLimitsConfig): ServerOptions {
  return {
    headersTimeout: limits.headersTimeoutMs,
    requestTimeout: 0,
    connectionsCheckingInterval: Math.max(
      100,
      Math.min(1_000, Math.floor(limits.headersTimeoutMs / 4)),
    ),
  };
}

/**
 * The key a connection counts under: the socket's peer address, IPv4-mapped IPv6 folded to
 * IPv4. Deliberately the socket only: a forwarded header is written by the client, and a
 * connection must be counted before any header is read.
 */
export function clientKeyOf(socket: Socket): string {
  const address = socket.remoteAddress ?? 'unknown';
  return address.startsWith('::ffff:') ? address.slice(7) : address;
}

/**
 * Bounds what clients can hold open on `server`: at most `maxConnections` sockets overall (node
 * drops the ones beyond), at most `maxConnectionsPerClient` per client address (closed at once),
 * and a minimum body rate: a request body still arriving that delivers fewer than
 * `bodyMinBytesPerWindow` bytes in a window of `bodyRateWindowMs` is answered 408 and cut.
 */
export function applyConnectionLimits(
  server: Server,
  limits: ConnectionLimitsConfig,
  events: ConnectionLimitEvents = {},
): void {
  if (limits.maxConnections > 0) server.maxConnections = limits.maxConnections;
  if (limits.maxConnectionsPerClient > 0)
    capPerClient(server, limits.maxConnectionsPerClient, events);
  if (limits.bodyMinBytesPerWindow > 0) {
    server.prependListener('request', (req: IncomingMessage, res: ServerResponse) =>
      watchBodyRate(req, res, limits, events),
    );
  }
}

function capPerClient(server: Server, max: number, events: ConnectionLimitEvents): void {
  const open = new Map<string, number>();
  server.on('connection', (socket: Socket) => {
    const key = clientKeyOf(socket);
    const count = (open.get(key) ?? 0) + 1;
    if (count > max) {
      events.onRefused?.('per-client');
      socket.destroy();
      return;
    }
    open.set(key, count);
    socket.once('close', () => {
      const left = (open.get(key) ?? 1) - 1;
      if (left > 0) open.set(key, left);
      else open.delete(key);
    });
  });
}

function hasBody(req: IncomingMessage): boolean {
  const length = req.headers['content-length'];
  return (length !== undefined && length !== '0') || req.headers['transfer-encoding'] !== undefined;
}

/**
 * While the gateway itself holds the body back (backpressure: the request's buffer is full and
 * node stopped reading the socket), a quiet window is not the client's fault and is not counted.
 * (`req.isPaused()` says nothing here: a stream read by async iteration always reports paused.)
 */
function heldBack(req: IncomingMessage): boolean {
  return req.readableLength >= req.readableHighWaterMark || req.socket.isPaused();
}

function watchBodyRate(
  req: IncomingMessage,
  res: ServerResponse,
  limits: ConnectionLimitsConfig,
  events: ConnectionLimitEvents,
): void {
  if (!hasBody(req) || req.complete) return;
  const socket = req.socket;
  const window = limits.bodyRateWindowMs;
  let last = socket.bytesRead;
  let due = Date.now() + window;
  const timer = setInterval(() => {
    if (req.complete || socket.destroyed) return stop();
    const late = Date.now() - due;
    due = Date.now() + window;
    // The gateway's own event loop stalled: bytes that did arrive may not be read yet.
    if (late > window / 2) {
      last = socket.bytesRead;
      return;
    }
    // Timers run before the loop reads sockets: let it read what is waiting, then judge.
    setImmediate(() => {
      if (req.complete || socket.destroyed) return stop();
      const delivered = socket.bytesRead - last;
      last = socket.bytesRead;
      if (delivered >= limits.bodyMinBytesPerWindow || heldBack(req)) return;
      stop();
      events.onRefused?.('slow-body');
      cutSlowBody(socket, limits);
    });
  }, window);
  timer.unref();
  const stop = (): void => clearInterval(timer);
  req.once('end', stop);
  req.once('close', stop);
  // Answered already (e.g. 413 before the body was read): node closes the connection itself.
  res.once('finish', stop);
}

/**
 * Written straight to the socket (the request handler may still be waiting for the body and
 * owns the response object), then the socket is closed; the handler's later writes go nowhere.
 */
function cutSlowBody(socket: Socket, limits: ConnectionLimitsConfig): void {
  const body = JSON.stringify({
    errors: [
      {
        message: `The request body arrived slower than ${limits.bodyMinBytesPerWindow} bytes per ${limits.bodyRateWindowMs} ms; the request was cut.`,
        extensions: { code: ErrorCode.BAD_USER_INPUT, reason: ErrorReason.BODY_TOO_SLOW },
      },
    ],
  });
  const head = [
    'HTTP/1.1 408 Request Timeout',
    'content-type: application/json; charset=utf-8',
    `content-length: ${Buffer.byteLength(body)}`,
    'connection: close',
  ].join('\r\n');
  socket.end(`${head}\r\n\r\n${body}`, () => socket.destroy());
  // A peer that never reads what we wrote must not keep the socket either.
  setTimeout(() => socket.destroy(), 5_000).unref();
}
