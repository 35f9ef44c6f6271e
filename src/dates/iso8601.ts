/**
 * ISO 8601 as Open Humans accepts it in file metadata. Its upload form checks `creation_date`,
 * `start_date` and `end_date` with `arrow.get(value)` (arrow 1.x `parse_iso`), which takes far
 * more than RFC 3339: partial dates (`2019`, `2019-01`), basic format (`20190101`,
 * `2019-01-01T1030`), ordinal (`2019-032`) and week dates (`2019-W01-2`), `/` and `.` separators,
 * single-digit months and days, hours alone (`T10`), comma fractions (`10:00:00,5`) and offsets
 * of hours only (`+05`). Whatever it accepts, the gateway must accept on write and read back
 * without losing anything, so this parser follows the same grammar and keeps the parts apart:
 * the text, how precise it is, its offset, and the instant arrow would read from it.
 *
 * Values arrow's grammar matches but that name no real date or time (`2019-02-30`, hour 25) make
 * Open Humans fail with a server error; they are refused here, before any upstream call.
 */

/** How much of a date-time a text gives (the rest reads as the start of that period). */
export type DatePrecision =
  | 'YEAR'
  | 'MONTH'
  | 'WEEK'
  | 'DAY'
  | 'HOUR'
  | 'MINUTE'
  | 'SECOND'
  | 'FRACTION';

/** A metadata date, read the way Open Humans reads it. */
export interface IsoDate {
  /** The text exactly as given. */
  text: string;
  precision: DatePrecision;
  /** The offset given (`+05:00`, `Z` as `+00:00`), or null when none was (arrow reads UTC). */
  utcOffset: string | null;
  /** The instant in UTC, RFC 3339, with every fraction digit the text gave (at least three). */
  instant: string;
}

// arrow 1.x `parse_iso` date formats: the tokens YYYY, MM/M, DD/D, DDDD (day of year) and W.
const DATE_FORMS: ReadonlyArray<{ re: RegExp; precision: DatePrecision }> = [
  { re: /^(?<y>\d{4})([-/.])(?<m>\d{1,2})\2(?<d>\d{1,2})$/, precision: 'DAY' },
  { re: /^(?<y>\d{4})(?<m>\d{2})(?<d>\d{2})$/, precision: 'DAY' },
  { re: /^(?<y>\d{4})-?(?<doy>\d{3})$/, precision: 'DAY' },
  { re: /^(?<y>\d{4})[-/.](?<m>\d{2})$/, precision: 'MONTH' },
  { re: /^(?<y>\d{4})$/, precision: 'YEAR' },
  { re: /^(?<y>\d{4})-?W(?<w>\d{2})(?:-?(?<wd>\d))?$/, precision: 'WEEK' },
];

// arrow's time formats: `HH`, `HH:mm`, `HH:mm:ss` (or `HHmm`, `HHmmss`: one style per time),
// then optionally `.` or `,` and digits.
const EXTENDED_TIME = /^(?<h>\d{2})(?::(?<mi>\d{2})(?::(?<s>\d{2})(?:[.,](?<f>\d+))?)?)?$/;
const BASIC_TIME = /^(?<h>\d{2})(?:(?<mi>\d{2})(?:(?<s>\d{2})(?:[.,](?<f>\d+))?)?)?$/;
// arrow's `Z`/`ZZ` tokens after a `+`, `-` or `Z`.
const OFFSET = /^(?:(?<sign>[+-])(?<oh>\d{2})(?::?(?<om>\d{2}))?|Z)$/i;

interface Parts {
  year: number;
  month: number;
  day: number;
  precision: DatePrecision;
}

const daysInMonth = (year: number, month: number): number =>
  [
    31,
    year % 4 === 0 && (year % 100 !== 0 || year % 400 === 0) ? 29 : 28,
    31,
    30,
    31,
    30,
    31,
    31,
    30,
    31,
    30,
    31,
  ][month - 1] ?? 0;

/** A UTC date at midnight (years below 100 too: `Date.UTC` would add 1900 to them). */
function utcDate(year: number, month: number, day: number): Date {
  const date = new Date(0);
  date.setUTCFullYear(year, month - 1, day);
  return date;
}

/** The Gregorian day of ISO week `week`, weekday `weekday` (1 = Monday) of ISO year `year`. */
function isoWeekDay(year: number, week: number, weekday: number): Date {
  const jan4 = utcDate(year, 1, 4);
  const mondayOfWeek1 = jan4.getTime() - ((jan4.getUTCDay() + 6) % 7) * 86_400_000;
  return new Date(mondayOfWeek1 + ((week - 1) * 7 + (weekday - 1)) * 86_400_000);
}

