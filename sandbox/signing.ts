// Stateless download keys and S3-like signed URLs. Keys look like uuid4s but carry their mint
// time and an HMAC over (file id, time, counter), so serializing a file costs no memory: a
// benchmark can mint millions of keys. Expiry: 1 hour (DataFileKey); signed GETs: 10 minutes.
import { createHmac, timingSafeEqual } from 'node:crypto';

export const DOWNLOAD_KEY_TTL_MS = 3_600_000;
export const S3_GET_TTL_S = 600;
/** The sandbox serves its S3-like bucket under this path prefix. */
export const S3_PREFIX = '/s3/open-humans-production/';
export const S3_ACCESS_KEY_ID = 'SANDBOXACCESSKEYID00';

let counter = 0;

function mac(secret: Buffer, text: string, hexChars: number): string {
  return createHmac('sha256', secret).update(text).digest('hex').slice(0, hexChars);
}

/** A fresh key for one serialization of `fileId`. */
export function mintDownloadKey(secret: Buffer, fileId: number, nowMs: number): string {
  const t = Math.floor(nowMs / 1000).toString(16).padStart(8, '0').slice(-8);
  counter = (counter + 1) % 0x10000000;
  const c = counter.toString(16).padStart(7, '0');
  const m = mac(secret, `${fileId}:${t}:${c}`, 15);
  const variant = '89ab'[parseInt(m[0] ?? '0', 16) % 4] ?? '8';
  return `${t}-${c.slice(0, 4)}-4${c.slice(4)}-${variant}${m.slice(0, 3)}-${m.slice(3)}`;
}

export type KeyCheck = 'ok' | 'invalid' | 'expired';

export function checkDownloadKey(secret: Buffer, fileId: number, key: string, nowMs: number): KeyCheck {
  const m = /^([0-9a-f]{8})-([0-9a-f]{4})-4([0-9a-f]{3})-[89ab]([0-9a-f]{3})-([0-9a-f]{12})$/.exec(key);
  if (!m) return 'invalid';
  const [, t = '', c1 = '', c2 = '', m1 = '', m2 = ''] = m;
  if (!safeEqual(mac(secret, `${fileId}:${t}:${c1}${c2}`, 15), m1 + m2)) return 'invalid';
  const minted = parseInt(t, 16) * 1000;
  return nowMs - minted >= DOWNLOAD_KEY_TTL_MS ? 'expired' : 'ok';
}

/** SigV2-style query string for `method` on an object key, valid until `expiresEpochS`. */
export function signS3(secret: Buffer, method: 'GET' | 'PUT', s3Key: string, expiresEpochS: number): string {
  const signature = createHmac('sha1', secret).update(`${method}\n\n\n${expiresEpochS}\n/${s3Key}`).digest('base64');
  return `Signature=${encodeURIComponent(signature)}&Expires=${expiresEpochS}&AWSAccessKeyId=${S3_ACCESS_KEY_ID}`;
}

export type SignatureCheck = 'ok' | 'mismatch' | 'expired' | 'missing';

/** Verifies a signed URL's query for `method` on `s3Key` (object key, decoded). */
export function checkS3(secret: Buffer, method: 'GET' | 'PUT', s3Key: string, query: URLSearchParams, nowMs: number): SignatureCheck {
  const sig = query.get('Signature');
  const expires = query.get('Expires');
  if (!sig || !expires || query.get('AWSAccessKeyId') === null) return 'missing';
  const expected = createHmac('sha1', secret).update(`${method}\n\n\n${expires}\n/${s3Key}`).digest('base64');
  if (!safeEqual(expected, sig)) return 'mismatch';
  return Number(expires) * 1000 <= nowMs ? 'expired' : 'ok';
}

/** Path-encodes an S3 object key (segments encoded, slashes kept). */
export function s3Path(s3Key: string): string {
  return S3_PREFIX + s3Key.split('/').map(encodeURIComponent).join('/');
}

function safeEqual(a: string, b: string): boolean {
  const ba = Buffer.from(a);
  const bb = Buffer.from(b);
  return ba.length === bb.length && timingSafeEqual(ba, bb);
}
