/**
 * The upload-handle signer on its own: expiry with a controlled clock, and the URL expiry reader.
 */
import { describe, expect, it } from 'vitest';
import { presignedExpiry, UploadHandleSigner } from '../../src/datasources/writes/upload-handle.js';

const TOKEN = 'fake-token-for-tests-only';

describe('UploadHandleSigner', () => {
  it('accepts its own handle until it expires, then says EXPIRED', () => {
    let now = 1_000_000_000_000;
    const signer = new UploadHandleSigner('a-test-secret-that-is-long-enough-0000', () => now);
    const handle = signer.sign(
      { fileId: 7, projectMemberId: '12345678', expiresAt: now / 1000 + 60 },
      TOKEN,
    );
    expect(signer.check(handle, TOKEN)).toEqual({
      ok: true,
      claims: { fileId: 7, projectMemberId: '12345678', expiresAt: now / 1000 + 60 },
    });
    now += 61_000;
    expect(signer.check(handle, TOKEN)).toEqual({ ok: false, reason: 'EXPIRED' });
  });

  it('handles of another secret (another gateway, or a restarted one without UPLOAD_HANDLE_SECRET) fail', () => {
    const a = new UploadHandleSigner(null);
    const b = new UploadHandleSigner(null);
    const handle = a.sign(
      { fileId: 1, projectMemberId: '12345678', expiresAt: Date.now() / 1000 + 60 },
      TOKEN,
    );
    expect(b.check(handle, TOKEN)).toEqual({ ok: false, reason: 'BAD_SIGNATURE' });
  });

  it('does not carry the token, nor a plain hash of it', () => {
    const signer = new UploadHandleSigner('a-test-secret-that-is-long-enough-0000');
    const handle = signer.sign({ fileId: 1, projectMemberId: '12345678', expiresAt: 2e9 }, TOKEN);
    const payload = Buffer.from(handle.split('.')[0] ?? '', 'base64url').toString('utf8');
    expect(payload).not.toContain(TOKEN);
    expect(handle).not.toContain(TOKEN);
  });
});

describe('presignedExpiry', () => {
  it('reads SigV2 Expires, SigV4 X-Amz-Date + X-Amz-Expires, else now + 6 h', () => {
    expect(
      presignedExpiry(
        'https://b.s3.amazonaws.com/k?Signature=x&Expires=1530594019&AWSAccessKeyId=y',
        0,
      ),
    ).toBe(1530594019);
    expect(
      presignedExpiry(
        'https://b.s3.amazonaws.com/k?X-Amz-Date=20240102T030405Z&X-Amz-Expires=600',
        0,
      ),
    ).toBe(Date.UTC(2024, 0, 2, 3, 4, 5) / 1000 + 600);
    expect(presignedExpiry('https://b.s3.amazonaws.com/k', 1_000_000)).toBe(1000 + 6 * 3600);
  });
});
