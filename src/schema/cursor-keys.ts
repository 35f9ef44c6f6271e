/**
 * Keyed cursors: where Open Humans orders a list stably (a member's files by source then id,
 * projects by name, public members by username), a cursor carries the key of its edge beside
 * the offset it was at. Paging from it finds that key again in the current list, so a file,
 * project or member added or removed before the cursor neither skips nor repeats an item. The
 * offset is only a hint of where to look; a bounded number of extra windows is read when the
 * list moved further than the first one shows.
 */
import { badUserInput } from '../errors.js';
import type { OffsetSlice, SliceFetcher } from './slice-fetcher.js';

/** An edge's key in the list's order: compared element by element. */
export type CursorKey = readonly (string | number)[];

/** How a connection keys its items; `compare` must follow the upstream order exactly. */
export interface CursorKeys<T> {
  keyOf(item: T): CursorKey;
}

const KEYED_PREFIX = 'key:';
/** Keys are short (a label and an id, a name): anything longer is not a cursor we made. */
const MAX_KEY_CHARS = 400;
const MAX_OFFSET = 2 ** 31 - 1;
/**
 * Windows read to find a key the list moved away from, each twice the last one up to
 * MAX_PROBE_ROWS: a forged cursor (keys are not secret, so anyone can make one) costs at most
 * this many upstream calls of bounded size, like a few pages would.
 */
const MAX_PROBES = 6;
const MAX_PROBE_ROWS = 500;

/** Element-wise order: numbers numerically, strings by code unit (Python's and the sandbox's). */
export function compareKeys(a: CursorKey, b: CursorKey): number {
  const length = Math.min(a.length, b.length);
  for (let i = 0; i < length; i += 1) {
    const x = a[i];
    const y = b[i];
    if (x === y) continue;
    if (typeof x === 'number' && typeof y === 'number') return x - y;
    return String(x) < String(y) ? -1 : 1;
  }
  return a.length - b.length;
}

/** A keyed cursor: the edge's offset when it was handed out and its key. */
export interface KeyedCursor {
  offset: number;
  key: CursorKey;
}

export function keyedCursor(offset: number, key: CursorKey): string {
  return Buffer.from(`${KEYED_PREFIX}${offset}:${JSON.stringify(key)}`, 'utf8').toString('base64');
}

const isKey = (value: unknown): value is CursorKey =>
  Array.isArray(value) &&
  value.length > 0 &&
  value.length <= 4 &&
  value.every((v) => typeof v === 'string' || (typeof v === 'number' && Number.isSafeInteger(v)));

/** A keyed cursor, null when `cursor` is not one (maybe an offset cursor); never throws. */
export function decodeKeyedCursor(cursor: string): KeyedCursor | null {
  if (cursor.length > MAX_KEY_CHARS * 2) return null;
  const decoded = Buffer.from(cursor, 'base64').toString('utf8');
  const match = /^key:(0|[1-9]\d{0,9}):(\[.*\])$/s.exec(decoded);
  if (!match?.[1] || !match[2]) return null;
  const offset = Number(match[1]);
  let key: unknown;
  try {
    key = JSON.parse(match[2]);
  } catch {
    return null;
  }
  if (offset > MAX_OFFSET || !isKey(key)) return null;
  // The round trip rejects strings that merely happen to decode (base64 decoding is lenient).
  return keyedCursor(offset, key) === cursor ? { offset, key } : null;
}

/**
 * A fetcher that remembers the windows it read in this page's resolution and serves any window
 * inside one of them (or reaching past the list's end) without another upstream call.
 */
export function rememberingFetcher<T>(fetch: SliceFetcher<T>): SliceFetcher<T> {
  const seen: { offset: number; slice: OffsetSlice<T> }[] = [];
  return async ({ offset, limit }) => {
    for (const w of seen) {
      const end = w.offset + w.slice.items.length;
      const reachesEnd = end >= w.slice.totalCount;
      if (offset >= w.offset && (offset + limit <= end || (reachesEnd && offset <= end))) {
        const from = offset - w.offset;
        return { items: w.slice.items.slice(from, from + limit), totalCount: w.slice.totalCount };
      }
    }
    const slice = await fetch({ offset, limit });
    seen.push({ offset, slice });
    return slice;
  };
}

/**
 * Where `cursor`'s edge is now: for `after`, the offset of the first item past it; for
 * `before`, the offset of the edge itself (or of the first item past where it was). `size` is
 * the page size, so that the first window read is also the page in the usual case.
 */
export async function locateKeyed<T>(
  cursor: KeyedCursor,
  side: 'after' | 'before',
  size: number,
  fetch: SliceFetcher<T>,
  keys: CursorKeys<T>,
): Promise<number> {
  const span = Math.max(size, 1) + 1;
  let window =
    side === 'after'
      ? { offset: cursor.offset, limit: span }
      : { offset: Math.max(0, cursor.offset - span + 1), limit: span };
  for (let probe = 0; probe < MAX_PROBES; probe += 1) {
    const { items, totalCount } = await fetch(window);
    const found = items.findIndex((item) => compareKeys(keys.keyOf(item), cursor.key) === 0);
    if (found >= 0) return window.offset + found + (side === 'after' ? 1 : 0);
    const last = items.at(-1);
    const first = items[0];
    const limit = Math.min(window.limit * 2, MAX_PROBE_ROWS);
    if (!first || !last) {
      // Past the end of a list that shrank: look at its tail.
      if (window.offset === 0 || totalCount === 0) return 0;
      window = { offset: Math.max(0, totalCount - limit), limit };
    } else if (compareKeys(keys.keyOf(first), cursor.key) > 0 && window.offset > 0) {
      window = { offset: Math.max(0, window.offset - limit), limit };
    } else if (
      compareKeys(keys.keyOf(last), cursor.key) < 0 &&
      window.offset + items.length < totalCount
    ) {
      window = { offset: window.offset + items.length, limit };
    } else {
      // The key lies inside this window but its item is gone: continue where it would be.
      const past = items.findIndex((item) => compareKeys(keys.keyOf(item), cursor.key) > 0);
      return window.offset + (past < 0 ? items.length : past);
    }
  }
  // The list moved further than the windows read: fall back to the offset the cursor had.
  return side === 'after' ? cursor.offset + 1 : cursor.offset;
}

/** A keyed cursor given to a connection whose order is not stable enough to key. */
export const notKeyedHere = (argName: string) =>
  badUserInput(`\`${argName}\` is not a valid cursor for this connection.`, {
    argumentName: argName,
  });
