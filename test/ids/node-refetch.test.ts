/**
 * Every object a caller can see can be fetched again by its id, with the same visibility, and
 * ids are canonical (`node(id: X).id === X`, or BAD_USER_INPUT): a member's private file with
 * the member's token and with the project's master token, the token's own unapproved project,
 * a member. `/graphql` and `/subgraph` give one object one id.
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { Sandbox } from '../../sandbox/index.js';
import { startSandbox } from '../../sandbox/index.js';
import { SUBGRAPH_TEST_SECRET } from '../federation/support.js';
import { findSecrets, type Stack, startStack } from '../helpers/stack.js';
import { allTokens } from '../private/support.js';
import { fails, ok, toGlobalId } from '../public/support.js';

let sandbox: Sandbox;
let stack: Stack;

beforeAll(async () => {
  sandbox = await startSandbox({ port: 0, sizes: { publicFiles: 300, users: 50, members: 12 } });
  stack = await startStack({ sandbox, env: { SUBGRAPH_SECRET: SUBGRAPH_TEST_SECRET } });
}, 60_000);

afterAll(async () => {
  expect(findSecrets(stack?.logLines ?? [], allTokens(sandbox))).toEqual([]);
  await stack?.close();
  await sandbox?.close();
});

const NODE = /* GraphQL */ `
  query Refetch($id: ID!) {
    node(id: $id) {
      __typename
      id
      ... on DataFile { databaseId basename source }
      ... on Project { databaseId approved }
      ... on Member { projectMemberId }
    }
  }
`;

type NodeResult = {
  __typename: string;
  id: string;
  databaseId?: number;
  source?: string | null;
  approved?: boolean;
  projectMemberId?: string;
} | null;

async function node(id: string, token?: string): Promise<NodeResult> {
  return (await ok<{ node: NodeResult }>(stack, NODE, { id }, token)).node;
}

/** `_entities` on the subgraph endpoint, as a router sends it. */
async function entity(
  rep: Record<string, unknown>,
  token?: string,
): Promise<Record<string, unknown> | null> {
  const headers: Record<string, string> = {
    'content-type': 'application/json',
    accept: 'application/json',
    'x-subgraph-secret': SUBGRAPH_TEST_SECRET,
  };
  if (token) headers.authorization = `Bearer ${token}`;
  const query =
    'query ($r: [_Any!]!) { _entities(representations: $r) { __typename ... on DataFile { id } ... on Project { id } ... on Member { id } } }';
  const res = await stack.fetch('/subgraph', {
    method: 'POST',
    headers,
    body: JSON.stringify({ query, variables: { r: [rep] } }),
  });
  const body = (await res.json()) as {
    data?: { _entities: (Record<string, unknown> | null)[] };
    errors?: unknown[];
  };
  expect(body.errors).toBeUndefined();
  return body.data?._entities[0] ?? null;
}

const ownMemberIds = (): string[] => Object.keys(sandbox.memberTokens);

/** A member of the own project with a file that is not public, and that file. */
function privateFileOfSomeMember(): { owner: string; fileId: number } {
  for (const pmi of ownMemberIds()) {
    const m = sandbox.store.membershipByProjectMemberId(pmi);
    const file =
      m && sandbox.store.memberFilesForProject(m).find((f) => !sandbox.store.isPublic(f));
    if (file) return { owner: pmi, fileId: file.id };
  }
  throw new Error('sandbox has no private member file');
}

// First in this file, so that the token's cache is cold.
describe('the master token lookup of a private file', () => {
  it('reads each members-list page once and exchange-member only for members the list does not embed whole', async () => {
    const { fileId } = privateFileOfSomeMember();
    stack.sandbox.resetCalls();
    const ids = [toGlobalId('DataFile', fileId), toGlobalId('DataFile', 987_654_321)];
    const res = await ok<{ nodes: ({ databaseId: number } | null)[] }>(
      stack,
      'query ($ids: [ID!]!) { nodes(ids: $ids) { ... on DataFile { databaseId } } }',
      { ids },
      sandbox.masterToken,
    );
    const calls = { ...stack.sandbox.calls() };
    expect(res.nodes).toEqual([{ databaseId: fileId }, null]);
    const list = await ok<{
      viewer: {
        project: { members: { totalCount: number; edges: { node: { fileCount: number } }[] } };
      };
    }>(
      stack,
      '{ viewer { project { members(first: 100) { totalCount edges { node { fileCount } } } } } }',
      {},
      sandbox.masterToken,
    );
    const members = list.viewer.project.members;
    expect(members.totalCount).toBeLessThanOrEqual(100);
    // Members with more than the 10 embedded files (each under 100 files: one page each).
    const notEmbedded = members.edges.filter((e) => e.node.fileCount > 10).length;
    expect(notEmbedded).toBeGreaterThan(0);
    // Two lookups in one request from cold (one a full miss): exactly one pass over the project.
    expect(calls.D2).toBe(1);
    expect(calls.D3).toBe(notEmbedded);
  });
});

