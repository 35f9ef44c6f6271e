import { pyParseInt, pyRepr, UnhandledServerError } from './py.js';

/**
 * Upload form validation for D6/D7 (docs/upstream.md §4; private_sharing/forms.py
 * `UploadDataFileBaseForm`). Messages are exact. Where production raises an unhandled Python
 * exception instead of a form error, these throw UnhandledServerError (→ HTML 500).
 */

/** A result of one field's clean step: a value or the field's error messages. */
export type FieldResult<T> = { ok: true; value: T } | { ok: false; errors: string[] };

const ok = <T>(value: T): FieldResult<T> => ({ ok: true, value });
const fail = <T>(message: string): FieldResult<T> => ({ ok: false, errors: [message] });

export const REQUIRED = 'This field is required.';

/** Django CharField: str(value), stripped; '' (or absent/null) is empty. */
export function cleanCharField(raw: string | undefined, required: boolean): FieldResult<string> {
  const value = (raw ?? '').trim();
  if (required && value === '') return fail(REQUIRED);
  return ok(value);
}

/** `metadata`: a JSON *string* holding an object with `description` and `tags` (§4 table). */
export function cleanMetadata(text: string): FieldResult<Record<string, unknown>> {
  let metadata: unknown;
  try {
    metadata = JSON.parse(text);
  } catch {
    return fail('could not parse the uploaded metadata');
  }
  const has = pyContains(metadata);
  if (!has('description')) return fail('"description" is a required field of the metadata');
  const record = asDict(metadata);
  if (typeof record.description !== 'string') return fail('"description" must be a string');
  if (!has('tags')) return fail('"tags" is a required field of the metadata');
  if (!Array.isArray(record.tags)) return fail('"tags" must be an array of strings');
  for (const key of ['creation_date', 'start_date', 'end_date']) {
    if (key in record && !arrowAccepts(record[key]))
      return fail('Dates must be in ISO 8601 format');
  }
  if ('md5' in record) {
    const md5 = record.md5;
    if (typeof md5 !== 'string')
      throw new UnhandledServerError('TypeError: expected string in re.match');
    if (!/^[a-z0-9]{32}/i.test(md5)) return fail('Invalid MD5 specified');
  }
  return ok(record);
}

/** Python's `key in metadata` for whatever json.loads returned. */
function pyContains(value: unknown): (key: string) => boolean {
  if (typeof value === 'string') return (key) => value.includes(key);
  if (Array.isArray(value)) return (key) => value.includes(key);
  if (value !== null && typeof value === 'object') return (key) => Object.hasOwn(value, key);
  return () => {
    throw new UnhandledServerError(
      `TypeError: argument of type ${pyTypeName(value)} is not iterable`,
    );
  };
}

/** `metadata[key]` only works on a dict; a str or list that "contains" the key crashes. */
function asDict(value: unknown): Record<string, unknown> {
  if (value !== null && typeof value === 'object' && !Array.isArray(value))
    return value as Record<string, unknown>;
  throw new UnhandledServerError('TypeError: indices must be integers');
}

function pyTypeName(value: unknown): string {
  if (value === null) return 'NoneType';
  if (typeof value === 'boolean') return 'bool';
  if (typeof value === 'number') return Number.isInteger(value) ? 'int' : 'float';
  return typeof value;
}

