/**
 * Keyed cursors over a sorted offset list that changes between pages: the key is found again
 * however far the list moved (within the bounded probes), and the usual page costs one window.
 */
import { describe, expect, it } from 'vitest';
import { GatewayError } from '../../src/errors.js';
import { compareKeys, decodeKeyedCursor, keyedCursor } from '../../src/schema/cursor-keys.js';
import {
  type OffsetConnection,
  resolveOffsetPage,
  type SliceFetcher,
} from '../../src/schema/pagination.js';

/** A sorted list of numbers that can change, recording the windows it is asked for. */
function mutableList(initial: number[]) {
  let items = [...initial];
  const calls: { offset: number; limit: number }[] = [];
  const fetch: SliceFetcher<number> = async ({ offset, limit }) => {
    calls.push({ offset, limit });
    return { items: items.slice(offset, offset + limit), totalCount: items.length };
  };
  return {
    calls,
    fetch,
    set(next: number[]) {
      items = [...next].sort((a, b) => a - b);
    },
    get items() {
      return items;
    },
  };
}

const keys = { keyOf: (n: number) => [n] as const };
const range = (from: number, to: number) => Array.from({ length: to - from }, (_, i) => from + i);

async function walk(
  list: ReturnType<typeof mutableList>,
  size: number,
  change: () => void,
  changeAfter = 1,
) {
  const seen: number[] = [];
  let after: string | null = null;
  for (let n = 1; n < 1000; n += 1) {
    const page: OffsetConnection<number> = await resolveOffsetPage(
      { first: size, after },
      list.fetch,
      { keys },
    );
    seen.push(...page.edges.map((e) => e.node));
    if (n === changeAfter) change();
    if (!page.pageInfo.hasNextPage) break;
    after = page.pageInfo.endCursor;
  }
  return seen;
}

describe('keyed cursors', () => {
  it('cost one window per page while nothing moves', async () => {
    const list = mutableList(range(0, 50));
    const seen = await walk(list, 10, () => {});
    expect(seen).toEqual(range(0, 50));
    expect(list.calls).toHaveLength(5);
  });

  it('find the key after 300 insertions before it (far past the first window)', async () => {
    const list = mutableList(range(1000, 1100));
    const seen = await walk(list, 10, () => list.set([...list.items, ...range(0, 300)]));
    expect(seen).toEqual(range(1000, 1100));
  });

  it('find where the key was after its item and 60 before it were deleted', async () => {
    const list = mutableList(range(0, 100));
    const seen = await walk(
      list,
      10,
      () => list.set(list.items.filter((n) => n >= 30 && n !== 39)),
      4,
    );
    // 0–39 were read before the deletions; the walk goes on at 40, the first item past 39.
    expect(seen).toEqual(range(0, 100));
  });

  it('serve `before` cursors the same way', async () => {
    const list = mutableList(range(0, 40));
    const tail = await resolveOffsetPage({ last: 5 }, list.fetch, { keys });
    list.set([...list.items, -1, -2, -3]);
    const page = await resolveOffsetPage(
      { last: 5, before: tail.pageInfo.startCursor },
      list.fetch,
      { keys },
    );
    expect(page.edges.map((e) => e.node)).toEqual(range(30, 35));
  });

  it('bound the windows a forged cursor can make them read', async () => {
    const list = mutableList(range(0, 20_000));
    await resolveOffsetPage({ first: 10, after: keyedCursor(0, [10_000_000]) }, list.fetch, {
      keys,
    });
    expect(list.calls.length).toBeLessThanOrEqual(7);
    expect(Math.max(...list.calls.map((c) => c.limit))).toBeLessThanOrEqual(500);
  });

  it('round-trip exactly and refuse forged ones', async () => {
    const cursor = keyedCursor(7, ['direct-sharing-12', 345]);
    expect(decodeKeyedCursor(cursor)).toEqual({ offset: 7, key: ['direct-sharing-12', 345] });
    expect(decodeKeyedCursor(Buffer.from('key:7:[{"x":1}]').toString('base64'))).toBeNull();
    expect(decodeKeyedCursor(Buffer.from('key:7:[]').toString('base64'))).toBeNull();
    expect(compareKeys(['a', 2], ['a', 10])).toBeLessThan(0);
    const list = mutableList(range(0, 10));
    await expect(resolveOffsetPage({ first: 2, after: cursor }, list.fetch)).rejects.toBeInstanceOf(
      GatewayError,
    );
  });
});

describe('one count per page', () => {
  it('places a `last` page again when the list grew between its two reads', async () => {
    const list = mutableList(range(0, 30));
    // The first read (the count) sees 30 items; every later read sees 33.
    const fetch: SliceFetcher<number> = async (window) => {
      const slice = await list.fetch(window);
      if (list.calls.length === 1) list.set(range(0, 33));
      return slice;
    };
    const page = await resolveOffsetPage({ last: 4 }, fetch);
    expect(page.edges.map((e) => e.node)).toEqual([29, 30, 31, 32]);
    expect(page.totalCount).toBe(33);
    expect(page.pageInfo.hasPreviousPage).toBe(true);
  });

  it('places a `last` page again when a known count turns out stale', async () => {
    const list = mutableList(range(0, 13));
    const page = await resolveOffsetPage({ last: 4 }, list.fetch, { totalCount: 12 });
    expect(page.edges.map((e) => e.node)).toEqual([9, 10, 11, 12]);
    expect(page.totalCount).toBe(13);
  });
});
