import { describe, expect, it } from 'vitest';
import { GatewayError } from '../../src/errors.js';
import {
  type ConnectionArgs,
  cursorToOffset,
  offsetToCursor,
  resolveArrayPage,
  resolveOffsetPage,
  type SliceFetcher,
} from '../../src/schema/pagination.js';

/** A fake offset-paged list of `size` items that records every window it is asked for. */
function fakeList(size: number) {
  const all = Array.from({ length: size }, (_, i) => `item-${i}`);
  const calls: { offset: number; limit: number }[] = [];
  const fetch: SliceFetcher<string> = async ({ offset, limit }) => {
    calls.push({ offset, limit });
    return { items: all.slice(offset, offset + limit), totalCount: all.length };
  };
  return { all, calls, fetch };
}

/** The Relay Cursor Connections spec, applied literally to the whole list (the reference). */
function referenceEdges(size: number, args: ConnectionArgs): number[] {
  let idx = Array.from({ length: size }, (_, i) => i);
  if (args.after != null) {
    const a = cursorToOffset(args.after);
    idx = idx.filter((i) => i > a);
  }
  if (args.before != null) {
    const b = cursorToOffset(args.before);
    idx = idx.filter((i) => i < b);
  }
  if (args.first != null) idx = idx.slice(0, args.first);
  if (args.last != null) idx = args.last === 0 ? [] : idx.slice(-args.last);
  if (args.first == null && args.last == null) idx = idx.slice(0, 20);
  return idx;
}

/**
 * PageInfo per the spec's algorithm: in the paging direction, "more edges in the cursors' range
 * than asked for"; against it, whether elements exist beyond `after` / at or after `before`.
 */
function referencePageFlags(size: number, args: ConnectionArgs) {
  let inRange = Array.from({ length: size }, (_, i) => i);
  if (args.after != null) inRange = inRange.filter((i) => i > cursorToOffset(args.after ?? ''));
  if (args.before != null) inRange = inRange.filter((i) => i < cursorToOffset(args.before ?? ''));
  if (args.last != null) {
    return {
      hasPreviousPage: inRange.length > args.last,
      hasNextPage: args.before != null && cursorToOffset(args.before) < size,
    };
  }
  const first = args.first ?? 20;
  return { hasPreviousPage: args.after != null && size > 0, hasNextPage: inRange.length > first };
}

async function expectBadInput(promise: Promise<unknown>, message: RegExp): Promise<void> {
  const error = await promise.then(
    () => undefined,
    (e: unknown) => e,
  );
  expect(error).toBeInstanceOf(GatewayError);
  expect((error as GatewayError).extensions.code).toBe('BAD_USER_INPUT');
  expect((error as GatewayError).message).toMatch(message);
}

describe('cursors', () => {
  it('round-trip offsets and are opaque base64', () => {
    for (const n of [0, 1, 19, 20, 99, 12345]) {
      const c = offsetToCursor(n);
      expect(c).not.toContain(String(n === 0 ? 'offset' : n));
      expect(cursorToOffset(c)).toBe(n);
    }
  });

  it('reject anything that is not one of ours', () => {
    const bad = [
      '',
      'abc',
      '5',
      Buffer.from('offset:-1').toString('base64'),
      Buffer.from('offset:01').toString('base64'),
      Buffer.from('offset:1.5').toString('base64'),
      Buffer.from('arrayconnection:3').toString('base64'),
      Buffer.from('offset:99999999999').toString('base64'),
      `${offsetToCursor(3)}garbage`,
    ];
    for (const c of bad) {
      expect(() => cursorToOffset(c, 'after'), c).toThrow(/`after` is not a valid cursor/);
    }
  });
});

describe('resolveOffsetPage: forward', () => {
  it('serves the default page of 20 in one call', async () => {
    const list = fakeList(45);
    const page = await resolveOffsetPage({}, list.fetch);
    expect(page.edges.map((e) => e.node)).toEqual(list.all.slice(0, 20));
    expect(page.totalCount).toBe(45);
    expect(page.pageInfo).toEqual({
      hasPreviousPage: false,
      hasNextPage: true,
      startCursor: offsetToCursor(0),
      endCursor: offsetToCursor(19),
    });
    expect(list.calls).toEqual([{ offset: 0, limit: 20 }]);
  });

  it('walks forward across page boundaries to the exact end', async () => {
    const list = fakeList(25);
    const seen: string[] = [];
    let after: string | null = null;
    const infos = [];
    for (;;) {
      const page: Awaited<ReturnType<typeof resolveOffsetPage<string>>> = await resolveOffsetPage(
        { first: 10, after },
        list.fetch,
      );
      seen.push(...page.edges.map((e) => e.node));
      infos.push(page.pageInfo);
      if (!page.pageInfo.hasNextPage) break;
      after = page.pageInfo.endCursor;
    }
    expect(seen).toEqual(list.all);
    expect(infos.map((i) => [i.hasPreviousPage, i.hasNextPage])).toEqual([
      [false, true],
      [true, true],
      [true, false],
    ]);
    expect(list.calls).toEqual([
      { offset: 0, limit: 10 },
      { offset: 10, limit: 10 },
      { offset: 20, limit: 10 },
    ]);
  });

  it('reports no next page when the page ends exactly at the end of the list', async () => {
    const list = fakeList(20);
    const page = await resolveOffsetPage({ first: 10, after: offsetToCursor(9) }, list.fetch);
    expect(page.edges).toHaveLength(10);
    expect(page.pageInfo.hasNextPage).toBe(false);
    expect(page.pageInfo.hasPreviousPage).toBe(true);
  });

  it('stops at `before` when it comes first', async () => {
    const list = fakeList(50);
    const page = await resolveOffsetPage(
      { first: 10, after: offsetToCursor(4), before: offsetToCursor(8) },
      list.fetch,
    );
    expect(page.edges.map((e) => e.node)).toEqual(['item-5', 'item-6', 'item-7']);
    // Per the spec, `hasNextPage` for `first` counts only the edges between the cursors.
    expect(page.pageInfo).toMatchObject({ hasPreviousPage: true, hasNextPage: false });
    expect(list.calls).toEqual([{ offset: 5, limit: 3 }]);
  });
});

