/**
 * Which of two upstream reads is the fresher one. Every answer mapped from an upstream call is
 * stamped with a process-wide, increasing number when it arrives; a cached answer keeps its
 * stamp, so a response that mixes a cached read with a new one can tell which to believe.
 * A counter, not a clock: no two reads tie and tests need no time.
 */
const stamps = new WeakMap<object, number>();
let lastStamp = 0;

/** Stamps a freshly fetched value (and returns it, for chaining in a mapper). */
export function stampRead<T extends object>(value: T, ...parts: readonly object[]): T {
  lastStamp += 1;
  stamps.set(value, lastStamp);
  for (const part of parts) stamps.set(part, lastStamp);
  return value;
}

/** The stamp of a value; 0 for values that did not come from an upstream read. */
export function readOrderOf(value: object): number {
  return stamps.get(value) ?? 0;
}
