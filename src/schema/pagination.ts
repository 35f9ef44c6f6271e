/**
 * The one offset → Relay connection helper. Every connection in the schema pages through it.
 *
 * Open Humans pages with DRF `limit`/`offset` (no maximum `limit`); Relay clients page with
 * `first/after` and `last/before`. Cursors are opaque: base64 of `offset:<n>` on lists without a
 * stable order, and of the edge's key plus its offset on lists with one (`cursor-keys.ts`), so
 * a client never sees or builds offsets. The helper asks its fetcher for the window it serves
 * (with a keyed cursor, one item more: the cursor's own, to check it did not move): one upstream
 * call per page, and never a whole large list.
 *
 * `pageInfo` follows the spec's algorithm literally (PageInfo, "hasPreviousPage"/"hasNextPage"):
 * in the paging direction it says whether the cursors' range holds more than the page; against it
 * (the spec's "may"), the offset list knows exactly whether items lie beyond `after`/`before`, so
 * it says so. For `first/after` and `last/before` this is "are there items before/after the page".
 */
import { badUserInput } from '../errors.js';
import {
  type CursorKeys,
  decodeKeyedCursor,
  keyedCursor,
  locateKeyed,
  notKeyedHere,
  rememberingFetcher,
} from './cursor-keys.js';
import { type CursorOf, LazyEdge, lazyPageInfo } from './lazy-edges.js';
import { type PageRequest, placedPage } from './page-window.js';
import type { SliceFetcher } from './slice-fetcher.js';

export type { OffsetSlice, SliceFetcher } from './slice-fetcher.js';

/** Page size when neither `first` nor `last` is given. */
export const DEFAULT_PAGE_SIZE = 20;
/** Largest `first`/`last` accepted unless the caller passes the configured maximum. */
export const MAX_PAGE_SIZE = 100;
/** Offsets past this are not cursors we ever hand out. */
const MAX_OFFSET = 2 ** 31 - 1;
const CURSOR_PREFIX = 'offset:';

/** The Relay connection arguments, as GraphQL hands them over (absent or null when not given). */
export interface ConnectionArgs {
  first?: number | null;
  after?: string | null;
  last?: number | null;
  before?: string | null;
}

export interface PageOptions<T = unknown> {
  /** @default DEFAULT_PAGE_SIZE */
  defaultSize?: number;
  /** @default MAX_PAGE_SIZE (config `MAX_PAGE_SIZE`) */
  maxSize?: number;
  /** The list's size when already known (held sets): saves the count-only call `last` may need. */
  totalCount?: number;
  /**
   * For lists in a stable upstream order: how to key an edge. Cursors then carry the key and
   * survive insertions and deletions before them (`cursor-keys.ts`); offset-only cursors from
   * before still work, as offsets.
   */
  keys?: CursorKeys<T>;
}

export interface PageInfo {
  hasNextPage: boolean;
  hasPreviousPage: boolean;
  startCursor: string | null;
  endCursor: string | null;
}

export interface OffsetConnection<T> {
  edges: { cursor: string; node: T }[];
  pageInfo: PageInfo;
  totalCount: number;
}

/** Encodes an offset as an opaque cursor. */
export function offsetToCursor(offset: number): string {
  return Buffer.from(`${CURSOR_PREFIX}${offset}`, 'utf8').toString('base64');
}

/** Decodes a cursor made by `offsetToCursor`; anything else is a BAD_USER_INPUT. */
export function cursorToOffset(cursor: string, argName = 'cursor'): number {
  const decoded = Buffer.from(cursor, 'base64').toString('utf8');
  const match = /^offset:(0|[1-9]\d{0,9})$/.exec(decoded);
  const offset = match?.[1] === undefined ? Number.NaN : Number(match[1]);
  // The round trip rejects strings that merely happen to decode (base64 decoding is lenient).
  if (!Number.isSafeInteger(offset) || offset > MAX_OFFSET || offsetToCursor(offset) !== cursor) {
    throw badUserInput(`\`${argName}\` is not a valid cursor for this connection.`, {
      argumentName: argName,
    });
  }
  return offset;
}

function checkSize(name: 'first' | 'last', value: number, maxSize: number): number {
  if (!Number.isInteger(value) || value < 0) {
    throw badUserInput(`\`${name}\` must be a non-negative integer.`, { argumentName: name });
  }
  if (value > maxSize) {
    throw badUserInput(`\`${name}\` must not exceed ${maxSize} (the maximum page size).`, {
      argumentName: name,
      maxPageSize: maxSize,
    });
  }
  return value;
}

/** Finds keyed cursors in the current list; absent for lists paged by offset alone. */
interface Keyed<T> {
  keys: CursorKeys<T>;
  fetch: SliceFetcher<T>;
}

/**
 * The bound a cursor sets: for `after`, the offset of the first item past it; for `before`,
 * its own offset. Offset cursors are taken as they are; keyed ones are looked up.
 */
