/**
 * `includeChildren`: Open Humans lists a file once per matching data type (no `distinct`), so its
 * rows are not files. A walk through the gateway lists every file once, pages are full while
 * more files exist, `endCursor` continues exactly after the last item, and `totalCount` counts
 * files. Expectations come from the sandbox's own rows (deduplicated here, in upstream order).
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { type Stack, startStack } from '../helpers/stack.js';
import { type WalkPage, walkBothWays } from '../private/support.js';
import { callsOf, coldCache, ok } from './support.js';

let stack: Stack;
beforeAll(async () => {
  stack = await startStack({ sandboxOptions: { sizes: { publicFiles: 3000 } } });
});
afterAll(async () => {
  await stack?.close();
});

type Node = { databaseId: number };
type Page = Omit<WalkPage<Node>, 'edges'> & { edges: { cursor: string; node: Node }[] };

/** A parent data type whose tree lists files twice, with more duplicates made on purpose. */
function typeWithDuplicates(): { id: number; rows: number[]; files: number[] } {
  const { store } = stack.sandbox;
  const parent = store.listDataTypes().find((d) => d.parent === null && d.children.length > 0);
  const [child] = parent?.children ?? [];
  if (!parent || child === undefined) throw new Error('no parent data type with children');
  // Tag a spread of the child's files with the parent too: each is then listed twice.
  const childFiles = store.publicIndexes().ofDataType(child, false);
  for (const file of childFiles.filter((_, i) => i % 5 === 0)) {
    if (!file.datatypes.includes(parent.id)) {
      file.datatypes.push(parent.id);
      store.updateFile(file);
    }
  }
  const rows = store
    .publicIndexes()
    .ofDataType(parent.id, true)
    .map((f) => f.id);
  return { id: parent.id, rows, files: [...new Set(rows)] };
}

const PAGE = `totalCount pageInfo { hasNextPage hasPreviousPage startCursor endCursor }
  edges { cursor node { databaseId } }`;

async function page(id: number, args: Record<string, unknown>): Promise<Page> {
  const data = await ok<{ dataType: { dataFiles: Page } }>(
    stack,
    `query($id: Int!, $first: Int, $after: String, $last: Int, $before: String) { dataType(databaseId: $id) {
      dataFiles(includeChildren: true, first: $first, after: $after, last: $last, before: $before) { ${PAGE} } } }`,
    { id, ...args },
  );
  const connection = data.dataType.dataFiles;
  // endCursor/startCursor always point at the last/first item returned.
  expect(connection.pageInfo.endCursor).toBe(connection.edges.at(-1)?.cursor ?? null);
  expect(connection.pageInfo.startCursor).toBe(connection.edges[0]?.cursor ?? null);
  return connection;
}

describe('DataType.dataFiles(includeChildren: true)', () => {
  it('walks both ways with every file once, full pages and a totalCount of files, from one upstream call', async () => {
    const { id, rows, files } = typeWithDuplicates();
    expect(rows.length).toBeGreaterThan(files.length);
    await coldCache(stack);
    const calls = await callsOf(stack, () =>
      walkBothWays(
        (args) => page(id, args),
        (n: Node) => n.databaseId,
        files,
        37,
      ),
    );
    // The whole list is read once (one consistent snapshot), then served from the cache; the
    // data type itself comes from the catalogue (P3), also read once.
    expect(calls).toEqual({ P3: 1, P5: 1 });
  });

  it('gives Query.dataFiles the same files and count through its filter', async () => {
    const { id, files } = typeWithDuplicates();
    const data = await ok<{ dataFiles: Page }>(
      stack,
      `query($id: Int!) { dataFiles(first: 50, filter: { dataTypeId: $id, includeChildren: true }) { ${PAGE} } }`,
      { id },
    );
    expect(data.dataFiles.totalCount).toBe(files.length);
    expect(data.dataFiles.edges.map((e) => e.node.databaseId)).toEqual(files.slice(0, 50));
    expect(data.dataFiles.pageInfo.hasNextPage).toBe(files.length > 50);
  });
});
