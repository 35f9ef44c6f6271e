import { createHmac, timingSafeEqual } from 'node:crypto';

/** The header Open Humans signs webhook calls with (docs/deauthorization-webhook.md). */
export const SIGNATURE_HEADER = 'x-openhumans-webhooks-signature';

/** `sha1=<hex HMAC-SHA1(secret, exact body bytes)>`, as the upstream computes it. */
export function signWebhookBody(secret: string, body: Uint8Array): string {
  return `sha1=${createHmac('sha1', Buffer.from(secret, 'utf8')).update(body).digest('hex')}`;
}

/**
 * Checks a signature header against the exact body bytes, in constant time (compares the two
 * HMAC digests, so the header's length leaks nothing either).
 */
export function verifyWebhookSignature(
  secret: string,
  body: Uint8Array,
  header: string | null,
): boolean {
  if (header === null) return false;
  const match = /^sha1=([0-9a-f]{40})$/i.exec(header.trim());
  if (!match?.[1]) return false;
  const expected = createHmac('sha1', Buffer.from(secret, 'utf8')).update(body).digest();
  const given = Buffer.from(match[1], 'hex');
  return given.length === expected.length && timingSafeEqual(given, expected);
}
