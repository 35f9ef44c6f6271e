import type { Plugin } from 'graphql-yoga';
import type { DeauthorizationEventStore } from '../events/deauthorization-event.js';
import type { Logger } from '../logger.js';
import { parseDeauthorizationBody } from './deauthorization-payload.js';
import { SIGNATURE_HEADER, verifyWebhookSignature } from './signature.js';

/** Default path of the receiver (`DEAUTH_WEBHOOK_PATH` changes it). */
export const DEFAULT_DEAUTH_WEBHOOK_PATH = '/webhooks/openhumans/deauthorize';

/** A real payload is ~100 bytes; anything far larger is not Open Humans. */
const MAX_BODY_BYTES = 16 * 1024;
/** The upstream waits for us inside a member's request (no timeout): never keep it long. */
const STORE_TIMEOUT_MS = 3_000;

export interface DeauthorizationWebhookOptions {
  path: string;
  /** `OPENHUMANS_WEBHOOK_SECRET`; when null, unsigned (and legacy double-encoded) calls are accepted. */
  secret: string | null;
  store: DeauthorizationEventStore;
  logger: Logger;
  /** Injectable clock for tests. */
  now?: () => Date;
  /** How long the store may take before the call is answered 503. @default 3000 */
  storeTimeoutMs?: number;
}

type ResponseCtor = typeof Response;

/**
 * Handles one call to the deauthorization webhook (openhumans-api.md §2.6). With a secret: the
 * `X-OpenHumans-Webhooks-Signature` must be the HMAC-SHA1 of the exact body bytes, or 403 (which
 * also refuses the upstream's unsigned fallback retry). Without one: anything well-formed is
 * accepted, including the legacy double-encoded body. The event is kept and published before the
 * 200, so an acknowledged event is never lost; nothing slow happens here.
 */
export async function handleDeauthorizationWebhook(
  request: Request,
  options: DeauthorizationWebhookOptions,
  ResponseImpl: ResponseCtor = Response,
): Promise<Response> {
  const reply = (status: number, text: string, headers: Record<string, string> = {}): Response =>
    new ResponseImpl(text, { status, headers: { 'content-type': 'text/plain; charset=utf-8', ...headers } });
  const log = options.logger.child({ component: 'deauthorization-webhook' });

  if (request.method !== 'POST') return reply(405, 'Method not allowed.', { allow: 'POST' });
  const body = await readBody(request);
  if (body === null) return reply(413, 'Body too large.');

  if (options.secret !== null && !verifyWebhookSignature(options.secret, body, request.headers.get(SIGNATURE_HEADER))) {
    log.warn('deauthorization webhook refused: missing or wrong signature', { signed: request.headers.has(SIGNATURE_HEADER) });
    return reply(403, 'Missing or invalid signature.');
  }
  const now = options.now?.() ?? new Date();
  const parsed = parseDeauthorizationBody(new TextDecoder().decode(body), now, options.secret === null);
  if (!parsed.ok) {
    log.warn('deauthorization webhook refused: bad payload', { problem: parsed.problem });
    return reply(400, `Bad payload: ${parsed.problem}.`);
  }
  try {
    const stored = await withTimeout(options.store.append(parsed.event), options.storeTimeoutMs ?? STORE_TIMEOUT_MS);
    log.info('deauthorization event accepted', { eventId: stored.id, erasureRequested: stored.erasureRequested, legacy: parsed.legacy });
    log.debug('deauthorization event member', { eventId: stored.id, projectMemberId: stored.projectMemberId });
  } catch (err) {
    log.error('deauthorization event could not be stored', { err: err instanceof Error ? err.name : 'error' });
    return reply(503, 'Event store unavailable; try again.');
  }
  return reply(200, 'Received');
}

/** Serves the receiver at `options.path` from the same yoga instance (same port, same server). */
export function useDeauthorizationWebhook(options: DeauthorizationWebhookOptions): Plugin {
  return {
    async onRequest({ request, url, endResponse, fetchAPI }) {
      if (url.pathname !== options.path) return;
      try {
        endResponse(await handleDeauthorizationWebhook(request, options, fetchAPI.Response));
      } catch {
        // onRequest errors are not caught by the server adapter: never let one escape.
        endResponse(new fetchAPI.Response('Internal error.', { status: 500 }));
      }
    },
  };
}

/** The exact bytes (the signature covers them), at most MAX_BODY_BYTES; null when larger. */
async function readBody(request: Request): Promise<Uint8Array | null> {
  const declared = Number(request.headers.get('content-length') ?? '0');
  if (declared > MAX_BODY_BYTES) return null;
  if (!request.body) return new Uint8Array(0);
  const chunks: Uint8Array[] = [];
  let size = 0;
  for await (const chunk of request.body as unknown as AsyncIterable<Uint8Array>) {
    size += chunk.byteLength;
    if (size > MAX_BODY_BYTES) return null;
    chunks.push(chunk);
  }
  return Buffer.concat(chunks);
}

function withTimeout<T>(promise: Promise<T>, ms: number): Promise<T> {
  let timer: NodeJS.Timeout | undefined;
  const timeout = new Promise<never>((_, reject) => {
    timer = setTimeout(() => reject(new Error('timeout')), ms);
  });
  return Promise.race([promise, timeout]).finally(() => clearTimeout(timer));
}
