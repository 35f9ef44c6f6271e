import { createHmac } from 'node:crypto';
import { request as httpRequest } from 'node:http';
import { request as httpsRequest } from 'node:https';
import { pyIsoformatUtc, pyJsonDumps } from './uploads/py.js';

/**
 * The deauthorization webhook (docs/upstream.md §2.6, private_sharing/models.py
 * `deauth_webhook`): a JSON POST, signed with HMAC-SHA1 of the exact body when the project has a
 * secret, and — on any non-2xx answer — one unsigned retry whose body is the JSON text encoded
 * again as a JSON string (production's legacy double encoding).
 */

export interface WebhookConfig {
  url: string;
  secret?: string;
  /** Production waits forever; the sandbox gives up after this long (default 10 s). */
  timeoutMs?: number;
}

export interface DeauthPayload {
  project_member_id: string;
  erasure_requested: boolean;
  timestamp: string;
}

/** One POST the sandbox made (or tried to make), kept for test assertions. */
export interface WebhookDelivery {
  url: string;
  /**
   * 'signed' is the first POST (signed when a secret is set); 'fallback' the double-encoded retry.
   */
  attempt: 'signed' | 'fallback';
  headers: Record<string, string>;
  /** The exact request body. */
  body: string;
  payload: DeauthPayload;
  /** The receiver's status, or null when the connection failed or timed out. */
  status: number | null;
  error?: string;
  at: string;
}

export const SIGNATURE_HEADER = 'X-OpenHumans-Webhooks-Signature';

/**
 * The payload, in production's key order. `timestamp` is the erasure request time when erasure was
 * requested and otherwise now (the documented behaviour; arrow 1.x would crash there, §2.6).
 */
export function deauthPayload(
  projectMemberId: string,
  erasureRequestedAt: Date | null,
  now = new Date(),
): DeauthPayload {
  return {
    project_member_id: projectMemberId,
    erasure_requested: erasureRequestedAt !== null,
    timestamp: pyIsoformatUtc(erasureRequestedAt ?? now),
  };
}

/** `json.dumps(payload)`: default separators, so `{"project_member_id": "…", …}`. */
export function webhookBody(payload: DeauthPayload): string {
  return pyJsonDumps(payload);
}

/** `sha1=<hex HMAC-SHA1(secret, body)>`. */
export function signWebhookBody(secret: string, body: string): string {
  return `sha1=${createHmac('sha1', Buffer.from(secret, 'utf8')).update(Buffer.from(body, 'utf8')).digest('hex')}`;
}

/**
 * Posts the webhook and, on a non-2xx answer, the unsigned double-encoded fallback. Every attempt
 * is appended to `log`. A failed connection is recorded (production's `requests` would raise
 * there and the member's request would end in a 500; the sandbox keeps answering). Never rejects.
 */
export async function sendDeauthWebhook(
  config: WebhookConfig,
  payload: DeauthPayload,
  log: WebhookDelivery[],
): Promise<WebhookDelivery[]> {
  // leave_project skips URLs that fail Django's URLValidator(schemes=["http", "https"]).
  if (!/^https?:\/\/[^\s/]+/i.test(config.url)) return [];
  const body = webhookBody(payload);
  const headers: Record<string, string> = { 'Content-Type': 'application/json' };
  if (config.secret) headers[SIGNATURE_HEADER] = signWebhookBody(config.secret, body);
  const first = await postRecorded(config, 'signed', headers, body, payload, log);
  const sent = [first];
  if (first.status !== null && (first.status < 200 || first.status > 299)) {
    // requests.post(url, json=<str>): the JSON text, encoded once more as a JSON string.
    const fallbackBody = pyJsonDumps(body);
    sent.push(
      await postRecorded(
        config,
        'fallback',
        { 'Content-Type': 'application/json' },
        fallbackBody,
        payload,
        log,
      ),
    );
  }
  return sent;
}

async function postRecorded(
  config: WebhookConfig,
  attempt: WebhookDelivery['attempt'],
  headers: Record<string, string>,
  body: string,
  payload: DeauthPayload,
  log: WebhookDelivery[],
): Promise<WebhookDelivery> {
  const delivery: WebhookDelivery = {
    url: config.url,
    attempt,
    headers,
    body,
    payload,
    status: null,
    at: new Date().toISOString(),
  };
  try {
    delivery.status = await postOnce(config.url, headers, body, config.timeoutMs ?? 10_000);
  } catch (err) {
    delivery.error = err instanceof Error ? err.message : String(err);
  }
  log.push(delivery);
  return delivery;
}

function postOnce(
  url: string,
  headers: Record<string, string>,
  body: string,
  timeoutMs: number,
): Promise<number> {
  const bytes = Buffer.from(body, 'utf8');
  const send = url.toLowerCase().startsWith('https:') ? httpsRequest : httpRequest;
  return new Promise((resolve, reject) => {
    const req = send(
      url,
      {
        method: 'POST',
        headers: { ...headers, 'Content-Length': String(bytes.length) },
        timeout: timeoutMs,
      },
      (res) => {
        res.resume();
        res.on('end', () => resolve(res.statusCode ?? 0));
        res.on('error', reject);
      },
    );
    req.on('timeout', () => req.destroy(new Error(`webhook timed out after ${timeoutMs} ms`)));
    req.on('error', reject);
    req.end(bytes);
  });
}
