/*
 * The fetcher contract shared by pagination.ts and cursor-keys.ts, on its own so that the two
 * need not import each other.
 */

/** What a fetcher returns: the items of the requested window and the size of the whole list. */
export interface OffsetSlice<T> {
  items: readonly T[];
  totalCount: number;
}

/** Loads `limit` (always ≥ 1) items starting at `offset`, plus the total count of the list. */
export type SliceFetcher<T> = (window: {
  offset: number;
  limit: number;
}) => Promise<OffsetSlice<T>>;