// arrow 1.x `parse_iso` date formats: YYYY-MM-DD, YYYY-M-D (also with `/` or `.`), YYYYMMDD,
// YYYY-DDDD and YYYYDDDD (day of year), YYYY-MM (also `/`, `.`), YYYY, and ISO week dates.
const DAY_FORMS = [/^(\d{4})([-/.])(\d{1,2})\2(\d{1,2})$/, /^(\d{4})()(\d{2})(\d{2})$/];
const OTHER_DATE_FORMS = [
  /^\d{4}-?\d{3}$/,
  /^\d{4}[-/.]\d{2}$/,
  /^\d{4}$/,
  /^\d{4}-?W\d{2}(?:-?\d)?$/,
];
// Time: HH[:mm[:ss[(.|,)S+]]] or HH[mm[ss[(.|,)S+]]], then Z, ±HH, ±HHmm or ±HH:mm.
const EXTENDED_TIME = /^(\d{2})(?::(\d{2})(?::(\d{2})(?:[.,]\d+)?)?)?$/;
const BASIC_TIME = /^(\d{2})(?:(\d{2})(?:(\d{2})(?:[.,]\d+)?)?)?$/;
const ZONE = /^(?:[+-]\d{2}(?::?\d{2})?|Z)$/i;

/**
 * `arrow.get(value)` (arrow 1.x): numbers are timestamps; strings must be ISO 8601 in one of the
 * forms of `parse_iso`. A string that matches a form but names an impossible date or time raises
 * ValueError, not ParserError, in arrow — the form does not catch that, hence a 500 (an
 * impossible day of the year is a ParserError: refused with the form's message). Other types
 * raise TypeError (also a 500).
 */
export function arrowAccepts(value: unknown): boolean {
  if (typeof value === 'number') return true;
  if (typeof value !== 'string')
    throw new UnhandledServerError(
      `TypeError: Cannot parse argument of type ${pyTypeName(value)}.`,
    );
  const spaces = value.split(' ').length - 1;
  if (spaces > 1 || (spaces === 1 && value.includes('T'))) return false;
  const divider = value.search(/[T ]/);
  const date = divider < 0 ? value : value.slice(0, divider);
  const time = divider < 0 ? undefined : value.slice(divider + 1);
  if (!arrowDateMatches(date)) return false;
  if (time !== undefined && !arrowTimeMatches(time)) return false;
  return true;
}

function arrowDateMatches(date: string): boolean {
  const day = DAY_FORMS.map((re) => re.exec(date)).find((m) => m !== null);
  const known = day !== undefined || OTHER_DATE_FORMS.some((re) => re.test(date));
  if (known && Number(date.slice(0, 4)) < 1)
    throw new UnhandledServerError('ValueError: year 0 is out of range');
  if (day) {
    const [y, m, d] = [Number(day[1]), Number(day[3]), Number(day[4])];
    const probe = new Date(Date.UTC(y, m - 1, d));
    if (m < 1 || m > 12 || probe.getUTCDate() !== d)
      throw new UnhandledServerError('ValueError: day is out of range for month');
    return true;
  }
  if (!known) return false;
  const ordinal = /^(\d{4})-?(\d{3})$/.exec(date);
  if (ordinal) {
    const leap = new Date(Date.UTC(Number(ordinal[1]), 1, 29)).getUTCDate() === 29;
    const doy = Number(ordinal[2]);
    return doy >= 1 && doy <= (leap ? 366 : 365); // strptime('%Y-%j') fails: a ParserError
  }
  const month = /^\d{4}[-/.](\d{2})$/.exec(date);
  if (month && (Number(month[1]) < 1 || Number(month[1]) > 12))
    throw new UnhandledServerError('ValueError: month must be in 1..12');
  const week = /W(\d{2})(?:-?(\d))?$/.exec(date);
  if (
    week &&
    (Number(week[1]) < 1 ||
      Number(week[1]) > 53 ||
      (week[2] !== undefined && (Number(week[2]) < 1 || Number(week[2]) > 7)))
  ) {
    throw new UnhandledServerError('ValueError: ISO Calendar week value must be between 1-53.');
  }
  return true;
}

function arrowTimeMatches(time: string): boolean {
  const split = /[+\-Z]/i.exec(time);
  const clock = split ? time.slice(0, split.index) : time;
  if (split && !ZONE.test(time.slice(split.index))) return false;
  const m = (clock.includes(':') ? EXTENDED_TIME : BASIC_TIME).exec(clock);
  if (!m) return false;
  const [h, mi, s] = [Number(m[1]), Number(m[2] ?? 0), Number(m[3] ?? 0)];
  if (h > 24 || mi > 59 || s > 59 || (h === 24 && (mi > 0 || s > 0)))
    throw new UnhandledServerError('ValueError: hour must be in 0..23');
  return true;
}