describe('resolveOffsetPage: backward', () => {
  it('serves `last` without `before` in one call on a short list', async () => {
    const list = fakeList(7);
    const page = await resolveOffsetPage({ last: 10 }, list.fetch);
    expect(page.edges.map((e) => e.node)).toEqual(list.all);
    expect(page.pageInfo).toMatchObject({ hasPreviousPage: false, hasNextPage: false });
    expect(list.calls).toEqual([{ offset: 0, limit: 10 }]);
  });

  it('serves `last` without `before` on a long list with one extra call, never the whole list', async () => {
    const list = fakeList(1000);
    const page = await resolveOffsetPage({ last: 5 }, list.fetch);
    expect(page.edges.map((e) => e.node)).toEqual(list.all.slice(995));
    expect(page.edges[0]?.cursor).toBe(offsetToCursor(995));
    expect(page.pageInfo).toEqual({
      hasPreviousPage: true,
      hasNextPage: false,
      startCursor: offsetToCursor(995),
      endCursor: offsetToCursor(999),
    });
    expect(list.calls).toEqual([
      { offset: 0, limit: 5 },
      { offset: 995, limit: 5 },
    ]);
  });

  it('uses a known count to serve `last` in one call', async () => {
    const list = fakeList(30);
    const page = await resolveOffsetPage({ last: 4 }, list.fetch, { totalCount: 30 });
    expect(page.edges.map((e) => e.node)).toEqual(list.all.slice(26));
    expect(list.calls).toEqual([{ offset: 26, limit: 4 }]);
  });

  it('walks backward across page boundaries to the exact start', async () => {
    const list = fakeList(23);
    const pages: string[][] = [];
    const infos = [];
    let before: string | null = null;
    for (;;) {
      const page: Awaited<ReturnType<typeof resolveOffsetPage<string>>> = await resolveOffsetPage(
        { last: 10, before },
        list.fetch,
      );
      pages.push(page.edges.map((e) => e.node));
      infos.push(page.pageInfo);
      if (!page.pageInfo.hasPreviousPage) break;
      before = page.pageInfo.startCursor;
    }
    expect(pages).toEqual([list.all.slice(13), list.all.slice(3, 13), list.all.slice(0, 3)]);
    expect(infos.map((i) => [i.hasPreviousPage, i.hasNextPage])).toEqual([
      [true, false],
      [true, true],
      [false, true],
    ]);
    // Only the first page (no `before`) needed the count first; each later page is one call.
    expect(list.calls).toEqual([
      { offset: 0, limit: 10 },
      { offset: 13, limit: 10 },
      { offset: 3, limit: 10 },
      { offset: 0, limit: 3 },
    ]);
  });

  it('keeps `after` as the lower bound of a `last` page', async () => {
    const list = fakeList(30);
    const page = await resolveOffsetPage(
      { last: 10, after: offsetToCursor(20), before: offsetToCursor(25) },
      list.fetch,
    );
    expect(page.edges.map((e) => e.node)).toEqual(list.all.slice(21, 25));
    expect(list.calls).toEqual([{ offset: 21, limit: 4 }]);
  });
});

