/**
 * Hostile (and well-behaved) HTTP clients for the abuse tests and the abuse soak: bodies that
 * stream without being allocated, bodies that trickle, connections that are only held open.
 * Everything on loopback; `localAddress` (127.0.0.x) makes one machine look like many clients.
 */
import { request } from 'node:http';
import type { Socket } from 'node:net';
import { connect } from 'node:net';

export interface StreamedRequest {
  path: string;
  method?: string;
  headers?: Record<string, string>;
  /** Chunks to send; pulled lazily, so a 1 GB body is never held in memory. */
  body?: AsyncIterable<Buffer> | Iterable<Buffer>;
  localAddress?: string;
  /** Give up after this long (a safety net, not an assertion). @default 60 s */
  timeoutMs?: number;
}

export interface StreamedResult {
  /** null when the connection broke before any response. */
  status: number | null;
  headers: Record<string, string | string[] | undefined>;
  text: string;
  json: {
    errors?: Array<{ message: string; extensions?: Record<string, unknown> }>;
    data?: unknown;
  } | null;
  /** Body bytes the client managed to hand to its socket. */
  sentBytes: number;
  /** How the exchange ended when it did not end with a full response. */
  error?: string;
}

/**
 * Sends `body` and stops sending as soon as a response arrives (a server that answers early has
 * decided; the rest of the body is not offered). Resolves with the response or the broken socket.
 */
export function streamRequest(baseUrl: string, req: StreamedRequest): Promise<StreamedResult> {
  const url = new URL(req.path, baseUrl);
  return new Promise((resolve) => {
    let sentBytes = 0;
    let answered = false;
    let settled = false;
    const settle = (result: Omit<StreamedResult, 'sentBytes'>): void => {
      if (settled) return;
      settled = true;
      clearTimeout(timer);
      resolve({ ...result, sentBytes });
    };
    const client = request({
      host: url.hostname,
      port: url.port,
      path: url.pathname + url.search,
      method: req.method ?? 'POST',
      headers: req.headers,
      localAddress: req.localAddress,
      agent: false,
    });
    const timer = setTimeout(() => {
      client.destroy();
      settle({ status: null, headers: {}, text: '', json: null, error: 'client timeout' });
    }, req.timeoutMs ?? 60_000);
    client.on('error', (err) =>
      settle({ status: null, headers: {}, text: '', json: null, error: err.message }),
    );
    client.on('response', (res) => {
      answered = true;
      const chunks: Buffer[] = [];
      res.on('data', (c: Buffer) => chunks.push(c));
      res.on('error', () => undefined);
      res.on('close', () => {
        const text = Buffer.concat(chunks).toString('utf8');
        let json: StreamedResult['json'] = null;
        try {
          json = JSON.parse(text) as StreamedResult['json'];
        } catch {
          // not JSON: the caller sees the text
        }
        settle({ status: res.statusCode ?? null, headers: res.headers, text, json });
        client.destroy();
      });
    });
    void (async () => {
      try {
        for await (const chunk of req.body ?? []) {
          if (answered || client.destroyed) return;
          const ok = client.write(chunk);
          sentBytes += chunk.length;
          if (!ok) {
            await new Promise<void>((r) => {
              const done = (): void => {
                client.off('drain', done);
                client.off('close', done);
                r();
              };
              client.on('drain', done);
              client.on('close', done);
            });
          }
        }
        if (!answered && !client.destroyed) client.end();
      } catch {
        client.destroy();
      }
    })();
  });
}

/** `size` bytes in 64 KiB chunks of one reused buffer: a 1 GB body costs 64 KiB of memory. */
export function* zeroes(size: number, chunkSize = 64 * 1024): Generator<Buffer> {
  const chunk = Buffer.alloc(chunkSize, 0x61);
  for (let left = size; left > 0; left -= chunkSize)
    yield left >= chunkSize ? chunk : chunk.subarray(0, left);
}

/** `bytes` bytes, one every `intervalMs` (a trickling body). Stops early when `stop()` says so. */
export async function* trickle(
  bytes: number,
  intervalMs: number,
  stop: () => boolean = () => false,
): AsyncGenerator<Buffer> {
  for (let i = 0; i < bytes && !stop(); i++) {
    await new Promise((r) => setTimeout(r, intervalMs));
    yield Buffer.from('x');
  }
}

export const MULTIPART_BOUNDARY = '----oh-graphql-abuse-boundary';

/** The head of a GraphQL multipart upload, up to the start of the file part `field`. */
export function multipartHead(
  operations: unknown,
  map: Record<string, string[]>,
  field: string,
): Buffer {
  const b = MULTIPART_BOUNDARY;
  return Buffer.from(
    `--${b}\r\nContent-Disposition: form-data; name="operations"\r\n\r\n${JSON.stringify(operations)}\r\n` +
      `--${b}\r\nContent-Disposition: form-data; name="map"\r\n\r\n${JSON.stringify(map)}\r\n` +
      `--${b}\r\nContent-Disposition: form-data; name="${field}"; filename="f.bin"\r\nContent-Type: application/octet-stream\r\n\r\n`,
  );
}

/** The boundary between two file parts, opening the next one. */
export const nextPart = (field: string): Buffer =>
  Buffer.from(
    `\r\n--${MULTIPART_BOUNDARY}\r\nContent-Disposition: form-data; name="${field}"; filename="g.bin"\r\nContent-Type: application/octet-stream\r\n\r\n`,
  );

export const multipartTail = (): Buffer => Buffer.from(`\r\n--${MULTIPART_BOUNDARY}--\r\n`);

export function multipartHeaders(token?: string): Record<string, string> {
  return {
    'content-type': `multipart/form-data; boundary=${MULTIPART_BOUNDARY}`,
    'graphql-preflight': '1',
    ...(token ? { authorization: `Bearer ${token}` } : {}),
  };
}

/** The upload mutation with its file placeholder. */
export function uploadOperations(projectMemberId?: string): {
  query: string;
  variables: Record<string, unknown>;
} {
  return {
    query:
      'mutation($input: UploadDataFileInput!) { uploadDataFile(input: $input) { __typename ... on UserError { message } ... on UploadDataFilePayload { size } } }',
    variables: {
      input: {
        file: null,
        metadata: { description: 'abuse test', tags: ['t'] },
        ...(projectMemberId ? { projectMemberId } : {}),
      },
    },
  };
}

/** A random 64-character alphanumeric string: the shape of a master token, proven by nothing. */
export function fakeMasterToken(random: () => number = Math.random): string {
  const alphabet = 'ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789';
  return Array.from({ length: 64 }, () => alphabet[Math.floor(random() * alphabet.length)]).join(
    '',
  );
}

/**
 * Opens `count` sockets from `localAddress` and keeps them; resolves once each is open or refused.
 */
export async function holdConnections(
  port: number,
  count: number,
  localAddress: string,
): Promise<Socket[]> {
  const sockets = await Promise.all(
    Array.from(
      { length: count },
      () =>
        new Promise<Socket>((resolve) => {
          const socket = connect({ port, host: '127.0.0.1', localAddress });
          socket.on('error', () => undefined);
          socket.once('connect', () => resolve(socket));
          socket.once('close', () => resolve(socket));
        }),
    ),
  );
  // Give the server a moment to refuse the ones beyond its caps (it closes them at once).
  await new Promise((r) => setTimeout(r, 200));
  return sockets;
}
