/**
 * A small client for the GraphQL multipart request spec, used by the upload tests and the
 * benchmark: builds the body as a stream (files may be generated on the fly, never held whole)
 * and sends it over real HTTP with undici, or in-process through `yoga.fetch`.
 */
import { createHash, randomBytes } from 'node:crypto';
import { Readable } from 'node:stream';
import type { Dispatcher } from 'undici';
import { request } from 'undici';

export interface FilePart {
  /** The multipart field name (a key of `map`). */
  field: string;
  filename: string;
  content: Buffer | (() => AsyncIterable<Uint8Array>);
}

export interface MultipartSpec {
  operations: unknown;
  map: Record<string, string[]>;
  files: FilePart[];
  /** Send `map` before `operations` etc.: raw field order override for malformed-request tests. */
  fieldsOverride?: Array<[string, string]>;
}

export const BOUNDARY = '----oh-graphql-test-boundary-7MA4YWxkTrZu0gW';

/** The multipart body, streamed part by part. */
export async function* multipartBody(
  spec: MultipartSpec,
  boundary = BOUNDARY,
): AsyncGenerator<Buffer> {
  const fields = spec.fieldsOverride ?? [
    ['operations', JSON.stringify(spec.operations)],
    ['map', JSON.stringify(spec.map)],
  ];
  for (const [name, value] of fields) {
    yield Buffer.from(
      `--${boundary}\r\nContent-Disposition: form-data; name="${name}"\r\n\r\n${value}\r\n`,
    );
  }
  for (const file of spec.files) {
    yield Buffer.from(
      `--${boundary}\r\nContent-Disposition: form-data; name="${file.field}"; filename="${file.filename}"\r\n` +
        'Content-Type: application/octet-stream\r\n\r\n',
    );
    if (Buffer.isBuffer(file.content)) yield file.content;
    else for await (const chunk of file.content()) yield Buffer.from(chunk);
    yield Buffer.from('\r\n');
  }
  yield Buffer.from(`--${boundary}--\r\n`);
}

export interface GraphQLResponse {
  status: number;
  json: {
    data?: Record<string, unknown> | null;
    errors?: Array<{ message: string; extensions?: Record<string, unknown> }>;
  } | null;
  text: string;
}

export interface SendOptions {
  token?: string;
  /** Adds `graphql-preflight: 1` (CSRF protection) unless false. */
  preflight?: boolean;
  dispatcher?: Dispatcher;
  /** Override the body (e.g. truncated). */
  body?: AsyncIterable<Buffer>;
}

function headersFor(options: SendOptions, boundary = BOUNDARY): Record<string, string> {
  const headers: Record<string, string> = {
    'content-type': `multipart/form-data; boundary=${boundary}`,
    accept: 'application/graphql-response+json, application/json',
  };
  if (options.preflight !== false) headers['graphql-preflight'] = '1';
  if (options.token) headers.authorization = `Bearer ${options.token}`;
  return headers;
}

/** Sends a multipart GraphQL request over real HTTP (streamed, chunked transfer encoding). */
export async function sendMultipart(
  baseUrl: string,
  spec: MultipartSpec,
  options: SendOptions = {},
): Promise<GraphQLResponse> {
  const res = await request(`${baseUrl}/graphql`, {
    method: 'POST',
    headers: headersFor(options),
    body: Readable.from(options.body ?? multipartBody(spec)),
    dispatcher: options.dispatcher,
  });
  const text = await res.body.text();
  return { status: res.statusCode, json: parseJson(text), text };
}

/** Sends a multipart GraphQL request in-process through the gateway's `fetch`. */
export async function fetchMultipart(
  fetchFn: (path: string, init?: RequestInit) => Promise<Response>,
  spec: MultipartSpec,
  options: SendOptions = {},
): Promise<GraphQLResponse> {
  const chunks: Buffer[] = [];
  for await (const chunk of options.body ?? multipartBody(spec)) chunks.push(chunk);
  const res = await fetchFn('/graphql', {
    method: 'POST',
    headers: headersFor(options),
    body: Buffer.concat(chunks),
  });
  const text = await res.text();
  return { status: res.status, json: parseJson(text), text };
}

function parseJson(text: string): GraphQLResponse['json'] {
  try {
    return JSON.parse(text) as GraphQLResponse['json'];
  } catch {
    return null;
  }
}

/**
 * Deterministic incompressible-looking bytes of any size, generated chunk by chunk (64 KiB): a
 * random block with the chunk number stamped in, so no two chunks are equal.
 */
export function generatedFile(
  size: number,
  seed = 1,
): { size: number; stream: () => AsyncIterable<Uint8Array>; md5: () => Promise<string> } {
  const block = createHash('sha512').update(`seed:${seed}`).digest();
  const base = Buffer.alloc(64 * 1024);
  for (let i = 0; i < base.length; i += block.length) block.copy(base, i);
  // Spread the seed over the block so files of different seeds differ everywhere.
  const noise = randomBytesFromSeed(seed, base.length);
  for (let i = 0; i < base.length; i++) base[i] = (base[i] ?? 0) ^ (noise[i] ?? 0);
  async function* stream(): AsyncGenerator<Uint8Array> {
    let sent = 0;
    let n = 0;
    while (sent < size) {
      const len = Math.min(base.length, size - sent);
      const chunk = Buffer.from(base.subarray(0, len));
      if (len >= 4) chunk.writeUInt32BE(n >>> 0, 0);
      n += 1;
      sent += len;
      yield chunk;
    }
  }
  return {
    size,
    stream,
    async md5() {
      const hash = createHash('md5');
      for await (const chunk of stream()) hash.update(chunk);
      return hash.digest('hex');
    },
  };
}

function randomBytesFromSeed(seed: number, length: number): Buffer {
  const out = Buffer.alloc(length);
  let offset = 0;
  let counter = 0;
  while (offset < length) {
    const digest = createHash('sha256').update(`${seed}:${counter++}`).digest();
    offset += digest.copy(out, offset);
  }
  return out;
}

export const md5Of = (bytes: Buffer): string => createHash('md5').update(bytes).digest('hex');

/** Random test bytes (small files). */
export const someBytes = (size: number): Buffer => randomBytes(size);
