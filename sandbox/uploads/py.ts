/**
 * Small Python-compatibility helpers: Open Humans builds several messages and bodies with Python's
 * `str()`, `repr()` and `json.dumps()`, and the sandbox reproduces them byte for byte.
 */

/**
 * Thrown where production raises an unhandled Python exception (TypeError, DoesNotExist, …): the
 * route answers Django's HTML 500 page.
 */
export class UnhandledServerError extends Error {
  override readonly name = 'UnhandledServerError';
}

/** Python `repr()` of a JSON value (dict/list/str/int/float/bool/None). */
export function pyRepr(value: unknown): string {
  if (value === null || value === undefined) return 'None';
  if (value === true) return 'True';
  if (value === false) return 'False';
  // JSON cannot tell 1 from 1.0; integers are by far the common case in these bodies.
  if (typeof value === 'number') return String(value);
  if (typeof value === 'string') return pyStrRepr(value);
  if (Array.isArray(value)) return `[${value.map(pyRepr).join(', ')}]`;
  if (typeof value === 'object') {
    const items = Object.entries(value as Record<string, unknown>).map(
      ([k, v]) => `${pyStrRepr(k)}: ${pyRepr(v)}`,
    );
    return `{${items.join(', ')}}`;
  }
  return String(value);
}

/** Python `str()` of a JSON value: strings as they are, everything else as `repr()`. */
export function pyStr(value: unknown): string {
  return typeof value === 'string' ? value : pyRepr(value);
}

function pyStrRepr(s: string): string {
  const quote = s.includes("'") && !s.includes('"') ? '"' : "'";
  let out = '';
  for (const ch of s) {
    if (ch === '\\') out += '\\\\';
    else if (ch === quote) out += `\\${quote}`;
    else if (ch === '\n') out += '\\n';
    else if (ch === '\r') out += '\\r';
    else if (ch === '\t') out += '\\t';
    else if (ch.charCodeAt(0) < 0x20 || ch.charCodeAt(0) === 0x7f) {
      out += `\\x${ch.charCodeAt(0).toString(16).padStart(2, '0')}`;
    } else out += ch;
  }
  return `${quote}${out}${quote}`;
}

/**
 * Python `json.dumps(value)` with its defaults: `", "` and `": "` separators and `ensure_ascii`
 * (non-ASCII as `\uXXXX`). The webhook signature is computed over exactly these bytes.
 */
export function pyJsonDumps(value: unknown): string {
  if (value === null || value === undefined) return 'null';
  if (value === true) return 'true';
  if (value === false) return 'false';
  if (typeof value === 'number')
    return Number.isInteger(value) ? String(value) : JSON.stringify(value);
  if (typeof value === 'string') return asciiJsonString(value);
  if (Array.isArray(value)) return `[${value.map(pyJsonDumps).join(', ')}]`;
  const items = Object.entries(value as Record<string, unknown>).map(
    ([k, v]) => `${asciiJsonString(k)}: ${pyJsonDumps(v)}`,
  );
  return `{${items.join(', ')}}`;
}

function asciiJsonString(s: string): string {
  return JSON.stringify(s).replace(
    /[\u007f-\uffff]/g,
    (c) => `\\u${c.charCodeAt(0).toString(16).padStart(4, '0')}`,
  );
}

/**
 * Python's `datetime.isoformat()` for a UTC instant, as arrow renders it:
 * `2020-06-30T20:00:00.123456+00:00`, the fraction omitted when it is zero.
 */
export function pyIsoformatUtc(date: Date): string {
  const iso = date.toISOString(); // 2020-06-30T20:00:00.123Z
  const base = iso.slice(0, 19);
  const ms = date.getUTCMilliseconds();
  return ms === 0 ? `${base}+00:00` : `${base}.${String(ms * 1000).padStart(6, '0')}+00:00`;
}

/** Python `int(str)`: optional sign, surrounding whitespace, underscores between digits. */
export function pyParseInt(text: string): number | null {
  if (!/^\s*[+-]?\d+(?:_\d+)*\s*$/.test(text)) return null;
  const n = Number(text.trim().replace(/_/g, ''));
  return Number.isSafeInteger(n) ? n : null;
}
