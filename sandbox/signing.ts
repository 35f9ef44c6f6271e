// Stateless download keys and S3-like signed URLs. Keys look like uuid4s but carry their mint
// time and an HMAC over (file id, time, counter), so serializing a file costs no memory: a
// benchmark can mint millions of keys. Expiry: 1 hour (DataFileKey); signed GETs: 10 minutes.
// S3 URLs use SigV2 query-string auth, path-style, like boto2's generate_url.
import { createHmac, timingSafeEqual } from 'node:crypto';

export const DOWNLOAD_KEY_TTL_MS = 3_600_000;
export const S3_GET_TTL_S = 600;
/** Production's bucket; the sandbox serves it path-style at `/<bucket>/<quoted key>`. */
export const S3_BUCKET = 'open-humans-production';
export const S3_PREFIX = `/${S3_BUCKET}/`;

/** Credentials of the sandbox's S3-like bucket (shared by downloads and presigned PUTs). */
export interface S3Credentials {
  bucket: string;
  accessKeyId: string;
  secretAccessKey: string;
}

let counter = 0;
const fileTags = new WeakMap<Buffer, Map<number, number>>();

/** A per-file 32-bit tag from the instance secret (one HMAC per file, then cached). */
function fileTag(secret: Buffer, fileId: number): number {
  let tags = fileTags.get(secret);
  if (!tags) {
    tags = new Map();
    fileTags.set(secret, tags);
  }
  let tag = tags.get(fileId);
  if (tag === undefined) {
    tag = createHmac('sha256', secret).update(String(fileId)).digest().readUInt32BE(0);
    tags.set(fileId, tag);
  }
  return tag;
}

/** murmur3's 32-bit finalizer. */
function fmix32(h: number): number {
  h ^= h >>> 16;
  h = Math.imul(h, 0x85ebca6b);
  h ^= h >>> 13;
  h = Math.imul(h, 0xc2b2ae35);
  return (h ^ (h >>> 16)) >>> 0;
}

/**
 * 60-bit check value of (file, time, counter). Keyed by the secret-derived file tag; a fast mix
 * rather than an HMAC per key, because serializing a page mints 100 keys and the sandbox backs
 * benchmarks. Good enough to reject made-up, tampered and other files' keys.
 */
function keyMac(secret: Buffer, fileId: number, t: number, c: number): string {
  const tag = fileTag(secret, fileId);
  const h1 = fmix32(tag ^ t);
  const h2 = fmix32(h1 ^ c ^ 0x9e3779b9);
  const h3 = fmix32(h2 ^ tag ^ 0x7f4a7c15);
  return h2.toString(16).padStart(8, '0') + h3.toString(16).padStart(8, '0').slice(0, 7);
}

/** A fresh key for one serialization of `fileId`. */
export function mintDownloadKey(secret: Buffer, fileId: number, nowMs: number): string {
  const tSec = Math.floor(nowMs / 1000) >>> 0;
  counter = (counter + 1) % 0x10000000;
  const t = tSec.toString(16).padStart(8, '0');
  const c = counter.toString(16).padStart(7, '0');
  const m = keyMac(secret, fileId, tSec, counter);
  const variant = '89ab'[parseInt(m[0] ?? '0', 16) % 4] ?? '8';
  return `${t}-${c.slice(0, 4)}-4${c.slice(4)}-${variant}${m.slice(0, 3)}-${m.slice(3)}`;
}

export type KeyCheck = 'ok' | 'invalid' | 'expired';

export function checkDownloadKey(
  secret: Buffer,
  fileId: number,
  key: string,
  nowMs: number,
): KeyCheck {
  const m =
    /^([0-9a-f]{8})-([0-9a-f]{4})-4([0-9a-f]{3})-([89ab])([0-9a-f]{3})-([0-9a-f]{12})$/.exec(key);
  if (!m) return 'invalid';
  const [, t = '', c1 = '', c2 = '', variant = '', m1 = '', m2 = ''] = m;
  const mac = keyMac(secret, fileId, parseInt(t, 16), parseInt(c1 + c2, 16));
  const expectedVariant = '89ab'[parseInt(mac[0] ?? '0', 16) % 4];
  if (variant !== expectedVariant || !safeEqual(mac, m1 + m2)) return 'invalid';
  const minted = parseInt(t, 16) * 1000;
  return nowMs - minted >= DOWNLOAD_KEY_TTL_MS ? 'expired' : 'ok';
}

/** Python `quote(key, safe='/~')`, as boto2 quotes object keys in URLs. */
export function s3QuoteKey(key: string): string {
  return encodeURIComponent(key)
    .replace(/%2F/g, '/')
    .replace(/[!'()*]/g, (c) => `%${c.charCodeAt(0).toString(16).toUpperCase()}`);
}

/** Path of an object in the sandbox's path-style bucket: `/<bucket>/<quoted key>`. */
export function s3Path(s3Key: string, bucket = S3_BUCKET): string {
  return `/${bucket}/${s3QuoteKey(s3Key)}`;
}

function sigV2(secretAccessKey: string, method: string, expires: string, resource: string): string {
  return createHmac('sha1', secretAccessKey)
    .update(`${method}\n\n\n${expires}\n${resource}`, 'utf8')
    .digest('base64');
}

/**
 * SigV2 query string (boto2 `generate_url` order: Signature, Expires, AWSAccessKeyId) for
 * `method` on an object, signed with an empty Content-MD5 and Content-Type.
 */
export function signS3(
  creds: S3Credentials,
  method: 'GET' | 'PUT',
  s3Key: string,
  expiresEpochS: number,
): string {
  const signature = sigV2(
    creds.secretAccessKey,
    method,
    String(expiresEpochS),
    s3Path(s3Key, creds.bucket),
  );
  return `Signature=${encodeURIComponent(signature)}&Expires=${expiresEpochS}&AWSAccessKeyId=${creds.accessKeyId}`;
}

export type SignatureCheck = 'ok' | 'mismatch' | 'expired' | 'missing';

/** Verifies a signed request's query for `method` on `s3Key` (object key, decoded). */
export function checkS3(
  creds: S3Credentials,
  method: 'GET' | 'PUT',
  s3Key: string,
  query: URLSearchParams,
  nowMs: number,
  contentType = '',
): SignatureCheck {
  const sig = query.get('Signature');
  const expires = query.get('Expires');
  if (!sig || !expires || query.get('AWSAccessKeyId') !== creds.accessKeyId) return 'missing';
  const resource = s3Path(s3Key, creds.bucket);
  const expected = createHmac('sha1', creds.secretAccessKey)
    .update(`${method}\n\n${contentType}\n${expires}\n${resource}`, 'utf8')
    .digest('base64');
  if (!safeEqual(expected, sig)) return 'mismatch';
  return Number(expires) * 1000 <= nowMs ? 'expired' : 'ok';
}

function safeEqual(a: string, b: string): boolean {
  const ba = Buffer.from(a);
  const bb = Buffer.from(b);
  return ba.length === bb.length && timingSafeEqual(ba, bb);
}
