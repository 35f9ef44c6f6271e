/**
 * Upstream cost of public queries, from the sandbox's counters: batching through the per-request
 * loaders (projects and data types from one held list call each, members and files deduplicated)
 * and the shared public cache.
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { type Stack, startStack } from '../helpers/stack.js';
import { callsOf, coldCache, nodes, ok, toGlobalId } from './support.js';

let stack: Stack;
beforeAll(async () => {
  stack = await startStack();
});
afterAll(async () => {
  await stack?.close();
});

const PAGE_OF_100 = `{ dataFiles(first: 100) { totalCount edges { node {
  databaseId dataTypes { name } sourceProject { name } user { username } } } } }`;

interface FilesPage {
  dataFiles: {
    totalCount: number;
    edges: {
      node: {
        databaseId: number;
        dataTypes: { name: string }[];
        sourceProject: { name: string } | null;
        user: { username: string } | null;
      };
    }[];
  };
}

describe('a page of 100 public files with dataTypes, sourceProject and user', () => {
  it('costs 3 upstream calls on a cold cache (P1, P3, P10) and none on a warm one', async () => {
    await coldCache(stack);
    let cold: FilesPage | undefined;
    expect(
      await callsOf(stack, async () => (cold = await ok<FilesPage>(stack, PAGE_OF_100))),
    ).toEqual({
      P1: 1,
      P3: 1,
      P10: 1,
    });
    let warm: FilesPage | undefined;
    expect(
      await callsOf(stack, async () => (warm = await ok<FilesPage>(stack, PAGE_OF_100))),
    ).toEqual({});
    // Served from the cached page (download keys included: they stay valid well past the TTL).
    expect(warm).toEqual(cold);

    // The answer is the sandbox's data, not just cheap.
    const { store } = stack.sandbox;
    const expected = store.publicIndexes().all.slice(0, 100);
    const got = nodes(cold?.dataFiles ?? { edges: [] });
    expect(got.map((f) => f.databaseId)).toEqual(expected.map((f) => f.id));
    for (const [i, file] of expected.entries()) {
      const node = got[i];
      expect(node?.dataTypes.map((d) => d.name)).toEqual(
        file.datatypes.map((id) => store.dataType(id)?.name),
      );
      expect(node?.sourceProject?.name).toBe(store.project(file.projectId)?.name);
      const hidden = store.membership(file.projectId, file.userId)?.visible === false;
      expect(node?.user?.username ?? null).toBe(hidden ? null : store.user(file.userId)?.username);
    }
  });

  it('still costs one call once only the file page has expired from the cache', async () => {
    await coldCache(stack);
    await ok(stack, PAGE_OF_100);
    await stack.publicCache.invalidatePath('/api/public/datafiles/');
    expect(await callsOf(stack, () => ok(stack, PAGE_OF_100))).toEqual({ P1: 1 });
  });
});

describe('held sets', () => {
  it('page projects and data types both ways from one cached list call each', async () => {
    await coldCache(stack);
    const { store } = stack.sandbox;
    const byName = store
      .approvedProjects()
      .map((p) => p.name)
      .sort((a, b) => (a < b ? -1 : a > b ? 1 : 0));
    let data: { p: { edges: { node: { name: string } }[] }; d: { totalCount: number } } | undefined;
    const calls = await callsOf(stack, async () => {
      data = await ok(
        stack,
        `{ p: projects(last: 5) { edges { node { name } } }
           q: projects(first: 5, filter: { active: true }) { totalCount }
           d: dataTypes(last: 3) { totalCount } e: dataTypes(first: 3) { totalCount } }`,
      );
    });
    expect(calls).toEqual({ P3: 1, P10: 1 });
    expect(data?.p.edges.map((e) => e.node.name)).toEqual(byName.slice(-5));
    expect(data?.d.totalCount).toBe(store.listDataTypes().length);
  });
});

describe('loaders batch and deduplicate within a request', () => {
  it('loads many projects and data types by id from one held list call each', async () => {
    await coldCache(stack);
    const { store } = stack.sandbox;
    const projects = store.approvedProjects().slice(0, 12);
    const types = store.listDataTypes().slice(0, 9);
    const ids = [
      ...projects.map((p) => toGlobalId('Project', p.id)),
      ...types.map((d) => toGlobalId('DataType', d.id)),
    ];
    const calls = await callsOf(stack, async () => {
      const data = await ok<{
        nodes: ({
          databaseId: number;
          registeredDataTypes?: { name: string }[];
          sourceProjects?: { name: string }[];
        } | null)[];
      }>(
        stack,
        `query($ids: [ID!]!) { nodes(ids: $ids) {
          ... on Project { databaseId registeredDataTypes { name } requestedSources { name } }
          ... on DataType { databaseId sourceProjects { name } parent { name } children { name } } } }`,
        { ids },
      );
      expect(data.nodes.map((n) => n?.databaseId)).toEqual([
        ...projects.map((p) => p.id),
        ...types.map((d) => d.id),
      ]);
    });
    expect(calls).toEqual({ P3: 1, P10: 1 });
  });

  it('loads each distinct member and file once (no batch endpoint upstream)', async () => {
    await coldCache(stack);
    const { store } = stack.sandbox;
    const users = store.publicMembers().slice(0, 4);
    const files = store.publicIndexes().all.slice(0, 3);
    const ids = [
      ...users.map((u) => toGlobalId('User', u.username)),
      ...users.map((u) => toGlobalId('User', u.username)),
      ...files.map((f) => toGlobalId('DataFile', f.id)),
      ...files.map((f) => toGlobalId('DataFile', f.id)),
    ];
    const calls = await callsOf(stack, () =>
      ok(
        stack,
        'query($ids: [ID!]!, $first: ID!) { nodes(ids: $ids) { id } a: node(id: $first) { id } }',
        {
          ids,
          first: ids[0],
        },
      ),
    );
    expect(calls).toEqual({ P7: users.length, P2: files.length });
  });
});
