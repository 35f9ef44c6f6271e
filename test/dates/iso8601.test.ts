/**
 * The gateway's reading of metadata dates, against Open Humans' (`arrow.get`) grammar: every
 * form it accepts is accepted and read as arrow reads it; what it refuses or fails on is refused.
 * The sandbox's emulation of the upload form must agree with the gateway on every case.
 */
import { describe, expect, it } from 'vitest';
import { arrowAccepts } from '../../sandbox/uploads/validate.js';
import { serializeDateTime } from '../../src/dates/date-time-scalar.js';
import { parseIsoDate } from '../../src/dates/iso8601.js';

/** [text, instant arrow reads, precision, offset] */
const ACCEPTED: Array<[string, string, string, string | null]> = [
  ['2019', '2019-01-01T00:00:00.000Z', 'YEAR', null],
  ['2019-01', '2019-01-01T00:00:00.000Z', 'MONTH', null],
  ['2019/01', '2019-01-01T00:00:00.000Z', 'MONTH', null],
  ['20190101', '2019-01-01T00:00:00.000Z', 'DAY', null],
  ['2019-1-5', '2019-01-05T00:00:00.000Z', 'DAY', null],
  ['2019.01.05', '2019-01-05T00:00:00.000Z', 'DAY', null],
  ['2019-032', '2019-02-01T00:00:00.000Z', 'DAY', null],
  ['2020366', '2020-12-31T00:00:00.000Z', 'DAY', null],
  ['2019-W01-2', '2019-01-01T00:00:00.000Z', 'DAY', null],
  ['2019W012', '2019-01-01T00:00:00.000Z', 'DAY', null],
  ['2019-W01', '2018-12-31T00:00:00.000Z', 'WEEK', null],
  ['2019-01-01T10', '2019-01-01T10:00:00.000Z', 'HOUR', null],
  ['2019-01-01T1030', '2019-01-01T10:30:00.000Z', 'MINUTE', null],
  ['2019-01-01T10:30', '2019-01-01T10:30:00.000Z', 'MINUTE', null],
  ['20190101T103015', '2019-01-01T10:30:15.000Z', 'SECOND', null],
  ['2019-01-01 10:30:15', '2019-01-01T10:30:15.000Z', 'SECOND', null],
  ['2019-01-01T10:00:00,5Z', '2019-01-01T10:00:00.500Z', 'FRACTION', '+00:00'],
  ['2019-01-01T10:00:00.123456Z', '2019-01-01T10:00:00.123456Z', 'FRACTION', '+00:00'],
  ['2019-01-01T10:00+05', '2019-01-01T05:00:00.000Z', 'MINUTE', '+05:00'],
  ['2019-01-01T10:00:00-0130', '2019-01-01T11:30:00.000Z', 'SECOND', '-01:30'],
  ['2018-06-08 10:07:26+00:00', '2018-06-08T10:07:26.000Z', 'SECOND', '+00:00'],
  ['2019-01-01T24:00', '2019-01-02T00:00:00.000Z', 'MINUTE', null],
];

const REFUSED = [
  '',
  'yesterday',
  '02/01/2024',
  '2019-1',
  '201901',
  '2019-01-01T',
  '2019-01-01T1',
  '2019-01-01T10:3000',
  '2019-01-01T10:30:00 +05:00',
  '2019-01-01  10:00',
  '2019-01-01 T10',
  '2019-01-01T10:00+5',
  '2019-367',
  '2019-000',
  // Impossible values: arrow raises ValueError there, and Open Humans answers 500.
  '2019-02-29',
  '2019-13-01',
  '2019-01-01T25:00',
  '2019-01-01T10:60',
  '2019-W54',
  '2019-W01-8',
  '0000-01-01',
];

describe('parseIsoDate follows arrow.get', () => {
  for (const [text, instant, precision, offset] of ACCEPTED) {
    it(`accepts ${text}`, () => {
      expect(parseIsoDate(text)).toEqual({ text, instant, precision, utcOffset: offset });
    });
  }
  it('refuses what Open Humans refuses or fails on', () => {
    for (const text of REFUSED) expect(parseIsoDate(text), text).toBeNull();
  });
});

describe('the sandbox upload form agrees', () => {
  const sandboxAccepts = (text: string): boolean => {
    try {
      return arrowAccepts(text);
    } catch {
      return false; // a 500 upstream: nothing stored
    }
  };
  it('on every case', () => {
    for (const [text] of ACCEPTED) expect(sandboxAccepts(text), text).toBe(true);
    for (const text of REFUSED) expect(sandboxAccepts(text), text).toBe(false);
  });
});

describe('DateTime keeps the precision of its source', () => {
  it('serializes upstream strings with every fraction digit, in UTC', () => {
    expect(serializeDateTime('2016-02-09T01:36:08.377335Z')).toBe('2016-02-09T01:36:08.377335Z');
    expect(serializeDateTime('2020-06-30T20:00:00.123456+02:00')).toBe(
      '2020-06-30T18:00:00.123456Z',
    );
    expect(serializeDateTime('2020-06-30T20:00:00+00:00')).toBe('2020-06-30T20:00:00.000Z');
    expect(serializeDateTime(new Date(Date.UTC(2020, 0, 2, 3, 4, 5, 6)))).toBe(
      '2020-01-02T03:04:05.006Z',
    );
  });
  it('refuses what is no date', () => {
    expect(() => serializeDateTime('not a date')).toThrow(/ISO 8601/);
    expect(() => serializeDateTime(new Date(Number.NaN))).toThrow(/invalid/);
  });
});
