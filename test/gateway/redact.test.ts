import { describe, expect, it } from 'vitest';
import { REDACTED, redactText, redactUrl } from '../../src/redact.js';

const MASTER = 'FakeMasterToken0123456789abcdefghijklmnopqrstuvwxyzABCDEFGHIJKLM'; // 64 alnum, fake

describe('redaction', () => {
  it('redacts every secret query parameter of a URL and keeps the rest', () => {
    const url = redactUrl(
      'https://www.openhumans.org/api/direct-sharing/project/members/?access_token=fake-tok&limit=5&offset=10',
    );
    expect(url).toBe(
      `https://www.openhumans.org/api/direct-sharing/project/members/?access_token=${REDACTED}&limit=5&offset=10`,
    );
    const s3 = redactUrl(
      'https://bucket.s3.amazonaws.com/f.csv?Signature=abc%2F&Expires=1&AWSAccessKeyId=AK&x-oh-key=k1',
    );
    expect(s3).not.toMatch(/abc|k1/);
    expect(s3).toContain('Expires=1');
    expect(redactUrl('/data-management/datafile-download/1/?key=uuid-1')).not.toContain('uuid-1');
  });

  it('redacts tokens in free text: params, JSON, headers, bearer credentials, master-token shapes', () => {
    const text = [
      'GET /x/?access_token=fake-a&limit=1',
      'grant_type=refresh_token&refresh_token=fake-r&code=fake-c&client_secret=fake-s',
      '{"access_token": "fake-j", "refresh_token":"fake-k", "code": "UNAUTHENTICATED"}',
      'Authorization: Bearer fake-h',
      'curl -H "authorization: basic ZmFrZTpmYWtl"',
      `token ${MASTER} end`,
    ].join('\n');
    const out = redactText(text);
    for (const secret of [
      'fake-a',
      'fake-r',
      'fake-c',
      'fake-s',
      'fake-j',
      'fake-k',
      'fake-h',
      'ZmFrZTpmYWtl',
      MASTER,
    ]) {
      expect(out).not.toContain(secret);
    }
    // Error codes and ordinary words survive.
    expect(out).toContain('"code": "UNAUTHENTICATED"');
    expect(out).toContain('limit=1');
    expect(redactText('monkey=banana error_code=7')).toBe('monkey=banana error_code=7');
  });
});