/** What datatype validation needs to know about the catalogue and the project. */
export interface DatatypeCatalog {
  byId(id: number): { id: number; name: string } | undefined;
  /** Case-insensitive exact name match. */
  byName(name: string): { id: number; name: string } | undefined;
  /** Datatype ids registered for the uploading project. */
  registeredIds: readonly number[];
  anyDatatypes: boolean;
  autoAddDatatypes: boolean;
}

/**
 * `datatypes`: a JSON array of ids or names (§4). Returns the datatype ids to attach.
 * Python builds a `set()` of the items first, so duplicates collapse.
 */
export function cleanDatatypes(text: string, catalog: DatatypeCatalog): FieldResult<number[]> {
  if (text === '') return ok(catalog.autoAddDatatypes ? [...catalog.registeredIds] : []);
  let parsed: unknown;
  try {
    parsed = JSON.parse(text);
  } catch {
    return fail(`Could not parse the uploaded datatypes from: '${text}'`);
  }
  const items = pySet(parsed);
  const byId = resolveDatatypes(items, catalog, 'id');
  const result = byId ?? resolveDatatypes(items, catalog, 'name');
  if (!result) throw new UnhandledServerError('ValueError while resolving datatypes');
  if (result.unmatched.length > 0) {
    return fail(
      `The following datatypes don't match items in our database: ${pyRepr(result.unmatched)}`,
    );
  }
  if (result.unregistered.length > 0) {
    return fail(
      `The following datatypes aren't registered for this project: ${pyRepr(result.unregistered)}`,
    );
  }
  return ok(result.ids);
}

/** `set(json.loads(...))`: strings iterate by character, dict by key; scalars are a TypeError. */
function pySet(value: unknown): unknown[] {
  let items: unknown[];
  if (Array.isArray(value)) items = value;
  else if (typeof value === 'string') items = [...value];
  else if (value !== null && typeof value === 'object') items = Object.keys(value);
  else throw new UnhandledServerError(`TypeError: '${pyTypeName(value)}' object is not iterable`);
  if (items.some((item) => item !== null && typeof item === 'object')) {
    throw new UnhandledServerError('TypeError: unhashable type');
  }
  const unique = [...new Set(items)];
  // Small non-negative ints iterate in ascending order in a CPython set.
  return unique.every((i) => typeof i === 'number')
    ? unique.sort((a, b) => Number(a) - Number(b))
    : unique;
}

interface Resolution {
  ids: number[];
  unregistered: unknown[];
  unmatched: unknown[];
}

/** `_get_datatypes`: null when `int(item)` fails in id mode (the caller retries by name). */
function resolveDatatypes(
  items: unknown[],
  catalog: DatatypeCatalog,
  method: 'id' | 'name',
): Resolution | null {
  const out: Resolution = { ids: [], unregistered: [], unmatched: [] };
  for (const item of items) {
    let found: { id: number } | undefined;
    if (method === 'id') {
      const id = pyInt(item);
      if (id === null) return null;
      found = catalog.byId(id);
    } else {
      found = catalog.byName(typeof item === 'string' ? item : pyRepr(item));
    }
    if (!found) out.unmatched.push(item);
    else if (catalog.anyDatatypes || catalog.registeredIds.includes(found.id))
      out.ids.push(found.id);
    else out.unregistered.push(item);
  }
  return out;
}

/** Python `int(item)` for JSON items: ints, truncated floats, bools, numeric strings. */
function pyInt(item: unknown): number | null {
  if (typeof item === 'number') return Math.trunc(item);
  if (typeof item === 'boolean') return item ? 1 : 0;
  if (typeof item === 'string') return pyParseInt(item);
  return null;
}
