/**
 * The upload metadata rules of the upstream (Open Humans' upload form), checked before any
 * upstream call, with the upstream's own wording, plus the wire form (a JSON string, snake_case
 * keys). Dates are checked with the same grammar Open Humans uses (`src/dates/iso8601.ts`).
 */
import { isAcceptedIsoDate } from '../../dates/iso8601.js';

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

/**
 * One refused input field: `field` is its path in the write's input (see `InputError`), `message`
 * the upstream's wording.
 */
export interface InputProblem {
  field: string;
  message: string;
}

const DATE_FIELDS = [
  ['creationDate', 'creation_date'],
  ['startDate', 'start_date'],
  ['endDate', 'end_date'],
] as const;

const TYPED_KEYS = new Set([
  'description',
  'tags',
  'md5',
  'creation_date',
  'start_date',
  'end_date',
]);

/**
 * The upstream's md5 check: 32 alphanumerics at the start (`re.match(r"[a-z0-9]{32}", md5, re.I)`).
 */
export function looksLikeMd5(value: string): boolean {
  return /^[a-z0-9]{32}/i.test(value);
}

/** Checks metadata in the upstream's order; the first problem wins, like the upstream form. */
export function checkMetadata(
  metadata: UploadMetadataInput,
  at = 'metadata',
): InputProblem | undefined {
  if (typeof metadata.description !== 'string') {
    return { field: `${at}.description`, message: '"description" must be a string' };
  }
  if (!Array.isArray(metadata.tags)) {
    return { field: `${at}.tags`, message: '"tags" must be an array of strings' };
  }
  for (const [name] of DATE_FIELDS) {
    const value = metadata[name];
    if (value != null && !isAcceptedIsoDate(value))
      return { field: `${at}.${name}`, message: 'Dates must be in ISO 8601 format' };
  }
  if (metadata.md5 != null && !looksLikeMd5(metadata.md5)) {
    return { field: `${at}.md5`, message: 'Invalid MD5 specified' };
  }
  for (const key of Object.keys(metadata.extra ?? {})) {
    if (TYPED_KEYS.has(key)) {
      return {
        field: `${at}.extra`,
        message: `"${key}" belongs in its own metadata field, not in "extra"`,
      };
    }
  }
  return undefined;
}

/**
 * The wire metadata (snake_case keys, `extra` merged in), with the computed md5 when none was
 * given.
 */
export function toWireMetadata(
  metadata: UploadMetadataInput,
  computedMd5: string | undefined,
): Record<string, unknown> {
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
export function checkProjectMemberIds(
  ids: readonly string[],
  field: string,
): InputProblem | undefined {
  if (ids.some((id) => !/^\d+$/.test(id) || (id.length !== 8 && id.length !== 16))) {
    return { field, message: 'Project member IDs are always 8 digits long.' };
  }
  return undefined;
}
