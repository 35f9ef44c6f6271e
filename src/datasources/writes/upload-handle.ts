import { createHmac, randomBytes, timingSafeEqual } from 'node:crypto';

/**
 * What a handle proves: this file was started by this token, for this member, until `expiresAt`.
 */
export interface UploadHandleClaims {
  fileId: number;
  projectMemberId: string;
  /** Seconds since the epoch. */
  expiresAt: number;
}

export type HandleCheck =
  | { ok: true; claims: UploadHandleClaims }
  | { ok: false; reason: 'MALFORMED' | 'BAD_SIGNATURE' | 'EXPIRED' | 'OTHER_TOKEN' };

/**
 * Signs and checks upload handles (docs/design.md, Uploads). The upstream's complete endpoint marks
 * any file id complete without checking ownership, so `completeDataFileUpload` accepts only a
 * handle this gateway signed (HMAC-SHA256) over the file id, the member, a keyed hash of the
 * caller's token and an expiry. The token hash is keyed by the secret too, so a handle reveals
 * nothing that could be tested against guessed tokens.
 */
export class UploadHandleSigner {
  private readonly secret: Buffer;

  /**
   * @param secret `UPLOAD_HANDLE_SECRET`; a random one per process when absent (handles then die
   * with the process).
   */
  constructor(
    secret: string | null | undefined,
    private readonly now: () => number = () => Date.now(),
  ) {
    this.secret = secret ? Buffer.from(secret, 'utf8') : randomBytes(32);
  }

  sign(claims: UploadHandleClaims, token: string): string {
    const payload = Buffer.from(
      JSON.stringify({
        f: claims.fileId,
        m: claims.projectMemberId,
        e: claims.expiresAt,
        t: this.tokenHash(token),
      }),
      'utf8',
    ).toString('base64url');
    return `${payload}.${this.mac(payload)}`;
  }

  check(handle: string, token: string): HandleCheck {
    const [payload, mac, ...rest] = handle.split('.');
    if (!payload || !mac || rest.length > 0) return { ok: false, reason: 'MALFORMED' };
    const expected = Buffer.from(this.mac(payload), 'base64url');
    const given = Buffer.from(mac, 'base64url');
    if (given.length !== expected.length || !timingSafeEqual(given, expected))
      return { ok: false, reason: 'BAD_SIGNATURE' };
    let parsed: unknown;
    try {
      parsed = JSON.parse(Buffer.from(payload, 'base64url').toString('utf8'));
    } catch {
      return { ok: false, reason: 'MALFORMED' };
    }
    const { f, m, e, t } = (parsed ?? {}) as Record<string, unknown>;
    if (
      typeof f !== 'number' ||
      typeof m !== 'string' ||
      typeof e !== 'number' ||
      typeof t !== 'string'
    ) {
      return { ok: false, reason: 'MALFORMED' };
    }
    if (!safeEqual(t, this.tokenHash(token))) return { ok: false, reason: 'OTHER_TOKEN' };
    if (e * 1000 <= this.now()) return { ok: false, reason: 'EXPIRED' };
    return { ok: true, claims: { fileId: f, projectMemberId: m, expiresAt: e } };
  }

  private mac(payload: string): string {
    return createHmac('sha256', this.secret).update(`upload-handle:${payload}`).digest('base64url');
  }

  private tokenHash(token: string): string {
    return createHmac('sha256', this.secret)
      .update(`token:${token}`)
      .digest('base64url')
      .slice(0, 22);
  }
}

function safeEqual(a: string, b: string): boolean {
  const x = Buffer.from(a);
  const y = Buffer.from(b);
  return x.length === y.length && timingSafeEqual(x, y);
}

/**
 * When a pre-signed URL stops working: SigV2 `Expires=<epoch>`, or SigV4 `X-Amz-Date` +
 * `X-Amz-Expires`; otherwise `fallbackSeconds` from now (upstream: 6 h).
 */
export function presignedExpiry(url: string, nowMs: number, fallbackSeconds = 6 * 3600): number {
  let parsed: URL;
  try {
    parsed = new URL(url);
  } catch {
    return Math.floor(nowMs / 1000) + fallbackSeconds;
  }
  const expires = parsed.searchParams.get('Expires');
  if (expires && /^\d+$/.test(expires)) return Number(expires);
  const amzDate = parsed.searchParams.get('X-Amz-Date');
  const amzExpires = parsed.searchParams.get('X-Amz-Expires');
  const m = amzDate ? /^(\d{4})(\d{2})(\d{2})T(\d{2})(\d{2})(\d{2})Z$/.exec(amzDate) : null;
  if (m && amzExpires && /^\d+$/.test(amzExpires)) {
    const start = Date.UTC(
      Number(m[1]),
      Number(m[2]) - 1,
      Number(m[3]),
      Number(m[4]),
      Number(m[5]),
      Number(m[6]),
    );
    return Math.floor(start / 1000) + Number(amzExpires);
  }
  return Math.floor(nowMs / 1000) + fallbackSeconds;
}
