import type { Plugin } from 'graphql-yoga';
import type {
  DeauthorizationEvent,
  DeauthorizationEventStore,
} from '../events/deauthorization-event.js';
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
  /** The gateway's project (OPENHUMANS_PROJECT_ID): every accepted event is stamped with it. */
  projectId: number;
  /** `OPENHUMANS_WEBHOOK_SECRET`; a signed call must verify against it. */
  secret: string | null;
  /**
   * Accept calls without a signature, and the legacy double-encoded retry (see `webhookPolicy`).
   */
  acceptUnsigned: boolean;
  /** How far the call's `timestamp` may be from now, either way, before it is refused. */
  toleranceMs: number;
  store: DeauthorizationEventStore;
  logger: Logger;
  /** Injectable clock for tests. */
  now?: () => Date;
  /** How long the store may take before the call is answered 503 (a safety net). @default 3000 */
  storeTimeoutMs?: number;
}

type ResponseCtor = typeof Response;
type Reply = (status: number, text: string, headers?: Record<string, string>) => Response;

/**
 * Handles one call to the deauthorization webhook (docs/deauthorization-webhook.md).
 * - Signature: a call carrying `X-OpenHumans-Webhooks-Signature` must carry the HMAC-SHA1 of the
 *   exact body bytes with the secret, or 403. A call without one is refused (403) unless
 *   `acceptUnsigned`; only such an unsigned call may use the legacy double-encoded body.
 * - Freshness: Open Humans sends the time of the deauthorization (or erasure request) from inside
 *   the member's own request, so a `timestamp` more than `toleranceMs` from now is a replay or a
 *   forgery and is refused (400).
 * - Exactly once: the store drops a (member, timestamp) it already accepted; a replay is answered
 *   200 like the first call but neither kept nor published again.
 * - Acknowledgement: 200 only once the store has kept the event; 503 means it was not kept, and
 *   will not be kept or published later.
 */
export async function handleDeauthorizationWebhook(
  request: Request,
  options: DeauthorizationWebhookOptions,
  ResponseImpl: ResponseCtor = Response,
): Promise<Response> {
  const reply: Reply = (status, text, headers = {}) =>
    new ResponseImpl(text, {
      status,
      headers: {
        'content-type': 'text/plain; charset=utf-8',
        'cache-control': 'no-store',
        ...headers,
      },
    });
  const log = options.logger.child({ component: 'deauthorization-webhook' });

  if (request.method !== 'POST') return reply(405, 'Method not allowed.', { allow: 'POST' });
  const body = await readBody(request);
  if (body === null) return reply(413, 'Body too large.');

  const signature = request.headers.get(SIGNATURE_HEADER);
  const signed = signature !== null && options.secret !== null;
  if (
    signed
      ? !verifyWebhookSignature(options.secret ?? '', body, signature)
      : !options.acceptUnsigned
  ) {
    log.warn('deauthorization webhook refused: missing or wrong signature', {
      signed: signature !== null,
    });
    return reply(403, 'Missing or invalid signature.');
  }
  const now = options.now?.() ?? new Date();
  const parsed = parseDeauthorizationBody(new TextDecoder().decode(body), {
    projectId: options.projectId,
    receivedAt: now,
    allowLegacy: !signed,
  });
  if (!parsed.ok) {
    log.warn('deauthorization webhook refused: bad payload', { problem: parsed.problem });
    return reply(400, `Bad payload: ${parsed.problem}.`);
  }
  const skewMs = Math.abs(now.getTime() - parsed.event.timestamp.getTime());
  if (skewMs > options.toleranceMs) {
    log.warn('deauthorization webhook refused: timestamp outside the accepted window', {
      skewSeconds: Math.round(skewMs / 1000),
    });
    return reply(400, 'Bad payload: timestamp too far from now (a replay?).');
  }
  return store(parsed.event, parsed.legacy, options, log, reply);
}

async function store(
  event: DeauthorizationEvent,
  legacy: boolean,
  options: DeauthorizationWebhookOptions,
  log: Logger,
  reply: Reply,
): Promise<Response> {
  try {
    const outcome = await withTimeout(
      options.store.append(event),
      options.storeTimeoutMs ?? STORE_TIMEOUT_MS,
    );
    if (outcome.duplicate) {
      log.info('deauthorization event already received: acknowledged, not kept again', {
        eventId: outcome.id,
        legacy,
      });
    } else {
      log.info('deauthorization event accepted', {
        eventId: outcome.id,
        erasureRequested: event.erasureRequested,
        legacy,
      });
    }
    log.debug('deauthorization event member', {
      eventId: outcome.id,
      projectMemberId: event.projectMemberId,
    });
  } catch (err) {
    log.error('deauthorization event could not be stored', {
      err: err instanceof Error ? err.name : 'error',
    });
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
