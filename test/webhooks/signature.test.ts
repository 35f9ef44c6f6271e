import { describe, expect, it } from 'vitest';
import { parseDeauthorizationBody } from '../../src/webhooks/deauthorization-payload.js';
import { signWebhookBody, verifyWebhookSignature } from '../../src/webhooks/signature.js';

// docs/deauthorization-webhook.md: the example from Open Humans' own setup page.
const DOC_SECRET = 'abcdefghijklmnop';
const DOC_BODY =
  '{"project_member_id": "12345678", "erasure_requested": true, "timestamp": "2020-06-30T20:00:00.000000+00:00"}';
const DOC_SIGNATURE = 'sha1=ebda5c0a38593a4350ad8401b7d8c8f1cd08ec67';
const bytes = (s: string) => new TextEncoder().encode(s);

describe('webhook signature (HMAC-SHA1 of the exact body)', () => {
  it('reproduces and verifies the documented example', () => {
    expect(signWebhookBody(DOC_SECRET, bytes(DOC_BODY))).toBe(DOC_SIGNATURE);
    expect(verifyWebhookSignature(DOC_SECRET, bytes(DOC_BODY), DOC_SIGNATURE)).toBe(true);
    expect(
      verifyWebhookSignature(
        DOC_SECRET,
        bytes(DOC_BODY),
        DOC_SIGNATURE.toUpperCase().replace('SHA1', 'sha1'),
      ),
    ).toBe(true);
  });

  it('refuses a tampered body, a wrong secret, a malformed or missing header', () => {
    expect(
      verifyWebhookSignature(DOC_SECRET, bytes(DOC_BODY.replace('true', 'false')), DOC_SIGNATURE),
    ).toBe(false);
    // Same JSON value, other bytes (compact separators): the signature covers bytes, not meaning.
    expect(
      verifyWebhookSignature(
        DOC_SECRET,
        bytes(JSON.stringify(JSON.parse(DOC_BODY))),
        DOC_SIGNATURE,
      ),
    ).toBe(false);
    expect(verifyWebhookSignature('ponmlkjihgfedcba', bytes(DOC_BODY), DOC_SIGNATURE)).toBe(false);
    expect(verifyWebhookSignature(DOC_SECRET, bytes(DOC_BODY), DOC_SIGNATURE.slice(0, -1))).toBe(
      false,
    );
    expect(
      verifyWebhookSignature(
        DOC_SECRET,
        bytes(DOC_BODY),
        DOC_SIGNATURE.replace('sha1=', 'sha256='),
      ),
    ).toBe(false);
    expect(verifyWebhookSignature(DOC_SECRET, bytes(DOC_BODY), DOC_SIGNATURE.slice(5))).toBe(false);
    expect(verifyWebhookSignature(DOC_SECRET, bytes(DOC_BODY), '')).toBe(false);
    expect(verifyWebhookSignature(DOC_SECRET, bytes(DOC_BODY), null)).toBe(false);
  });
});

describe('deauthorization payload', () => {
  const at = new Date('2026-01-01T00:00:00Z');
  const ctx = (allowLegacy: boolean) => ({ projectId: 7, receivedAt: at, allowLegacy });

  it('parses the documented body, keeping the upstream timestamp', () => {
    const parsed = parseDeauthorizationBody(DOC_BODY, ctx(false));
    expect(parsed).toEqual({
      ok: true,
      legacy: false,
      event: {
        projectId: 7,
        projectMemberId: '12345678',
        erasureRequested: true,
        timestamp: new Date('2020-06-30T20:00:00.000Z'),
        receivedAt: at,
      },
    });
  });

  it('accepts the legacy double-encoded body only when allowed', () => {
    const legacy = JSON.stringify(DOC_BODY);
    expect(parseDeauthorizationBody(legacy, ctx(false))).toMatchObject({ ok: false });
    expect(parseDeauthorizationBody(legacy, ctx(true))).toMatchObject({
      ok: true,
      legacy: true,
      event: { projectMemberId: '12345678' },
    });
  });

  it('refuses bodies that are not a deauthorization', () => {
    for (const body of [
      '',
      'not json',
      '[]',
      'null',
      '{}',
      '{"project_member_id": "12ab"}',
      '{"project_member_id": "12345678", "erasure_requested": "yes"}',
    ]) {
      expect(parseDeauthorizationBody(body, ctx(true))).toMatchObject({ ok: false });
    }
  });

  it('refuses a missing or unparsable timestamp (it identifies the event and proves it fresh)', () => {
    const member = '"project_member_id": "12345678", "erasure_requested": false';
    for (const timestamp of [
      '',
      ', "timestamp": "soon"',
      ', "timestamp": 1700000000',
      ', "timestamp": "2026-01-01"',
      ', "timestamp": "2026-01-01T00:00:00"',
    ]) {
      expect(parseDeauthorizationBody(`{${member}${timestamp}}`, ctx(false))).toMatchObject({
        ok: false,
        problem: expect.stringContaining('timestamp'),
      });
    }
    expect(
      parseDeauthorizationBody(`{${member}, "timestamp": "2026-01-01T00:00:00Z"}`, ctx(false)),
    ).toMatchObject({ ok: true });
  });
});
