/**
 * Which window of an offset-paged list serves a validated page request, and fetching it: one
 * upstream call per page in the usual case (`pagination.ts` turns the result into a connection).
 */
import type { OffsetSlice, SliceFetcher } from './slice-fetcher.js';

/** The validated request: the cursor bounds [lower, upper) and the size to take from one end. */
export interface PageRequest {
  lower: number;
  upper: number | undefined;
  take: number;
  fromEnd: boolean;
}

/** Fetches [offset, offset+size); a zero-size window still asks for one row, to learn the count. */
function fetchWindow<T>(
  fetch: SliceFetcher<T>,
  offset: number,
  size: number,
): Promise<OffsetSlice<T>> {
  // DRF treats limit=0 as "the default page" (100 rows), so never send it.
  return fetch({ offset, limit: Math.max(size, 1) }).then((slice) =>
    // A window of the size asked for is kept as it is (no copy); `first: 0` drops its one row.
    slice.items.length <= size
      ? slice
      : { items: slice.items.slice(0, size), totalCount: slice.totalCount },
  );
}

function windowStart(req: PageRequest, end: number): number {
  return Math.max(req.lower, end - req.take);
}

/** Serves a `last` page without `before`: the last N items of the whole list. */
async function fetchTail<T>(
  req: PageRequest,
  fetch: SliceFetcher<T>,
  knownCount: number | undefined,
): Promise<{ start: number; slice: OffsetSlice<T> }> {
  if (knownCount !== undefined) {
    const start = windowStart(req, knownCount);
    const size = Math.max(knownCount - start, 0);
    if (size === 0) return { start, slice: { items: [], totalCount: knownCount } };
    return { start, slice: await fetchWindow(fetch, start, size) };
  }
  // The count is unknown: fetch the first `last` items after the lower bound. On a short list
  // they already are the tail (one call); otherwise the count they carry places the second call.
  const first = await fetchWindow(fetch, req.lower, req.take);
  const start = windowStart(req, first.totalCount);
  if (start === req.lower) return { start, slice: first };
  if (req.take === 0) return { start, slice: { ...first, items: [] } };
  const tail = await fetchWindow(fetch, start, first.totalCount - start);
  // The list changed between the two reads (one may be cached): place the tail with the count
  // the newer read gave, so the page still ends at the real last item.
  if (tail.totalCount !== first.totalCount) return fetchTail(req, fetch, tail.totalCount);
  return { start, slice: tail };
}

async function fetchPage<T>(
  req: PageRequest,
  fetch: SliceFetcher<T>,
  knownCount: number | undefined,
): Promise<{ start: number; slice: OffsetSlice<T> }> {
  if (req.fromEnd && req.upper === undefined) return fetchTail(req, fetch, knownCount);
  const staleBefore = knownCount !== undefined && req.upper !== undefined && req.upper > knownCount;
  if (req.fromEnd && staleBefore) {
    return fetchTail({ ...req, upper: undefined }, fetch, knownCount);
  }
  const start = req.fromEnd && req.upper !== undefined ? windowStart(req, req.upper) : req.lower;
  const end = req.fromEnd
    ? (req.upper ?? start)
    : Math.min(req.upper ?? Number.POSITIVE_INFINITY, req.lower + req.take);
  const size = Math.max(end - start, 0);
  if (size === 0 && knownCount !== undefined) {
    return { start, slice: { items: [], totalCount: knownCount } };
  }
  const slice = await fetchWindow(fetch, start, size);
  // A stale `before` past the end of a list that shrank: the spec ignores it, so the page is the
  // tail of the list, which the count just learnt places (rare, hence the second call).
  if (req.fromEnd && req.upper !== undefined && req.upper > slice.totalCount) {
    const tailStart = windowStart(req, slice.totalCount);
    if (tailStart !== start) {
      return fetchTail({ ...req, upper: undefined }, fetch, slice.totalCount);
    }
  }
  return { start, slice };
}

/**
 * The page, placed with a count that agrees with its items. A count known in advance (a member's
 * `fileCount`, possibly from a cached read) may be older than the window just fetched: when the
 * window reports another size, the page is placed again with that fresh size, so `last: N` never
 * misses the real last item and `pageInfo`/`totalCount` come from the same read as the items.
 */
export function placedPage<T>(
  req: PageRequest,
  fetch: SliceFetcher<T>,
  knownCount: number | undefined,
): Promise<{ start: number; slice: OffsetSlice<T> }> {
  const page = fetchPage(req, fetch, knownCount);
  if (knownCount === undefined) return page;
  return page.then((placed) =>
    placed.slice.totalCount === knownCount
      ? placed
      : fetchPage(req, fetch, placed.slice.totalCount),
  );
}
