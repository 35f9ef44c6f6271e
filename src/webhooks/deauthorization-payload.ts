import type { DeauthorizationEvent } from '../events/deauthorization-event.js';

export type PayloadResult =
  | { ok: true; event: DeauthorizationEvent; legacy: boolean }
  | { ok: false; problem: string };

const MEMBER_ID = /^\d{1,16}$/;

/**
 * Parses a deauthorization webhook body (openhumans-api.md §2.6):
 * `{"project_member_id": "12345678", "erasure_requested": true, "timestamp": "…"}`.
 * The upstream's fallback retry sends the same JSON text double-encoded (a JSON string literal);
 * that form is accepted only when `allowLegacy` (no secret configured: it is never signed).
 */
export function parseDeauthorizationBody(text: string, receivedAt: Date, allowLegacy: boolean): PayloadResult {
  let value = parseJson(text);
  let legacy = false;
  if (typeof value === 'string') {
    if (!allowLegacy) return { ok: false, problem: 'double-encoded body refused: a webhook secret is configured' };
    value = parseJson(value);
    legacy = true;
  }
  if (typeof value !== 'object' || value === null || Array.isArray(value)) {
    return { ok: false, problem: 'body is not a JSON object' };
  }
  const body = value as Record<string, unknown>;
  const memberId = typeof body.project_member_id === 'number' ? String(body.project_member_id) : body.project_member_id;
  if (typeof memberId !== 'string' || !MEMBER_ID.test(memberId)) {
    return { ok: false, problem: 'project_member_id must be a string of digits' };
  }
  const erasure = body.erasure_requested ?? false;
  if (typeof erasure !== 'boolean') return { ok: false, problem: 'erasure_requested must be a boolean' };
  return {
    ok: true,
    legacy,
    event: { projectMemberId: memberId, erasureRequested: erasure, timestamp: parseTimestamp(body.timestamp, receivedAt), receivedAt },
  };
}

function parseJson(text: string): unknown {
  try {
    return JSON.parse(text);
  } catch {
    return undefined;
  }
}

/** Python's isoformat() has microseconds; Date keeps milliseconds. A missing or bad value → arrival time. */
function parseTimestamp(value: unknown, fallback: Date): Date {
  if (typeof value !== 'string') return fallback;
  const date = new Date(value);
  return Number.isNaN(date.getTime()) ? fallback : date;
}