describe("a member's private file", () => {
  it('is fetched again by its id with the owner token and the master token, and by no one else', async () => {
    const { owner, fileId } = privateFileOfSomeMember();
    const ownerToken = sandbox.memberTokens[owner] as string;
    const listed = await ok<{
      viewer: { member: { dataFiles: { edges: { node: { id: string; databaseId: number } }[] } } };
    }>(
      stack,
      '{ viewer { member { dataFiles(first: 100) { edges { node { id databaseId } } } } } }',
      {},
      ownerToken,
    );
    const id = listed.viewer.member.dataFiles.edges.find((e) => e.node.databaseId === fileId)?.node
      .id;
    expect(id).toBe(toGlobalId('DataFile', fileId));
    const expected = {
      __typename: 'DataFile',
      id,
      databaseId: fileId,
      source: expect.stringMatching(/^direct-sharing-\d+$/),
    };
    expect(await node(id as string, ownerToken)).toMatchObject(expected);
    expect(await node(id as string, sandbox.masterToken)).toMatchObject(expected);
    const stranger = ownMemberIds().find((pmi) => pmi !== owner) as string;
    expect(await node(id as string, sandbox.memberTokens[stranger])).toBeNull();
    expect(await node(id as string)).toBeNull();
    // The subgraph gives the same object the same id, for the same tokens.
    expect(
      await entity({ __typename: 'DataFile', databaseId: fileId }, sandbox.masterToken),
    ).toEqual({ __typename: 'DataFile', id });
    expect(await entity({ __typename: 'DataFile', id }, ownerToken)).toEqual({
      __typename: 'DataFile',
      id,
    });
  });
});

describe("the token's own project", () => {
  it('is fetched again by its id even when it is not approved', async () => {
    const second = sandbox.secondProject;
    const token = second.masterToken;
    const viewer = await ok<{ viewer: { project: { id: string; approved: boolean } } }>(
      stack,
      '{ viewer { project { id approved } } }',
      {},
      token,
    );
    expect(viewer.viewer.project).toEqual({
      id: toGlobalId('Project', second.projectId),
      approved: false,
    });
    const id = viewer.viewer.project.id;
    expect(await node(id, token)).toEqual({
      __typename: 'Project',
      id,
      databaseId: second.projectId,
      approved: false,
    });
    const memberToken = Object.values(second.memberTokens)[0] as string;
    expect(await node(id, memberToken)).toMatchObject({ id, approved: false });
    // Not public, and not another project's.
    expect(await node(id)).toBeNull();
    expect(await node(id, sandbox.masterToken)).toBeNull();
    expect(await entity({ __typename: 'Project', id }, token)).toEqual({
      __typename: 'Project',
      id,
    });
    expect(await entity({ __typename: 'Project', id })).toBeNull();
  });
});

describe('members', () => {
  it('are fetched again by their ids (master token: any; member token: itself)', async () => {
    const list = await ok<{
      viewer: {
        project: { members: { edges: { node: { id: string; projectMemberId: string } }[] } };
      };
    }>(
      stack,
      '{ viewer { project { members(first: 3) { edges { node { id projectMemberId } } } } } }',
      {},
      sandbox.masterToken,
    );
    const members = list.viewer.project.members.edges.map((e) => e.node);
    expect(members.length).toBeGreaterThan(1);
    for (const m of members) {
      expect(await node(m.id, sandbox.masterToken)).toEqual({
        __typename: 'Member',
        id: m.id,
        projectMemberId: m.projectMemberId,
      });
      expect(await entity({ __typename: 'Member', id: m.id }, sandbox.masterToken)).toEqual({
        __typename: 'Member',
        id: m.id,
      });
    }
    const [first, other] = members as [(typeof members)[0], (typeof members)[0]];
    const own = sandbox.memberTokens[first.projectMemberId] as string;
    expect(await node(first.id, own)).toMatchObject({ id: first.id });
    expect(await node(other.id, own)).toBeNull();
  });
});

describe('canonical ids', () => {
  const publicProjectId = (): number => sandbox.store.approvedProjects()[0]?.id ?? 0;

  it('node(id: X).id is X for every issued id', async () => {
    const pid = publicProjectId();
    const data = await ok<{
      projects: { edges: { node: { id: string } }[] };
      dataTypes: { edges: { node: { id: string } }[] };
    }>(
      stack,
      '{ projects(first: 3) { edges { node { id } } } dataTypes(first: 3) { edges { node { id } } } }',
    );
    const ids = [...data.projects.edges, ...data.dataTypes.edges].map((e) => e.node.id);
    ids.push(toGlobalId('Project', pid));
    const again = await ok<{ nodes: ({ id: string } | null)[] }>(
      stack,
      'query ($ids: [ID!]!) { nodes(ids: $ids) { id } }',
      { ids },
    );
    expect(again.nodes.map((n) => n?.id)).toEqual(ids);
  });

  it('refuses ids that would come back as another id', async () => {
    // A public project whose id has base64 padding, so that an unpadded variant exists.
    const pid = sandbox.store
      .approvedProjects()
      .map((p) => p.id)
      .find((id) => toGlobalId('Project', id).endsWith('='));
    if (pid === undefined) throw new Error('no project id with padding');
    const canonical = toGlobalId('Project', pid);
    const variants = [toGlobalId('Project', `00${pid}`), canonical.replace(/=+$/, '')];
    for (const id of variants) {
      const res = await fails(stack, NODE, 'BAD_USER_INPUT', { id });
      expect(res.data?.node ?? null).toBeNull();
    }
    // The canonical form still works.
    expect(await node(canonical)).toMatchObject({ id: canonical });
  });
});
