/**
 * The token-scoped cache must not outlive a write through the gateway: after a file is deleted,
 * both the project's members list and the member's own view show the change at once, for every
 * token that had them cached.
 */
import { expect, it } from 'vitest';
import { activeMemberIds, countCalls, memberFileIds, privateSuite } from './support.js';

const suite = privateSuite();
const { transcript } = suite;

type ListEdge = { node: { projectMemberId: string; fileCount: number } };
type ListData = { viewer: { project: { members: { edges: ListEdge[] } } } };
type OwnData = {
  viewer: {
    member: { fileCount: number; dataFiles: { edges: { node: { databaseId: number } }[] } };
  };
};

const LIST =
  '{ viewer { project { members(first: 100) { edges { node { projectMemberId fileCount } } } } } }';
const OWN =
  '{ viewer { member { fileCount dataFiles(first: 100) { edges { node { databaseId } } } } } }';

it('drops cached member lists and member views, for every token, after a delete', async () => {
  const { sandbox } = suite.stack;
  const firstPage = activeMemberIds(sandbox, sandbox.projectId).slice(0, 100);
  const [pmid, memberToken] =
    Object.entries(sandbox.memberTokens).find(
      ([id]) => firstPage.includes(id) && memberFileIds(sandbox, id).length > 1,
    ) ?? [];
  if (!pmid || !memberToken) throw new Error('no member with files in the first page');
  const before = memberFileIds(sandbox, pmid);

  const list = async () => {
    const res = transcript.record(
      await suite.stack.execute<ListData>(LIST, {}, { token: sandbox.masterToken }),
    );
    expect(res.errors, res.text).toBeUndefined();
    return res.data?.viewer.project.members.edges.find((e) => e.node.projectMemberId === pmid)?.node
      .fileCount;
  };
  const own = async () => {
    const res = transcript.record(
      await suite.stack.execute<OwnData>(OWN, {}, { token: memberToken }),
    );
    expect(res.errors, res.text).toBeUndefined();
    return res.data?.viewer.member.dataFiles.edges.map((e) => e.node.databaseId);
  };

  expect(await list()).toBe(before.length);
  expect(await own()).toEqual(before);
  // Both views are cached now.
  expect(
    await countCalls(sandbox, async () => {
      await list();
      await own();
    }),
  ).toEqual({});

  const deleted = before[0];
  const mutation = `mutation {
    deleteDataFiles(input: { projectMemberId: "${pmid}", fileId: "${deleted}" }) {
      ... on DeleteDataFilesPayload { deletedDatabaseIds } } }`;
  type Data = { deleteDataFiles: { deletedDatabaseIds?: number[] } };
  const res = transcript.record(
    await suite.stack.execute<Data>(mutation, {}, { token: sandbox.masterToken }),
  );
  expect(res.errors, res.text).toBeUndefined();
  expect(res.data?.deleteDataFiles.deletedDatabaseIds).toEqual([deleted]);

  expect(await list()).toBe(before.length - 1);
  expect(await own()).toEqual(before.slice(1));
});
