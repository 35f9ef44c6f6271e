/**
 * `MetadataDate`: a date from a file's metadata exactly as it was set, beside what it means.
 * Open Humans accepts far more than RFC 3339 there (partial, week and ordinal dates, basic
 * format, hour-only offsets: see `src/dates/iso8601.ts`); a `DateTime` alone would turn `2019-01`
 * into midnight on January 1st and drop that only the month was given. Here nothing is lost:
 * `text` is the stored value, `precision` and `utcOffset` say what it gave, `instant` is how
 * Open Humans reads it. The reading happens in the wire conversion (`datasources/wire-dates.ts`).
 */
import type { MetadataDates, MetadataDateValue } from '../datasources/wire-dates.js';
import { builder } from './builder.js';

export const DatePrecisionEnum = builder.enumType('DatePrecision', {
  description:
    'How much of a date-time a metadata date gives; the rest reads as the start of that period.',
  values: {
    YEAR: { description: 'A year only (`2019`).' },
    MONTH: { description: 'A year and month (`2019-01`).' },
    WEEK: { description: 'An ISO week without a weekday (`2019-W01`): read as its Monday.' },
    DAY: {
      description:
        'A calendar day, in any form (`2019-01-01`, `20190101`, `2019-032`, `2019-W01-2`).',
    },
    HOUR: { description: 'A day and an hour (`2019-01-01T10`).' },
    MINUTE: { description: 'Down to the minute (`2019-01-01T10:30`, `2019-01-01T1030`).' },
    SECOND: { description: 'Down to the second (also a whole-number Unix timestamp).' },
    FRACTION: { description: 'With a fraction of a second (`10:00:00.5`, `10:00:00,5`).' },
  } as const,
});

export const MetadataDateRef = builder.objectRef<MetadataDateValue>('MetadataDate').implement({
  description:
    'A date from file metadata, read back exactly as it was set, beside what Open Humans reads ' +
    'from it. Open Humans accepts every ISO 8601 form its parser takes (partial, week and ' +
    'ordinal dates, basic format, comma fractions, hour-only offsets such as `+05`).',
  fields: (t) => ({
    text: t.exposeString('text', {
      description: 'The value exactly as stored (a number is shown as its decimal text).',
    }),
    instant: t.field({
      type: 'DateTime',
      nullable: true,
      description:
        'The instant Open Humans reads: UTC when no offset was given, the start of the period for a ' +
        'partial date. Null when the stored value is not a date Open Humans accepts (legacy data).',
      resolve: (d) => d.instant ?? null,
    }),
    precision: t.field({
      type: DatePrecisionEnum,
      nullable: true,
      description: 'How much the value gives; null when it is not a date Open Humans accepts.',
      resolve: (d) => d.precision ?? null,
    }),
    utcOffset: t.string({
      nullable: true,
      description:
        'The UTC offset the value gave, as `±hh:mm` (`Z` is `+00:00`); null when it gave none (read as UTC).',
      resolve: (d) => d.utcOffset ?? null,
    }),
  }),
});

/** The three typed dates of a file's metadata. */
export const MetadataDatesRef = builder.objectRef<MetadataDates>('MetadataDates').implement({
  description: "The dates in a file's metadata, each as set; null where the metadata has none.",
  fields: (t) => ({
    creation: t.field({
      type: MetadataDateRef,
      nullable: true,
      description: 'Metadata `creation_date`: when the data was created.',
      resolve: (dates) => dates.creation,
    }),
    start: t.field({
      type: MetadataDateRef,
      nullable: true,
      description: 'Metadata `start_date`: the start of the period the data covers.',
      resolve: (dates) => dates.start,
    }),
    end: t.field({
      type: MetadataDateRef,
      nullable: true,
      description: 'Metadata `end_date`: the end of the period the data covers.',
      resolve: (dates) => dates.end,
    }),
  }),
});
