/**
 * The edges and `pageInfo` of a page built by `resolveOffsetPage` (pagination.ts), with cursors
 * encoded only when a query selects them, then kept. Most queries select nodes only, and an
 * encoding is a string or three per item (base64, JSON for keyed cursors): for a page of 100
 * members with 5 files each, 600 cursors nobody read. Classes, because getters defined per
 * object cost more to create than the cursors they defer.
 */

/** Encodes the cursor of `node`, found at `offset` of its list. */
export type CursorOf<T> = (node: T, offset: number) => string;

export class LazyEdge<T> {
  #cursor: string | undefined;

  constructor(
    readonly node: T,
    private readonly offset: number,
    private readonly encode: CursorOf<T>,
  ) {}

  get cursor(): string {
    this.#cursor ??= this.encode(this.node, this.offset);
    return this.#cursor;
  }
}

/**
 * `pageInfo`: its flags as computed, the start and end cursors read from the edges when asked.
 * Own getters (one object per page): it reads like the plain object it was, `toEqual` included.
 */
export function lazyPageInfo<T>(
  flags: { hasNextPage: boolean; hasPreviousPage: boolean },
  edges: readonly LazyEdge<T>[],
): {
  hasNextPage: boolean;
  hasPreviousPage: boolean;
  startCursor: string | null;
  endCursor: string | null;
} {
  return {
    hasNextPage: flags.hasNextPage,
    hasPreviousPage: flags.hasPreviousPage,
    get startCursor() {
      return edges[0]?.cursor ?? null;
    },
    get endCursor() {
      return edges[edges.length - 1]?.cursor ?? null;
    },
  };
}
