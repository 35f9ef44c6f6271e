/**
 * One response, one snapshot: fields about the same upstream object agree within a response,
 * even when one of them comes from a cached read and another from a read made now, after the
 * data changed upstream (changed here straight in the sandbox's store, as another client of
 * Open Humans would change it, so no gateway write invalidates anything).
 */
import { describe, expect, it } from 'vitest';
import type { DataFile } from '../../sandbox/data/types.js';
import { memberFileIds, type PageInfo, privateSuite } from './support.js';

const suite = privateSuite();
const { transcript } = suite;

type Files = { totalCount: number; pageInfo: PageInfo; edges: { node: { databaseId: number } }[] };
type MemberRow = { projectMemberId: string; fileCount: number; head?: Files; tail?: Files };
type MembersData = { viewer: { project: { members: { edges: { node: MemberRow }[] } } } };

const PAGE =
  'totalCount pageInfo { hasNextPage hasPreviousPage startCursor endCursor } edges { node { databaseId } }';
/** The members list page both queries share, so the second one reads it from the token cache. */
const MEMBERS_ONLY =
  '{ viewer { project { members(first: 20) { edges { node { projectMemberId fileCount } } } } } }';
const MEMBERS_WITH_FILES = `{ viewer { project { members(first: 20) { edges { node {
  projectMemberId fileCount head: dataFiles(first: 2) { ${PAGE} } tail: dataFiles(last: 4) { ${PAGE} } } } } } } }`;

async function members(query: string): Promise<MemberRow[]> {
  const { stack } = suite;
  const res = transcript.record(
    await stack.execute<MembersData>(query, {}, { token: stack.sandbox.masterToken }),
  );
  expect(res.errors, res.text).toBeUndefined();
  return res.data?.viewer.project.members.edges.map((e) => e.node) ?? [];
}

/** A file of the member's own project, as an upload straight to Open Humans would add it. */
function addFileTo(projectMemberId: string): DataFile {
  const { store, projectId } = suite.stack.sandbox;
  const membership = store.membershipByProjectMemberId(projectMemberId);
  if (!membership) throw new Error(`no membership ${projectMemberId}`);
  const id = store.allocateFileId();
  const file: DataFile = {
    id,
    projectId,
    userId: membership.userId,
    basename: `late-${id}.txt`,
    created: Date.UTC(2026, 0, 1),
    metadata: { tags: [], description: 'added behind the gateway' },
    datatypes: [],
    completed: true,
    size: 5,
    md5: null,
    s3Key: `member-files/direct-sharing-${projectId}/late/late-${id}.txt`,
    content: { kind: 'stored', bytes: Buffer.from('hello') },
  };
  store.addFile(file);
  return file;
}

const ids = (files: Files | undefined) => files?.edges.map((e) => e.node.databaseId) ?? [];

describe('Member: one file count per response', () => {
  it('places dataFiles(last: 4) with the fresh count, and fileCount agrees, after a file was added upstream', async () => {
    const { sandbox } = suite.stack;
    // A member whose files the members list embeds only in part (it embeds at most 10).
    const listed = await members(MEMBERS_ONLY);
    const target = listed.find((m) => m.fileCount > 10 && m.fileCount < 100);
    if (!target) throw new Error('no member with 11..99 files among the first 20');
    addFileTo(target.projectMemberId);
    const expected = memberFileIds(sandbox, target.projectMemberId);
    expect(expected.length).toBe(target.fileCount + 1);

    // The members page (and its counts) now come from the token cache; the tail is read fresh.
    const row = (await members(MEMBERS_WITH_FILES)).find(
      (m) => m.projectMemberId === target.projectMemberId,
    );
    expect(row?.fileCount).toBe(expected.length);
    expect(row?.tail?.totalCount).toBe(expected.length);
    expect(row?.head?.totalCount).toBe(expected.length);
    expect(ids(row?.tail)).toEqual(expected.slice(-4));
    expect(ids(row?.head)).toEqual(expected.slice(0, 2));
    expect(row?.tail?.pageInfo).toMatchObject({ hasNextPage: false, hasPreviousPage: true });
    expect(row?.head?.pageInfo).toMatchObject({ hasNextPage: true, hasPreviousPage: false });
  });

  it('agrees after a file was deleted upstream too', async () => {
    const { sandbox } = suite.stack;
    // Another member than above, and another window (the last query cached every member's
    // `last: 4` window): this tail is read fresh while the members page comes from the cache.
    const listed = await members(MEMBERS_ONLY);
    const target = listed.filter((m) => m.fileCount > 10 && m.fileCount < 100)[1];
    if (!target) throw new Error('no second member with 11..99 files among the first 20');
    const [victim] = memberFileIds(sandbox, target.projectMemberId).slice(-1);
    if (victim === undefined) throw new Error('member has no files');
    sandbox.store.removeFile(victim);
    const expected = memberFileIds(sandbox, target.projectMemberId);

    const query = MEMBERS_WITH_FILES.replace('last: 4', 'last: 3');
    const row = (await members(query)).find((m) => m.projectMemberId === target.projectMemberId);
    expect([row?.fileCount, row?.tail?.totalCount, row?.head?.totalCount]).toEqual(
      Array(3).fill(expected.length),
    );
    expect(ids(row?.tail)).toEqual(expected.slice(-3));
    expect(row?.tail?.pageInfo.hasPreviousPage).toBe(true);
  });
});

