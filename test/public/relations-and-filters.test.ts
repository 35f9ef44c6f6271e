/**
 * Relations of the public types and the `dataFiles` filters, each routed to the upstream list that
 * really filters (production ignores list filters), compared with the sandbox's own data.
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { type Stack, startStack } from '../helpers/stack.js';
import { callsOf, fails, nodes, ok } from './support.js';

let stack: Stack;
beforeAll(async () => {
  stack = await startStack();
});
afterAll(async () => {
  await stack?.close();
});

const store = () => stack.sandbox.store;
type Ids = { totalCount: number; edges: { node: { databaseId: number } }[] };
const ids = (c: Ids) => nodes(c).map((n) => n.databaseId);

/** An approved project with more public files than one page. */
function busyProject() {
  const idx = store().publicIndexes();
  const project = store()
    .approvedProjects()
    .find((p) => idx.ofProject(p.id).length > 120 && store().visibleMembers(p.id).length > 3);
  if (!project) throw new Error('sandbox has no busy project');
  return project;
}

describe('Project relations', () => {
  it('dataFiles (P12), publicMembers (P13), registeredDataTypes and requestedSources', async () => {
    const project = busyProject();
    const data = await ok<{
      project: {
        dataFiles: Ids;
        publicMembers: { totalCount: number; edges: { node: { username: string } }[] };
        registeredDataTypes: { databaseId: number }[];
        requestedSources: { databaseId: number }[];
      };
    }>(
      stack,
      `{ project(databaseId: ${project.id}) {
          dataFiles(first: 7) { totalCount edges { node { databaseId } } }
          publicMembers(first: 100) { totalCount edges { node { username } } }
          registeredDataTypes { databaseId } requestedSources { databaseId } } }`,
    );
    const files = store().publicIndexes().ofProject(project.id);
    expect(data.project.dataFiles.totalCount).toBe(files.length);
    expect(ids(data.project.dataFiles)).toEqual(files.slice(0, 7).map((f) => f.id));
    const members = store().visibleMembers(project.id);
    expect(data.project.publicMembers.totalCount).toBe(members.length);
    expect(
      nodes(data.project.publicMembers)
        .map((u) => u.username)
        .sort(),
    ).toEqual(members.map((u) => u.username).sort());
    expect(data.project.registeredDataTypes.map((d) => d.databaseId)).toEqual(
      project.registeredDatatypes,
    );
    const publicSources = project.requestedSources.filter((id) => store().project(id)?.approved);
    expect(data.project.requestedSources.map((p) => p.databaseId)).toEqual(publicSources);
  });
});

describe('User relations', () => {
  it('dataFiles (P8) and projects (P9)', async () => {
    const user = store()
      .publicMembers()
      .find(
        (u) =>
          store().publicIndexes().ofUser(u.id).length > 3 &&
          store().projectsOfUser(u.id).length > 1,
      );
    if (!user) throw new Error('no busy member');
    const data = await ok<{ user: { dataFiles: Ids; projects: Ids } }>(
      stack,
      `{ user(username: "${user.username}") {
          dataFiles(first: 100) { totalCount edges { node { databaseId } } }
          projects(first: 100) { totalCount edges { node { databaseId } } } } }`,
    );
    const files = store().publicIndexes().ofUser(user.id);
    expect(data.user.dataFiles.totalCount).toBe(files.length);
    expect(ids(data.user.dataFiles)).toEqual(files.slice(0, 100).map((f) => f.id));
    const projects = store().projectsOfUser(user.id);
    expect(data.user.projects.totalCount).toBe(projects.length);
    expect(ids(data.user.projects).sort()).toEqual(projects.map((p) => p.id).sort());
  });
});

describe('DataType.dataFiles (P5)', () => {
  it('lists the files of a type, and with includeChildren those of its descendants', async () => {
    const parent = store()
      .listDataTypes()
      .find((d) => d.children.length > 0 && d.parent === null);
    if (!parent) throw new Error('no parent data type');
    const data = await ok<{ dataType: { own: Ids; tree: Ids } }>(
      stack,
      `{ dataType(databaseId: ${parent.id}) {
          own: dataFiles(first: 5) { totalCount edges { node { databaseId } } }
          tree: dataFiles(first: 100, includeChildren: true) { totalCount edges { node { databaseId } } } } }`,
    );
    const own = store().publicIndexes().ofDataType(parent.id, false);
    const tree = store().publicIndexes().ofDataType(parent.id, true);
    expect(data.dataType.own.totalCount).toBe(own.length);
    expect(ids(data.dataType.own)).toEqual(own.slice(0, 5).map((f) => f.id));
    // Upstream lists a file once per matching type; the gateway counts and pages files.
    const treeFiles = [...new Set(tree.map((f) => f.id))];
    expect(data.dataType.tree.totalCount).toBe(treeFiles.length);
    expect(ids(data.dataType.tree)).toEqual(treeFiles.slice(0, 100));
  });
});