describe('resolveOffsetPage: edge cases', () => {
  it('matches the Relay spec on every combination over small lists', async () => {
    const cursors = [null, ...[0, 1, 4, 5, 6, 9, 12].map(offsetToCursor)];
    const sizes = [null, 0, 1, 3, 5];
    for (const n of [0, 1, 5, 10]) {
      for (const after of cursors) {
        for (const before of cursors) {
          for (const size of sizes) {
            for (const dir of ['first', 'last'] as const) {
              const args: ConnectionArgs = { after, before, [dir]: size };
              const list = fakeList(n);
              const page = await resolveOffsetPage(args, list.fetch);
              const expected = referenceEdges(n, args);
              const label = JSON.stringify({ n, args });
              expect(
                page.edges.map((e) => e.node),
                label,
              ).toEqual(expected.map((i) => `item-${i}`));
              expect(
                page.edges.map((e) => cursorToOffset(e.cursor)),
                label,
              ).toEqual(expected);
              expect(page.totalCount, label).toBe(n);
              const [firstIdx, lastIdx] = [expected[0], expected[expected.length - 1]];
              expect(page.pageInfo, label).toEqual({
                ...referencePageFlags(n, args),
                startCursor: firstIdx === undefined ? null : offsetToCursor(firstIdx),
                endCursor: lastIdx === undefined ? null : offsetToCursor(lastIdx),
              });
              // `last` needs the count first without `before`, or with a stale one past the end.
              const staleBefore = before !== null && cursorToOffset(before) > n;
              const maxCalls = dir === 'last' && (before === null || staleBefore) ? 2 : 1;
              expect(list.calls.length, label).toBeLessThanOrEqual(maxCalls);
              for (const call of list.calls) {
                expect(call.limit, label).toBeGreaterThanOrEqual(1);
                expect(call.limit, label).toBeLessThanOrEqual(Math.max(size ?? 20, 1));
              }
            }
          }
        }
      }
    }
  });

  it('answers `first: 0` with the count and no items, never sending limit=0', async () => {
    const list = fakeList(12);
    const page = await resolveOffsetPage({ first: 0 }, list.fetch);
    expect(page.edges).toEqual([]);
    expect(page.totalCount).toBe(12);
    expect(page.pageInfo.hasNextPage).toBe(true);
    expect(list.calls).toEqual([{ offset: 0, limit: 1 }]);
  });

  it('encodes a cursor only when it is read, once, and the same as pageInfo gives', async () => {
    const list = fakeList(12);
    const keyed: string[] = [];
    const keys = {
      keyOf: (item: string) => {
        keyed.push(item);
        return [item];
      },
    };
    const page = await resolveOffsetPage({ first: 3 }, list.fetch, { keys });
    expect(keyed).toEqual([]);
    const last = page.edges[2]?.cursor;
    expect(page.edges[2]?.cursor).toBe(last);
    expect(page.pageInfo.endCursor).toBe(last);
    expect(keyed).toEqual(['item-2']);
    expect(page.pageInfo.startCursor).toBe(page.edges[0]?.cursor);
    // The cursor read lazily pages on exactly like one encoded up front.
    const next = await resolveOffsetPage({ first: 3, after: last }, list.fetch, { keys });
    expect(next.edges.map((e) => e.node)).toEqual(['item-3', 'item-4', 'item-5']);
  });

  it('answers `last: 0` with one call', async () => {
    const list = fakeList(12);
    const page = await resolveOffsetPage({ last: 0 }, list.fetch);
    expect(page.edges).toEqual([]);
    expect(page.totalCount).toBe(12);
    expect(list.calls).toHaveLength(1);
  });

  it('answers an `after` cursor past the end with an empty page', async () => {
    const list = fakeList(5);
    const page = await resolveOffsetPage({ first: 3, after: offsetToCursor(40) }, list.fetch);
    expect(page.edges).toEqual([]);
    expect(page.pageInfo).toMatchObject({ hasNextPage: false, hasPreviousPage: true });
  });

  it('pages a list held in memory', async () => {
    const all = Array.from({ length: 8 }, (_, i) => i);
    const page = await resolveArrayPage({ last: 3, before: offsetToCursor(5) }, all);
    expect(page.edges.map((e) => e.node)).toEqual([2, 3, 4]);
    expect(page.pageInfo).toMatchObject({ hasPreviousPage: true, hasNextPage: true });
  });
});

describe('resolveOffsetPage: bad input', () => {
  const { fetch } = fakeList(10);
  it('rejects `first` and `last` together', async () => {
    await expectBadInput(
      resolveOffsetPage({ first: 1, last: 1 }, fetch),
      /either `first` or `last`/,
    );
  });
  it('rejects sizes over the maximum, naming it', async () => {
    await expectBadInput(resolveOffsetPage({ first: 101 }, fetch), /must not exceed 100/);
    await expectBadInput(resolveOffsetPage({ last: 11 }, fetch, { maxSize: 10 }), /exceed 10 /);
  });
  it('rejects negative sizes', async () => {
    await expectBadInput(resolveOffsetPage({ first: -1 }, fetch), /non-negative/);
    await expectBadInput(resolveOffsetPage({ last: -5 }, fetch), /non-negative/);
  });
  it('rejects invalid cursors before any call', async () => {
    const list = fakeList(10);
    await expectBadInput(resolveOffsetPage({ after: 'nope' }, list.fetch), /`after`/);
    await expectBadInput(resolveOffsetPage({ last: 2, before: 'nope' }, list.fetch), /`before`/);
    expect(list.calls).toEqual([]);
  });
});
