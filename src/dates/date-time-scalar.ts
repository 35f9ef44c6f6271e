/**
 * The `DateTime` scalar. graphql-scalars' version turns every value into a JS `Date`, which
 * keeps milliseconds only: Open Humans sends microseconds (`2016-02-09T01:36:08.377335Z`) and
 * they were lost. This one serializes strings through the ISO 8601 reader of `iso8601.ts`, so
 * the instant keeps every fraction digit its source gave; `Date` values (the gateway's own
 * clock) keep serializing as before. Input parsing is graphql-scalars' own (RFC 3339 → `Date`).
 */
import { GraphQLError, GraphQLScalarType } from 'graphql';
import { DateTimeResolver } from 'graphql-scalars';
import { parseIsoDate } from './iso8601.js';

/** A value as `DateTime` shows it: UTC, RFC 3339, at least millisecond digits. */
export function serializeDateTime(value: unknown): string {
  if (value instanceof Date) {
    if (Number.isNaN(value.getTime()))
      throw new GraphQLError('DateTime cannot represent an invalid Date.');
    return value.toISOString();
  }
  if (typeof value === 'string') return serializeIsoString(value);
  if (typeof value === 'number' && Number.isFinite(value)) return new Date(value).toISOString();
  throw new GraphQLError('DateTime cannot represent a value that is not a date.');
}

/**
 * Upstream instants repeat on every request that shows the same files (the same body, cached or
 * fetched again): each distinct string is read once, not once per field per request. Bounded:
 * emptied whole when full (a plain Map, cheaper than an LRU for a hit).
 */
const MAX_MEMOIZED = 20_000;
const instants = new Map<string, string>();

function serializeIsoString(value: string): string {
  const known = instants.get(value);
  if (known !== undefined) return known;
  const parsed = parseIsoDate(value);
  if (!parsed)
    throw new GraphQLError('DateTime cannot represent a value that is not an ISO 8601 date-time.');
  if (instants.size >= MAX_MEMOIZED) instants.clear();
  instants.set(value, parsed.instant);
  return parsed.instant;
}

export const DateTimeScalar = new GraphQLScalarType<Date, string>({
  name: 'DateTime',
  description:
    'An instant, as an RFC 3339 date-time string in UTC, such as `2016-02-09T01:36:08.377335Z`. ' +
    'It keeps as many fraction-of-second digits as its source gave (Open Humans gives ' +
    'microseconds), and at least three (milliseconds). As input: any RFC 3339 date-time.',
  serialize: serializeDateTime,
  parseValue: (value) => DateTimeResolver.parseValue(value) as Date,
  parseLiteral: (ast) => DateTimeResolver.parseLiteral(ast, {}) as Date,
  specifiedByURL: 'https://datatracker.ietf.org/doc/html/rfc3339#section-5.6',
});
