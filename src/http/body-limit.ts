import type { Plugin } from 'graphql-yoga';
import { ErrorCode, ErrorReason } from '../errors.js';

const METHODS_WITH_BODY = new Set(['POST', 'PUT', 'PATCH']);

/**
 * Refuses request bodies larger than `maxBytes` with 413 (BAD_USER_INPUT, reason
 * BODY_TOO_LARGE) before they are buffered: from `Content-Length` when it is declared (nothing
 * is read), else by reading a chunked body only up to the limit. A JSON body of at most 1 MB also
 * bounds what parsing its `variables` can cost. Multipart uploads POSTed to `uploadPath` are
 * left to the streaming upload handling, which has its own limits per field and per file; a
 * multipart body anywhere else is bounded like any other.
 *
 * This is the only body limit of the gateway's yoga (its own `maxRequestBodySize` is off): yoga's
 * wraps every body, already bounded here, in a TransformStream and a second Request.
 */
export function useBodyLimit(maxBytes: number, uploadPath: string): Plugin {
  return {
    async onRequest({ request, url, endResponse, setRequest, fetchAPI }) {
      if (!METHODS_WITH_BODY.has(request.method) || !request.body) return;
      const multipart = /^multipart\/form-data\b/i.test(request.headers.get('content-type') ?? '');
      if (multipart && request.method === 'POST' && url.pathname === uploadPath) return;
      const refuse = (): void => endResponse(tooLarge(fetchAPI, maxBytes));
      const declared = request.headers.get('content-length');
      if (declared !== null) {
        if (!/^\d+$/.test(declared.trim()) || Number(declared) > maxBytes) refuse();
        return;
      }
      const body = await readUpTo(request.body, maxBytes);
      if (body === null) {
        refuse();
        return;
      }
      const headers = new fetchAPI.Headers(request.headers);
      headers.delete('transfer-encoding');
      headers.set('content-length', String(body.byteLength));
      setRequest(
        new fetchAPI.Request(request.url, {
          method: request.method,
          headers,
          body,
          signal: request.signal,
        }),
      );
    },
  };
}

/** The whole body if it is at most `maxBytes`, else null (the rest is left unread). */
async function readUpTo(
  stream: ReadableStream<Uint8Array>,
  maxBytes: number,
): Promise<ArrayBuffer | null> {
  const reader = stream.getReader();
  const chunks: Uint8Array[] = [];
  let total = 0;
  for (;;) {
    const { done, value } = await reader.read();
    if (done) break;
    total += value.byteLength;
    if (total > maxBytes) {
      await reader.cancel().catch(() => undefined);
      return null;
    }
    chunks.push(value);
  }
  const body = new Uint8Array(total);
  let at = 0;
  for (const chunk of chunks) {
    body.set(chunk, at);
    at += chunk.byteLength;
  }
  return body.buffer;
}

function tooLarge(fetchAPI: { Response: typeof Response }, maxBytes: number): Response {
  const error = {
    message: `The request body is larger than ${maxBytes} bytes (MAX_BODY_BYTES).`,
    extensions: { code: ErrorCode.BAD_USER_INPUT, reason: ErrorReason.BODY_TOO_LARGE, maxBytes },
  };
  // `connection: close`: the rest of the body is not read, so the connection cannot be reused.
  return new fetchAPI.Response(JSON.stringify({ errors: [error] }), {
    status: 413,
    headers: { 'content-type': 'application/json; charset=utf-8', connection: 'close' },
  });
}