describe('Project.authorizedMembers: one value per response', () => {
  it("agrees between the token's own project (project info) and the public projects list", async () => {
    const { stack } = suite;
    const { sandbox } = stack;
    const ask = async (query: string) => {
      const res = transcript.record(
        await stack.execute<
          Record<
            string,
            { authorizedMembers: number } & { project?: { authorizedMembers: number } }
          >
        >(query, {}, { token: sandbox.masterToken }),
      );
      expect(res.errors, res.text).toBeUndefined();
      return res.data ?? {};
    };
    // The public list is read (and cached) first; then a member leaves, behind the gateway.
    await ask(`{ project(databaseId: ${sandbox.projectId}) { authorizedMembers } }`);
    const leaving = sandbox.store.activeMembers(sandbox.projectId)[0];
    if (!leaving) throw new Error('no active member');
    leaving.revoked = true;
    sandbox.store.touch();
    const now = sandbox.store.activeMembers(sandbox.projectId).length;

    for (const query of [
      `{ viewer { project { authorizedMembers } } project(databaseId: ${sandbox.projectId}) { authorizedMembers } }`,
      `{ project(databaseId: ${sandbox.projectId}) { authorizedMembers } viewer { project { authorizedMembers } } }`,
    ]) {
      const data = await ask(query);
      expect(data.viewer?.project?.authorizedMembers).toBe(data.project?.authorizedMembers);
    }
    // The first occurrence in document order decides: the project-info read is the fresh one.
    const fresh = await ask(
      `{ viewer { project { authorizedMembers } } project(databaseId: ${sandbox.projectId}) { authorizedMembers } }`,
    );
    expect(fresh.viewer?.project?.authorizedMembers).toBe(now);
  });
});

describe('User.profileUrl: one builder', () => {
  it('gives a member the same profile URL from a member lookup and from a file listing', async () => {
    const { stack } = suite;
    const user = stack.sandbox.store
      .publicMembers()
      .find((u) => stack.sandbox.store.publicIndexes().ofUser(u.id).length > 0);
    if (!user) throw new Error('no public member with public files');
    type Data = {
      user: {
        profileUrl: string;
        dataFiles: { edges: { node: { user: { profileUrl: string } | null } }[] };
      };
    };
    const res = transcript.record(
      await stack.execute<Data>(
        `{ user(username: "${user.username}") { profileUrl dataFiles(first: 3) { edges { node { user { profileUrl } } } } } }`,
      ),
    );
    expect(res.errors, res.text).toBeUndefined();
    const expected = `${new URL(stack.config.openHumans.baseUrl).origin}/member/${user.username}/`;
    expect(res.data?.user.profileUrl).toBe(expected);
    const embedded = res.data?.user.dataFiles.edges.map((e) => e.node.user?.profileUrl) ?? [];
    expect(embedded.length).toBeGreaterThan(0);
    expect(new Set(embedded)).toEqual(new Set([expected]));
  });
});
