/**
 * Dates as the upstream sends them, read in the wire conversion (wire.ts, direct-sharing-wire.ts)
 * so the schema only exposes them. Open Humans accepts far more than RFC 3339 in file metadata
 * (partial, week and ordinal dates, basic format, hour-only offsets: see `src/dates/iso8601.ts`);
 * a reading keeps the text as set beside what it gives and the instant Open Humans reads.
 */
import { type DatePrecision, type IsoDate, parseIsoDate } from '../dates/iso8601.js';

/** A metadata date: parsed when Open Humans accepts it, else only its text. */
export type MetadataDateValue = { text: string } & Partial<Omit<IsoDate, 'text'>>;

/** The three dates a file's metadata may carry, each read; null where it has none. */
export interface MetadataDates {
  /** `creation_date`: when the data was created. */
  creation: MetadataDateValue | null;
  /** `start_date`: the start of the period the data covers. */
  start: MetadataDateValue | null;
  /** `end_date`: the end of the period the data covers. */
  end: MetadataDateValue | null;
}

/** Python's datetime range, which `arrow.get(number)` (a Unix timestamp) must stay in. */
const MAX_TIMESTAMP_SECONDS = 253_402_300_799;

/**
 * Reads a metadata value: strings as `arrow.get` reads them; numbers as Unix timestamps (arrow
 * reads them so, and other clients may have stored them); null when absent or of another type.
 * Never throws: metadata is loose upstream.
 */
export function readMetadataDate(value: unknown): MetadataDateValue | null {
  if (typeof value === 'string') return parseIsoDate(value) ?? { text: value };
  if (typeof value !== 'number' || !Number.isFinite(value)) return null;
  const text = String(value);
  if (Math.abs(value) > MAX_TIMESTAMP_SECONDS) return { text };
  const precision: DatePrecision = Number.isInteger(value) ? 'SECOND' : 'FRACTION';
  return { text, precision, utcOffset: '+00:00', instant: new Date(value * 1000).toISOString() };
}

/** The instant of a metadata or upstream date, or null when it has none. */
export const instantOf = (value: unknown): string | null =>
  readMetadataDate(value)?.instant ?? null;

/** The dates of a file's metadata object. */
export function readMetadataDates(metadata: Record<string, unknown>): MetadataDates {
  return {
    creation: readMetadataDate(metadata.creation_date),
    start: readMetadataDate(metadata.start_date),
    end: readMetadataDate(metadata.end_date),
  };
}

/**
 * A file's dates, each read on first use and then kept. Read lazily because a reading costs about
 * 13 µs per date on this machine (about 50 µs per file for all four, against 3 µs for the rest of
 * the conversion) and most queries select none of them; a class, because getters on each model
 * object cost several µs per file to create.
 */
export class FileDates {
  #createdAt: string | null | undefined;
  #metadataDates: MetadataDates | undefined;

  constructor(
    private readonly created: string,
    private readonly metadata: Record<string, unknown>,
  ) {}

  /** `created` as an instant (microseconds kept); null when the upstream sent no valid date. */
  get createdAt(): string | null {
    if (this.#createdAt === undefined) this.#createdAt = instantOf(this.created);
    return this.#createdAt;
  }

  /** The metadata's dates, read as Open Humans reads them. */
  get metadataDates(): MetadataDates {
    this.#metadataDates ??= readMetadataDates(this.metadata);
    return this.#metadataDates;
  }
}
