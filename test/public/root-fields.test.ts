/**
 * Every root field of the public graph against the sandbox, compared with the sandbox's own data.
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { type Stack, startStack } from '../helpers/stack.js';
import { fails, nodes, ok, toGlobalId } from './support.js';

let stack: Stack;
beforeAll(async () => {
  stack = await startStack();
});
afterAll(async () => {
  await stack?.close();
});

const store = () => stack.sandbox.store;
const approvedByName = () =>
  store()
    .approvedProjects()
    .slice()
    .sort((a, b) => (a.name < b.name ? -1 : a.name > b.name ? 1 : 0));

const FILE_FIELDS = `id databaseId basename created downloadUrl metadata description tags md5
  creationDate startDate endDate source dataTypes { databaseId name } sourceProject { databaseId name }
  user { username name profileUrl }`;

interface FileResult {
  id: string;
  databaseId: number;
  basename: string;
  created: string;
  downloadUrl: string;
  metadata: Record<string, unknown>;
  description: string | null;
  tags: string[] | null;
  dataTypes: { databaseId: number; name: string }[];
  sourceProject: { databaseId: number; name: string } | null;
  user: { username: string; name: string; profileUrl: string } | null;
  source: string | null;
}

describe('Query.dataFiles and Query.dataFile', () => {
  it('lists public files in upstream order with the total count, 20 by default', async () => {
    const data = await ok<{
      dataFiles: { totalCount: number; edges: { node: { databaseId: number } }[] };
    }>(stack, '{ dataFiles { totalCount edges { node { databaseId } } } }');
    const all = store().publicIndexes().all;
    expect(data.dataFiles.totalCount).toBe(all.length);
    expect(nodes(data.dataFiles).map((f) => f.databaseId)).toEqual(
      all.slice(0, 20).map((f) => f.id),
    );
  });

  it('returns one public file with every field and relation', async () => {
    const file = store().publicIndexes().all[123];
    if (!file) throw new Error('sandbox has too few files');
    const data = await ok<{ dataFile: FileResult }>(
      stack,
      `query($id: Int!) { dataFile(databaseId: $id) { ${FILE_FIELDS} } }`,
      { id: file.id },
    );
    const got = data.dataFile;
    expect(got.id).toBe(toGlobalId('DataFile', file.id));
    expect(got.basename).toBe(file.basename);
    expect(new Date(got.created).getTime()).toBe(new Date(file.created).getTime());
    expect(got.metadata).toEqual(file.metadata);
    expect(got.description).toBe(
      typeof file.metadata.description === 'string' ? file.metadata.description : null,
    );
    expect(got.dataTypes.map((d) => d.databaseId)).toEqual(file.datatypes);
    expect(got.sourceProject?.databaseId).toBe(file.projectId);
    expect(got.source).toBeNull();
    // The download link points back at the configured upstream (the sandbox), not production.
    expect(
      got.downloadUrl.startsWith(
        `${stack.sandbox.url}/data-management/datafile-download/${file.id}/?key=`,
      ),
    ).toBe(true);
    const owner = store().user(file.userId);
    const hidden = store().membership(file.projectId, file.userId)?.visible === false;
    expect(got.user?.username ?? null).toBe(hidden ? null : owner?.username);
  });

  it('answers null for the user of a file whose membership is hidden', async () => {
    const hiddenFile = store()
      .publicIndexes()
      .all.find((f) => store().membership(f.projectId, f.userId)?.visible === false);
    if (!hiddenFile) throw new Error('sandbox has no hidden membership with public files');
    const data = await ok<{ dataFile: FileResult }>(
      stack,
      'query($id: Int!) { dataFile(databaseId: $id) { databaseId user { username } } }',
      { id: hiddenFile.id },
    );
    expect(data.dataFile).toEqual({ databaseId: hiddenFile.id, user: null });
  });

  it('answers NOT_FOUND for an unknown or non-public file id', async () => {
    const res = await fails(stack, '{ dataFile(databaseId: 999999999) { basename } }', 'NOT_FOUND');
    expect(res.data?.dataFile).toBeNull();
    await fails(stack, '{ dataFile(databaseId: -4) { basename } }', 'NOT_FOUND');
  });
});

describe('Query.projects and Query.project', () => {
  it('lists the approved projects by name, all serializer fields camelCased', async () => {
    const data = await ok<{
      projects: { totalCount: number; edges: { node: Record<string, unknown> }[] };
    }>(
      stack,
      `{ projects(first: 100) { totalCount edges { node { id databaseId name slug idLabel type active approved
        authorizedMembers badgeImage contactEmail infoUrl isAcademicOrNonprofit isStudy leader organization
        shortDescription longDescription returnedDataDescription requestUsernameAccess requestSourcesAccess } } } }`,
    );
    const expected = approvedByName();
    expect(data.projects.totalCount).toBe(expected.length);
    const got = nodes(data.projects);
    expect(got.map((p) => p.databaseId)).toEqual(expected.map((p) => p.id));
    const [first, sample] = [got[0], expected[0]];
    if (!first || !sample) throw new Error('no projects');
    expect(first).toMatchObject({
      id: toGlobalId('Project', sample.id),
      name: sample.name,
      slug: sample.slug,
      idLabel: `direct-sharing-${sample.id}`,
      type: sample.type === null ? null : sample.type === 'oauth2' ? 'OAUTH2' : 'ON_SITE',
      active: sample.active,
      approved: true,
      contactEmail: sample.contactEmail,
      leader: sample.leader,
      requestSourcesAccess: sample.requestedSources.map((id) => `direct-sharing-${id}`),
    });
  });

  it('filters the held set exactly (active, nameContains) and pages it', async () => {
    const data = await ok<{
      a: { totalCount: number };
      n: { totalCount: number; edges: { node: { name: string } }[] };
    }>(
      stack,
      '{ a: projects(filter: { active: false }) { totalCount } n: projects(first: 2, filter: { nameContains: "STUDY" }) { totalCount edges { node { name } } } }',
    );
    expect(data.a.totalCount).toBe(approvedByName().filter((p) => !p.active).length);
    const studies = approvedByName().filter((p) => p.name.toLowerCase().includes('study'));
    expect(data.n.totalCount).toBe(studies.length);
    expect(nodes(data.n).map((p) => p.name)).toEqual(studies.slice(0, 2).map((p) => p.name));
  });

  it('returns one project; NOT_FOUND for unknown and unapproved ids', async () => {
    const sample = approvedByName()[3];
    if (!sample) throw new Error('no projects');
    const data = await ok<{ project: { name: string } }>(
      stack,
      `{ project(databaseId: ${sample.id}) { name } }`,
    );
    expect(data.project.name).toBe(sample.name);
    await fails(stack, '{ project(databaseId: 987654) { name } }', 'NOT_FOUND');
    const unapproved = store()
      .listProjects()
      .find((p) => !p.approved);
    if (!unapproved) throw new Error('sandbox has no unapproved project');
    await fails(stack, `{ project(databaseId: ${unapproved.id}) { name } }`, 'NOT_FOUND');
  });
});

describe('Query.dataTypes and Query.dataType', () => {
  it('lists every data type by id, with filters served exactly', async () => {
    const data = await ok<{
      all: { totalCount: number; edges: { node: { databaseId: number } }[] };
      up: { totalCount: number };
    }>(
      stack,
      '{ all: dataTypes(first: 100) { totalCount edges { node { databaseId } } } up: dataTypes(filter: { uploadable: true }) { totalCount } }',
    );
    const types = store().listDataTypes();
    expect(data.all.totalCount).toBe(types.length);
    expect(nodes(data.all).map((d) => d.databaseId)).toEqual(
      types.map((d) => d.id).sort((a, b) => a - b),
    );
    expect(data.up.totalCount).toBe(types.filter((d) => d.uploadable).length);
  });

  it('filters data types by registering project', async () => {
    const project = approvedByName().find((p) => p.registeredDatatypes.length > 0);
    if (!project) throw new Error('no project with data types');
    const data = await ok<{ dataTypes: { edges: { node: { databaseId: number } }[] } }>(
      stack,
      `{ dataTypes(first: 100, filter: { sourceProjectId: ${project.id} }) { edges { node { databaseId } } } }`,
    );
    expect(nodes(data.dataTypes).map((d) => d.databaseId)).toEqual(
      [...project.registeredDatatypes].sort((a, b) => a - b),
    );
  });

  it('returns one data type with its tree and public source projects; NOT_FOUND when unknown', async () => {
    const child = store()
      .listDataTypes()
      .find((d) => d.parent !== null);
    if (!child || child.parent === null) throw new Error('no child data type');
    const data = await ok<{
      dataType: Record<string, unknown> & {
        parent: { databaseId: number; children: { databaseId: number }[] };
        sourceProjects: { databaseId: number }[];
      };
    }>(
      stack,
      `{ dataType(databaseId: ${child.id}) { id name description details uploadable
         parent { databaseId children { databaseId } } sourceProjects { databaseId } } }`,
    );
    expect(data.dataType).toMatchObject({
      id: toGlobalId('DataType', child.id),
      name: child.name,
      uploadable: child.uploadable,
    });
    expect(data.dataType.parent.databaseId).toBe(child.parent);
    expect(data.dataType.parent.children.map((c) => c.databaseId)).toEqual(
      store().dataType(child.parent)?.children,
    );
    const publicSources = store()
      .projectsRegistering(child.id)
      .filter((p) => p.approved)
      .map((p) => p.id);
    expect(data.dataType.sourceProjects.map((p) => p.databaseId).sort()).toEqual(
      publicSources.sort(),
    );
    await fails(stack, '{ dataType(databaseId: 4242) { name } }', 'NOT_FOUND');
  });
});

describe('Query.users and Query.user', () => {
  it('lists public members by username', async () => {
    const data = await ok<{
      users: { totalCount: number; edges: { node: { username: string } }[] };
    }>(stack, '{ users(first: 5) { totalCount edges { node { username } } } }');
    const members = store().publicMembers();
    expect(data.users.totalCount).toBe(members.length);
    expect(nodes(data.users).map((u) => u.username)).toEqual(
      members.slice(0, 5).map((u) => u.username),
    );
  });

  it('returns one member; NOT_FOUND when unknown; BAD_USER_INPUT for an impossible username', async () => {
    const member = store().publicMembers()[7];
    if (!member) throw new Error('no members');
    const data = await ok<{ user: Record<string, unknown> }>(
      stack,
      `{ user(username: "${member.username}") { id username name profileUrl } }`,
    );
    expect(data.user).toEqual({
      id: toGlobalId('User', member.username),
      username: member.username,
      name: member.name,
      // Built from the configured Open Humans origin (here the sandbox), like every profile link.
      profileUrl: `${stack.sandbox.url}/member/${member.username}/`,
    });
    await fails(stack, '{ user(username: "no_such_member_here") { name } }', 'NOT_FOUND');
    await fails(stack, '{ user(username: "../../api/x") { name } }', 'BAD_USER_INPUT');
  });
});

describe('Query.node and Query.nodes', () => {
  it('resolves every public node type by its global id', async () => {
    const file = store().publicIndexes().all[0];
    const project = approvedByName()[0];
    const type = store().listDataTypes()[0];
    const user = store().publicMembers()[0];
    if (!file || !project || !type || !user) throw new Error('sandbox too small');
    const ids = [
      toGlobalId('DataFile', file.id),
      toGlobalId('Project', project.id),
      toGlobalId('DataType', type.id),
      toGlobalId('User', user.username),
    ];
    const data = await ok<{ nodes: ({ __typename: string; id: string } | null)[] }>(
      stack,
      'query($ids: [ID!]!) { nodes(ids: $ids) { __typename id } }',
      { ids },
    );
    expect(data.nodes).toEqual([
      { __typename: 'DataFile', id: ids[0] },
      { __typename: 'Project', id: ids[1] },
      { __typename: 'DataType', id: ids[2] },
      { __typename: 'User', id: ids[3] },
    ]);
    const one = await ok<{ node: { name: string } }>(
      stack,
      'query($id: ID!) { node(id: $id) { ... on Project { name } } }',
      { id: ids[1] },
    );
    expect(one.node.name).toBe(project.name);
  });

  it('answers null for ids that name nothing visible, and keeps the others', async () => {
    const unapproved = store()
      .listProjects()
      .find((p) => !p.approved);
    const project = approvedByName()[0];
    if (!unapproved || !project) throw new Error('sandbox too small');
    const ids = [
      toGlobalId('Project', 9_999_999),
      toGlobalId('Project', unapproved.id),
      toGlobalId('DataFile', 'abc'),
      toGlobalId('User', 'nobody_at_all_here'),
      toGlobalId('Project', project.id),
    ];
    const data = await ok<{ nodes: unknown[]; node: unknown; q: unknown }>(
      stack,
      'query($ids: [ID!]!, $id: ID!, $q: ID!) { nodes(ids: $ids) { id } node(id: $id) { id } q: node(id: $q) { id } }',
      { ids, id: toGlobalId('DataType', 777), q: toGlobalId('Query', 1) },
    );
    expect(data.nodes).toEqual([null, null, null, null, { id: ids[4] }]);
    expect(data.node).toBeNull();
    expect(data.q).toBeNull();
  });

  it('answers BAD_USER_INPUT for a malformed global id', async () => {
    await fails(stack, '{ node(id: "not-a-global-id") { id } }', 'BAD_USER_INPUT');
  });

  it('answers null from node, BAD_USER_INPUT from nodes, for a type that has no nodes', async () => {
    const foo = toGlobalId('Foo', 1);
    const data = await ok<{ node: unknown }>(stack, `{ node(id: "${foo}") { id } }`);
    expect(data.node).toBeNull();
    await fails(stack, `{ nodes(ids: ["${foo}"]) { id } }`, 'BAD_USER_INPUT');
  });
});

describe('over a real HTTP socket', () => {
  it('serves a public query by GET and by POST', async () => {
    const base = await stack.listen();
    const project = approvedByName()[0];
    if (!project) throw new Error('no projects');
    const query = `{ project(databaseId: ${project.id}) { name dataFiles(first: 1) { totalCount } } }`;
    const viaGet = await fetch(`${base}/graphql?query=${encodeURIComponent(query)}`, {
      headers: { accept: 'application/graphql-response+json' },
    });
    expect(viaGet.status).toBe(200);
    const viaPost = await fetch(`${base}/graphql`, {
      method: 'POST',
      headers: { 'content-type': 'application/json', accept: 'application/graphql-response+json' },
      body: JSON.stringify({ query }),
    });
    const [a, b] = [await viaGet.json(), await viaPost.json()];
    expect(a).toEqual(b);
    expect(a).toEqual({
      data: {
        project: {
          name: project.name,
          dataFiles: { totalCount: store().publicIndexes().ofProject(project.id).length },
        },
      },
    });
  });
});
