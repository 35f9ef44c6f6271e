import type { DeauthorizationEvent } from '../events/deauthorization-event.js';

export type PayloadResult =
  | { ok: true; event: DeauthorizationEvent; legacy: boolean }
  | { ok: false; problem: string };

const MEMBER_ID = /^\d{1,16}$/;

/**
 * Parses a deauthorization webhook body (docs/deauthorization-webhook.md):
 * `{"project_member_id": "12345678", "erasure_requested": true, "timestamp": "…"}`.
 * The upstream's fallback retry sends the same JSON text double-encoded (a JSON string literal);
 * that form is accepted only when `allowLegacy` (no secret configured: it is never signed).
 */
export function parseDeauthorizationBody(
  text: string,
  context: { projectId: number; receivedAt: Date; allowLegacy: boolean },
): PayloadResult {
  const { projectId, receivedAt, allowLegacy } = context;
  let value = parseJson(text);
  let legacy = false;
  if (typeof value === 'string') {
    if (!allowLegacy)
      return { ok: false, problem: 'double-encoded body refused: only accepted unsigned' };
    value = parseJson(value);
    legacy = true;
  }
  if (typeof value !== 'object' || value === null || Array.isArray(value)) {
    return { ok: false, problem: 'body is not a JSON object' };
  }
  const body = value as Record<string, unknown>;
  const memberId =
    typeof body.project_member_id === 'number'
      ? String(body.project_member_id)
      : body.project_member_id;
  if (typeof memberId !== 'string' || !MEMBER_ID.test(memberId)) {
    return { ok: false, problem: 'project_member_id must be a string of digits' };
  }
  const erasure = body.erasure_requested ?? false;
  if (typeof erasure !== 'boolean')
    return { ok: false, problem: 'erasure_requested must be a boolean' };
  const timestamp = parseTimestamp(body.timestamp);
  if (timestamp === null) return { ok: false, problem: 'timestamp must be an ISO 8601 date-time' };
  return {
    ok: true,
    legacy,
    event: {
      projectId,
      projectMemberId: memberId,
      erasureRequested: erasure,
      timestamp,
      receivedAt,
    },
  };
}

function parseJson(text: string): unknown {
  try {
    return JSON.parse(text);
  } catch {
    return undefined;
  }
}

const ISO_DATE_TIME = /^\d{4}-\d{2}-\d{2}T\d{2}:\d{2}:\d{2}(\.\d{1,9})?(Z|[+-]\d{2}:\d{2})$/;

/**
 * Python's isoformat() has microseconds; Date keeps milliseconds. Open Humans always sends one
 * (with an offset): without it a call could be neither deduplicated nor checked for freshness.
 */
function parseTimestamp(value: unknown): Date | null {
  if (typeof value !== 'string' || !ISO_DATE_TIME.test(value)) return null;
  const date = new Date(value);
  return Number.isNaN(date.getTime()) ? null : date;
}