function dateParts(text: string): Parts | null {
  for (const form of DATE_FORMS) {
    const g = form.re.exec(text)?.groups;
    if (!g) continue;
    const year = Number(g.y);
    if (year < 1) return null; // Python's datetime starts at year 1.
    if (g.doy !== undefined) {
      const doy = Number(g.doy);
      if (doy < 1 || doy > (daysInMonth(year, 2) === 29 ? 366 : 365)) return null;
      const date = new Date(utcDate(year, 1, 1).getTime() + (doy - 1) * 86_400_000);
      return {
        year,
        month: date.getUTCMonth() + 1,
        day: date.getUTCDate(),
        precision: form.precision,
      };
    }
    if (g.w !== undefined) {
      const [week, weekday] = [Number(g.w), g.wd === undefined ? 1 : Number(g.wd)];
      // arrow allows week 53 in every year (it rolls into the next year), as here.
      if (week < 1 || week > 53 || weekday < 1 || weekday > 7) return null;
      const date = isoWeekDay(year, week, weekday);
      const precision = g.wd === undefined ? 'WEEK' : 'DAY';
      return {
        year: date.getUTCFullYear(),
        month: date.getUTCMonth() + 1,
        day: date.getUTCDate(),
        precision,
      };
    }
    const month = g.m === undefined ? 1 : Number(g.m);
    const day = g.d === undefined ? 1 : Number(g.d);
    if (month < 1 || month > 12 || day < 1 || day > daysInMonth(year, month)) return null;
    return { year, month, day, precision: form.precision };
  }
  return null;
}

/** `+05` → `+05:00`; `Z` → `+00:00`; null when malformed or out of range. */
function offsetOf(text: string): { label: string; minutes: number } | null {
  const g = OFFSET.exec(text)?.groups;
  if (!g) return null;
  if (!g.sign) return { label: '+00:00', minutes: 0 };
  const [hours, minutes] = [Number(g.oh), Number(g.om ?? 0)];
  if (hours > 23 || minutes > 59) return null;
  const label = `${g.sign}${String(hours).padStart(2, '0')}:${String(minutes).padStart(2, '0')}`;
  return { label, minutes: (g.sign === '-' ? -1 : 1) * (hours * 60 + minutes) };
}

/** The time part: arrow splits it from its offset at the first `+`, `-` or `Z`. */
function timeParts(text: string) {
  const split = /[+\-Z]/i.exec(text);
  const clock = split ? text.slice(0, split.index) : text;
  const zone = split ? text.slice(split.index) : null;
  const g = (clock.includes(':') ? EXTENDED_TIME : BASIC_TIME).exec(clock)?.groups;
  if (!g) return null;
  const offset = zone === null ? null : offsetOf(zone);
  if (zone !== null && offset === null) return null;
  const [h, mi, s] = [Number(g.h), Number(g.mi ?? 0), Number(g.s ?? 0)];
  const fraction = g.f ?? '';
  // 24:00 is midnight at the end of the day (arrow), anything else past 23:59:59 is no time.
  if (h > 24 || mi > 59 || s > 59 || (h === 24 && (mi > 0 || s > 0 || /[1-9]/.test(fraction))))
    return null;
  const precision: DatePrecision =
    g.f !== undefined
      ? 'FRACTION'
      : g.s !== undefined
        ? 'SECOND'
        : g.mi !== undefined
          ? 'MINUTE'
          : 'HOUR';
  return { h, mi, s, fraction, offset, precision };
}

/** The instant, in UTC, with the fraction digits given (at most 9, at least 3). */
function instantOf(
  p: Parts,
  t: { h: number; mi: number; s: number; fraction: string; offsetMinutes: number },
): string {
  const local = utcDate(p.year, p.month, p.day);
  local.setUTCHours(t.h, t.mi, t.s, 0);
  const utc = new Date(local.getTime() - t.offsetMinutes * 60_000);
  const fraction = t.fraction.slice(0, 9).padEnd(3, '0');
  return utc.toISOString().replace(/\.\d{3}Z$/, `.${fraction}Z`);
}

/**
 * Reads `text` as Open Humans' `arrow.get` does; null when Open Humans would refuse it (or fail
 * on it). No zone means UTC; a partial date means the start of its period.
 */
export function parseIsoDate(text: string): IsoDate | null {
  if (typeof text !== 'string' || text.length > 64) return null;
  const spaces = text.split(' ').length - 1;
  // arrow: one space or one `T` between date and time, never both.
  if (spaces > 1 || (spaces === 1 && text.includes('T'))) return null;
  const divider = text.search(/[T ]/);
  const datePart = divider < 0 ? text : text.slice(0, divider);
  const timePart = divider < 0 ? undefined : text.slice(divider + 1);
  const date = dateParts(datePart);
  if (!date) return null;
  if (timePart === undefined) {
    return {
      text,
      precision: date.precision,
      utcOffset: null,
      instant: instantOf(date, { h: 0, mi: 0, s: 0, fraction: '', offsetMinutes: 0 }),
    };
  }
  const time = timeParts(timePart);
  if (!time) return null;
  const instant = instantOf(date, { ...time, offsetMinutes: time.offset?.minutes ?? 0 });
  return { text, precision: time.precision, utcOffset: time.offset?.label ?? null, instant };
}

/** Whether Open Humans accepts `text` as a metadata date. */
export const isAcceptedIsoDate = (text: string): boolean => parseIsoDate(text) !== null;
