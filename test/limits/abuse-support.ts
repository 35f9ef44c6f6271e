/**
 * Abuse tests' parts: the gateway as `main.ts` builds it (process-wide resilience with the
 * configured concurrency cap and queue) on a real loopback socket, and a counting relay in
 * front of the sandbox that records the most upstream calls ever in flight at once.
 */
import type { Server } from 'node:http';
import { createServer, request as httpRequest } from 'node:http';
import type { AddressInfo } from 'node:net';
import type { Sandbox } from '../../sandbox/index.js';
import type { Config } from '../../src/config/index.js';
import { loadConfig } from '../../src/config/index.js';
import type { Gateway } from '../../src/gateway.js';
import { createGateway } from '../../src/gateway.js';
import { createLogger } from '../../src/logger.js';

export interface ListeningGateway {
  url: string;
  gateway: Gateway;
  config: Config;
  close(): Promise<void>;
}

async function listen(server: Server): Promise<string> {
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  return `http://127.0.0.1:${(server.address() as AddressInfo).port}`;
}

function closer(server: Server): () => Promise<void> {
  return () =>
    new Promise<void>((resolve) => {
      server.close(() => resolve());
      server.closeAllConnections();
    });
}

/** The gateway over `upstream` (the sandbox or a relay), listening on 127.0.0.1. */
export async function startGatewayOn(
  upstream: string,
  env: Record<string, string> = {},
): Promise<ListeningGateway> {
  const config = loadConfig({
    OPENHUMANS_BASE_URL: upstream,
    LOG_LEVEL: 'silent',
    GRAPHIQL: 'false',
    ...env,
  });
  const gateway = createGateway({ config, logger: createLogger({ level: 'silent' }) });
  const server = createServer(gateway);
  const url = await listen(server);
  const close = closer(server);
  return {
    url,
    gateway,
    config,
    close: async () => {
      await close();
      await gateway.dispose();
    },
  };
}

export interface CountingRelay {
  url: string;
  /** Most requests in flight at once since the last `reset()`. */
  readonly maxInFlight: number;
  reset(): void;
  close(): Promise<void>;
}

/** Forwards every request to `target` unchanged, counting how many are in flight. */
export async function startCountingRelay(target: string): Promise<CountingRelay> {
  const to = new URL(target);
  let inFlight = 0;
  let maxInFlight = 0;
  const server = createServer((req, res) => {
    inFlight += 1;
    maxInFlight = Math.max(maxInFlight, inFlight);
    let done = false;
    const finish = (): void => {
      if (done) return;
      done = true;
      inFlight -= 1;
    };
    res.on('close', finish);
    const upstream = httpRequest(
      { host: to.hostname, port: to.port, method: req.method, path: req.url, headers: req.headers },
      (answer) => {
        res.writeHead(answer.statusCode ?? 502, answer.headers);
        answer.pipe(res);
      },
    );
    upstream.on('error', () => res.destroy());
    req.pipe(upstream);
  });
  const url = await listen(server);
  return {
    url,
    get maxInFlight() {
      return maxInFlight;
    },
    reset: () => {
      maxInFlight = inFlight;
    },
    close: closer(server),
  };
}

export interface Answer {
  status: number;
  body: {
    data?: Record<string, unknown> | null;
    errors?: { message: string; extensions?: Record<string, unknown> }[];
  };
}

/** POSTs a GraphQL request over the socket. */
export async function post(
  url: string,
  path: string,
  payload: { query: string; variables?: Record<string, unknown> },
  headers: Record<string, string> = {},
): Promise<Answer> {
  const res = await fetch(`${url}${path}`, {
    method: 'POST',
    headers: { 'content-type': 'application/json', accept: 'application/json', ...headers },
    body: JSON.stringify(payload),
  });
  const text = await res.text();
  return { status: res.status, body: JSON.parse(text) as Answer['body'] };
}

/** Global ids of `n` public data files (asked of the gateway at `url`, as a client would). */
export async function fileIds(
  url: string,
  n: number,
  headers: Record<string, string> = {},
): Promise<string[]> {
  const answer = await post(
    url,
    '/graphql',
    { query: `{ dataFiles(first: ${n}) { edges { node { id } } } }` },
    headers,
  );
  const edges =
    (answer.body.data?.dataFiles as { edges: { node: { id: string } }[] } | undefined)?.edges ?? [];
  if (edges.length !== n) throw new Error(`expected ${n} public files, got ${edges.length}`);
  return edges.map((e) => e.node.id);
}

/** Totals of the sandbox's per-route call counts. */
export const totalCalls = (sandbox: Sandbox): number =>
  Object.values(sandbox.calls()).reduce((a, b) => a + b, 0);