describe('Query.dataFiles(filter)', () => {
  it('routes each filter to the list that really filters, one upstream call each', async () => {
    const project = busyProject();
    const type = store().listDataTypes()[4];
    const user = store()
      .publicMembers()
      .find((u) => store().publicIndexes().ofUser(u.id).length > 0);
    if (!type || !user) throw new Error('sandbox too small');
    let data: { p: Ids; t: Ids; c: Ids; u: Ids } | undefined;
    const calls = await callsOf(stack, async () => {
      data = await ok(
        stack,
        `query($p: Int!, $t: Int!, $u: String!) {
          p: dataFiles(first: 3, filter: { projectId: $p }) { totalCount edges { node { databaseId } } }
          t: dataFiles(first: 3, filter: { dataTypeId: $t }) { totalCount edges { node { databaseId } } }
          c: dataFiles(first: 3, filter: { dataTypeId: $t, includeChildren: true }) { totalCount edges { node { databaseId } } }
          u: dataFiles(first: 3, filter: { username: $u }) { totalCount edges { node { databaseId } } } }`,
        { p: project.id, t: type.id, u: user.username },
      );
    });
    if (!data) throw new Error('no data');
    const idx = store().publicIndexes();
    expect([data.p.totalCount, ids(data.p)]).toEqual([
      idx.ofProject(project.id).length,
      idx
        .ofProject(project.id)
        .slice(0, 3)
        .map((f) => f.id),
    ]);
    expect([data.t.totalCount, ids(data.t)]).toEqual([
      idx.ofDataType(type.id, false).length,
      idx
        .ofDataType(type.id, false)
        .slice(0, 3)
        .map((f) => f.id),
    ]);
    expect(data.c.totalCount).toBe(new Set(idx.ofDataType(type.id, true).map((f) => f.id)).size);
    expect([data.u.totalCount, ids(data.u)]).toEqual([
      idx.ofUser(user.id).length,
      idx
        .ofUser(user.id)
        .slice(0, 3)
        .map((f) => f.id),
    ]);
    expect(calls).toEqual({ P12: 1, P5: 2, P8: 1 });
  });

  it('rejects filter combinations no single upstream list serves', async () => {
    const res = await fails(
      stack,
      '{ dataFiles(filter: { projectId: 1, username: "a" }) { totalCount } }',
      'BAD_USER_INPUT',
    );
    expect(res.errors?.[0]?.message).toMatch(/not projectId and username/);
    await fails(
      stack,
      '{ dataFiles(filter: { projectId: 1, dataTypeId: 2 }) { totalCount } }',
      'BAD_USER_INPUT',
    );
    await fails(
      stack,
      '{ dataFiles(filter: { includeChildren: true }) { totalCount } }',
      'BAD_USER_INPUT',
    );
    await fails(
      stack,
      '{ dataFiles(filter: { username: "not a name" }) { totalCount } }',
      'BAD_USER_INPUT',
    );
  });

  it('answers NOT_FOUND for unknown parents, confirming the upstream 500 with the detail endpoint', async () => {
    const unapproved = store()
      .listProjects()
      .find((p) => !p.approved);
    if (!unapproved) throw new Error('no unapproved project');
    const cases: [string, Record<string, number>][] = [
      ['{ dataFiles(filter: { projectId: 424242 }) { totalCount } }', { P12: 1, P11: 1 }],
      [`{ dataFiles(filter: { projectId: ${unapproved.id} }) { totalCount } }`, { P12: 1, P11: 1 }],
      ['{ dataFiles(filter: { dataTypeId: 424242 }) { totalCount } }', { P5: 1, P4: 1 }],
      [
        '{ dataFiles(filter: { username: "nobody_at_all_here" }) { totalCount } }',
        { P8: 1, P7: 1 },
      ],
    ];
    for (const [query, expectedCalls] of cases) {
      const calls = await callsOf(stack, async () => {
        const res = await fails(stack, query, 'NOT_FOUND');
        expect(res.data).toBeNull();
      });
      expect(calls, query).toEqual(expectedCalls);
    }
  });
});
