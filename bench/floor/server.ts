/**
 * The floor served over HTTP, so the same load generator and the same per-process CPU and memory
 * measurements apply to it as to the two GraphQL servers (the loopback hop costs all three the
 * same). `POST /<case>` with `{"variables": …}` answers `{"data": …}`, the same JSON as the
 * matching GraphQL response. Prints one JSON line (`ready`, `url`); stops on SIGTERM.
 */
import { createServer, type IncomingMessage } from 'node:http';
import type { AddressInfo } from 'node:net';
import { FloorClient, fromGlobalId } from './client.js';

const baseUrl = process.env.OPENHUMANS_BASE_URL;
if (!baseUrl) throw new Error('OPENHUMANS_BASE_URL is required');
const floor = new FloorClient(baseUrl);

async function readJson(req: IncomingMessage): Promise<{ variables?: Record<string, unknown> }> {
  const chunks: Buffer[] = [];
  for await (const chunk of req) chunks.push(chunk as Buffer);
  const text = Buffer.concat(chunks).toString('utf8');
  return text ? (JSON.parse(text) as { variables?: Record<string, unknown> }) : {};
}

function bearer(req: IncomingMessage): string {
  const header = req.headers.authorization ?? '';
  return header.startsWith('Bearer ') ? header.slice(7) : '';
}

const handlers: Record<
  string,
  (req: IncomingMessage, variables: Record<string, unknown>) => Promise<unknown>
> = {
  '/a': () => floor.explorerPage(),
  '/b-last': () => floor.lastPage(),
  '/b-after': (_req, v) => floor.deepPage(Number(fromGlobalId(String(v.after)).key)),
  '/c': (req) => floor.coordinatorView(bearer(req)),
  '/d': (_req, v) => floor.nodes(v.ids as string[]),
};

const server = createServer((req, res) => {
  const handler = handlers[req.url ?? ''];
  if (!handler || req.method !== 'POST') {
    res.writeHead(404).end();
    return;
  }
  readJson(req)
    .then((body) => handler(req, body.variables ?? {}))
    .then((data) => {
      const text = JSON.stringify({ data });
      res
        .writeHead(200, {
          'content-type': 'application/json',
          'content-length': Buffer.byteLength(text),
        })
        .end(text);
    })
    .catch((err: unknown) => {
      const text = JSON.stringify({
        errors: [{ message: err instanceof Error ? err.message : String(err) }],
      });
      res.writeHead(502, { 'content-type': 'application/json' }).end(text);
    });
});
server.keepAliveTimeout = 60_000;

server.listen(0, '127.0.0.1', () => {
  const { port } = server.address() as AddressInfo;
  process.stdout.write(`${JSON.stringify({ ready: true, url: `http://127.0.0.1:${port}` })}\n`);
});

const stop = (): void => {
  server.closeAllConnections();
  server.close(() => void floor.close().finally(() => process.exit(0)));
};
process.once('SIGTERM', stop);
process.once('SIGINT', stop);