async function cursorBound<T>(
  cursor: string,
  side: 'after' | 'before',
  take: number,
  keyed: Keyed<T> | undefined,
): Promise<number> {
  const byKey = decodeKeyedCursor(cursor);
  if (byKey) {
    if (!keyed) throw notKeyedHere(side);
    return locateKeyed(byKey, side, take, keyed.fetch, keyed.keys);
  }
  const offset = cursorToOffset(cursor, side);
  return side === 'after' ? offset + 1 : offset;
}

/**
 * The validated request. Without cursors (most pages) it is known at once, with no promise: the
 * connection of each of 100 members pays for every layer of promises it goes through.
 */
function parseArgs<T>(
  args: ConnectionArgs,
  defaultSize: number,
  maxSize: number,
  keyed: Keyed<T> | undefined,
): PageRequest | Promise<PageRequest> {
  if (args.first != null && args.last != null) {
    throw badUserInput('Pass either `first` or `last`, not both.', { argumentName: 'last' });
  }
  const fromEnd = args.last != null;
  const take =
    args.last != null
      ? checkSize('last', args.last, maxSize)
      : args.first != null
        ? checkSize('first', args.first, maxSize)
        : defaultSize;
  // Both cursors are checked before either is looked up: a bad one costs no upstream call.
  const after = args.after ?? undefined;
  const before = args.before ?? undefined;
  if (after === undefined && before === undefined) {
    return { lower: 0, upper: undefined, take, fromEnd };
  }
  if (after !== undefined && !decodeKeyedCursor(after)) cursorToOffset(after, 'after');
  if (before !== undefined && !decodeKeyedCursor(before)) cursorToOffset(before, 'before');
  return (async () => {
    const lower = after !== undefined ? await cursorBound(after, 'after', take, keyed) : 0;
    const upper =
      before !== undefined ? await cursorBound(before, 'before', take, keyed) : undefined;
    return { lower, upper, take, fromEnd };
  })();
}

/**
 * Resolves Relay connection arguments over an offset-paged list.
 * @example resolveOffsetPage(args, ({ offset, limit }) => api.listDataFiles({ offset, limit }))
 */
export async function resolveOffsetPage<T>(
  args: ConnectionArgs,
  upstream: SliceFetcher<T>,
  options: PageOptions<NoInfer<T>> = {},
): Promise<OffsetConnection<T>> {
  const { keys } = options;
  // Keyed lookups read windows that usually hold the page too: served again without a call.
  const fetch = keys ? rememberingFetcher(upstream) : upstream;
  const parsed = parseArgs(
    args,
    options.defaultSize ?? DEFAULT_PAGE_SIZE,
    options.maxSize ?? MAX_PAGE_SIZE,
    keys ? { keys, fetch } : undefined,
  );
  const req = parsed instanceof Promise ? await parsed : parsed;
  const { start, slice } = await placedPage(req, fetch, options.totalCount);
  const encode: CursorOf<T> = keys
    ? (node, offset) => keyedCursor(offset, keys.keyOf(node))
    : (_node, offset) => offsetToCursor(offset);
  const edges = slice.items.map((node, i) => new LazyEdge(node, start + i, encode));
  return {
    edges,
    totalCount: slice.totalCount,
    pageInfo: lazyPageInfo(pageFlags(req, slice.totalCount), edges),
  };
}

/** hasPreviousPage/hasNextPage per the spec, from the cursors' range and the list's size. */
function pageFlags(
  req: PageRequest,
  count: number,
): Pick<PageInfo, 'hasPreviousPage' | 'hasNextPage'> {
  // The edges left after applying `after` and `before` (ApplyCursorsToEdges).
  const inRange = Math.max(Math.min(req.upper ?? count, count) - Math.min(req.lower, count), 0);
  const afterGiven = req.lower > 0;
  const beforeGiven = req.upper !== undefined;
  if (req.fromEnd) {
    const hasNextPage = beforeGiven && (req.upper ?? 0) < count;
    return { hasPreviousPage: inRange > req.take, hasNextPage };
  }
  return { hasPreviousPage: afterGiven && count > 0, hasNextPage: inRange > req.take };
}

/** A fetcher over a list held whole in memory (projects, datatypes): no upstream call per page. */
export function sliceArray<T>(list: readonly T[]): SliceFetcher<T> {
  return ({ offset, limit }) =>
    Promise.resolve({ items: list.slice(offset, offset + limit), totalCount: list.length });
}

/** Pages a list held whole: the count is known, so no page ever needs a second look. */
export function resolveArrayPage<T>(
  args: ConnectionArgs,
  list: readonly T[],
  options: Omit<PageOptions<NoInfer<T>>, 'totalCount'> = {},
): Promise<OffsetConnection<T>> {
  return resolveOffsetPage(args, sliceArray(list), { ...options, totalCount: list.length });
}
