/**
 * The upload metadata rules of the upstream (openhumans-api.md §4), checked before any upstream
 * call, with the upstream's own wording, plus the wire form (a JSON string, snake_case keys).
 */

/** Metadata as the gateway receives it (camelCase); `extra` holds any other keys. */
export interface UploadMetadataInput {
  description: string;
  tags: string[];
  md5?: string | null;
  creationDate?: string | null;
  startDate?: string | null;
  endDate?: string | null;
  extra?: Record<string, unknown> | null;
}

/** One refused input field: `field` is the input path, `message` the upstream's wording. */
export interface InputProblem {
  field: string;
  message: string;
}

const DATE_FIELDS = [
  ['creationDate', 'creation_date'],
  ['startDate', 'start_date'],
  ['endDate', 'end_date'],
] as const;

const TYPED_KEYS = new Set(['description', 'tags', 'md5', 'creation_date', 'start_date', 'end_date']);

/**
 * ISO 8601 as `arrow.get` accepts it: a date, optionally a time (`T` or space), fractions and
 * an offset. Checked for a real calendar date too.
 */
const ISO_8601 = /^(\d{4})-(\d{2})-(\d{2})(?:[T ](\d{2}):(\d{2})(?::(\d{2})(?:\.\d{1,6})?)?(Z|[+-]\d{2}:?\d{2})?)?$/;

export function isIso8601(value: string): boolean {
  const m = ISO_8601.exec(value);
  if (!m) return false;
  const [year, month, day] = [Number(m[1]), Number(m[2]), Number(m[3])];
  const date = new Date(Date.UTC(year, month - 1, day));
  const validDate = date.getUTCFullYear() === year && date.getUTCMonth() === month - 1 && date.getUTCDate() === day;
  const hours = m[4] === undefined ? 0 : Number(m[4]);
  const minutes = m[5] === undefined ? 0 : Number(m[5]);
  const seconds = m[6] === undefined ? 0 : Number(m[6]);
  return validDate && hours < 24 && minutes < 60 && seconds < 60;
}

/** The upstream's md5 check: 32 alphanumerics at the start (`re.match(r"[a-z0-9]{32}", md5, re.I)`). */
export function looksLikeMd5(value: string): boolean {
  return /^[a-z0-9]{32}/i.test(value);
}

/** Checks metadata in the upstream's order; the first problem wins, like the upstream form. */
export function checkMetadata(metadata: UploadMetadataInput, at = 'input.metadata'): InputProblem | undefined {
  if (typeof metadata.description !== 'string') {
    return { field: `${at}.description`, message: '"description" must be a string' };
  }
  if (!Array.isArray(metadata.tags)) {
    return { field: `${at}.tags`, message: '"tags" must be an array of strings' };
  }
  for (const [name] of DATE_FIELDS) {
    const value = metadata[name];
    if (value != null && !isIso8601(value)) return { field: `${at}.${name}`, message: 'Dates must be in ISO 8601 format' };
  }
  if (metadata.md5 != null && !looksLikeMd5(metadata.md5)) {
    return { field: `${at}.md5`, message: 'Invalid MD5 specified' };
  }
  for (const key of Object.keys(metadata.extra ?? {})) {
    if (TYPED_KEYS.has(key)) {
      return { field: `${at}.extra`, message: `"${key}" belongs in its own metadata field, not in "extra"` };
    }
  }
  return undefined;
}

/** The wire metadata (snake_case keys, `extra` merged in), with the computed md5 when none was given. */
export function toWireMetadata(metadata: UploadMetadataInput, computedMd5: string | undefined): Record<string, unknown> {
  const wire: Record<string, unknown> = { ...(metadata.extra ?? {}) };
  wire.description = metadata.description;
  wire.tags = metadata.tags;
  const md5 = metadata.md5 ?? computedMd5;
  if (md5) wire.md5 = md5;
  for (const [name, key] of DATE_FIELDS) {
    const value = metadata[name];
    if (value != null) wire[key] = value;
  }
  return wire;
}

/** Project member ids as the upstream checks them (D4/D5): "always 8 digits long". */
export function checkProjectMemberIds(ids: readonly string[], field: string): InputProblem | undefined {
  if (ids.some((id) => !/^\d+$/.test(id) || (id.length !== 8 && id.length !== 16))) {
    return { field, message: 'Project member IDs are always 8 digits long.' };
  }
  return undefined;
}
