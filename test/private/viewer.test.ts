import { describe, expect, it } from 'vitest';
import { countCalls, memberFileIds, memberId, privateSuite } from './support.js';

const suite = privateSuite();
const { transcript } = suite;

type ViewerData = {
  viewer: {
    tokenKind?: string;
    project?: { databaseId?: number; name?: string; members?: { totalCount: number } };
    member?: {
      id: string;
      projectMemberId: string;
      username: string | null;
      fileCount: number;
    } | null;
  } | null;
};

const run = async (query: string, token: string) =>
  transcript.record(await suite.stack.execute<ViewerData>(query, {}, { token }));

describe('Query.viewer', () => {
  it('tells the token kind without any upstream call', async () => {
    const [pmid, memberToken] = Object.entries(suite.stack.sandbox.memberTokens)[0] ?? [];
    expect(pmid).toBeDefined();
    let master: ViewerData | null | undefined;
    let member: ViewerData | null | undefined;
    const calls = await countCalls(suite.stack.sandbox, async () => {
      master = (await run('{ viewer { tokenKind } }', suite.stack.sandbox.masterToken)).data;
      member = (await run('{ viewer { tokenKind } }', memberToken ?? '')).data;
    });
    expect(master?.viewer?.tokenKind).toBe('MASTER');
    expect(member?.viewer?.tokenKind).toBe('MEMBER');
    expect(calls).toEqual({});
  });

  it('fetches the project (D1) only when its own fields are asked for', async () => {
    const { sandbox } = suite.stack;
    const ownOnly = await countCalls(sandbox, async () => {
      const res = await run(
        '{ viewer { project { members(first: 1) { totalCount } } } }',
        sandbox.masterToken,
      );
      expect(res.errors).toBeUndefined();
      const active = sandbox.store.activeMembers(sandbox.projectId);
      expect(res.data?.viewer?.project?.members?.totalCount).toBe(active.length);
    });
    expect(ownOnly).toEqual({ D2: 1 });

    const withFields = await countCalls(sandbox, async () => {
      const res = await run('{ viewer { project { databaseId name } } }', sandbox.masterToken);
      expect(res.data?.viewer?.project).toEqual({
        databaseId: sandbox.projectId,
        name: sandbox.store.project(sandbox.projectId)?.name,
      });
    });
    expect(withFields).toEqual({ D1: 1 });
  });

  it('serves an unapproved own project through D1, for either token kind', async () => {
    const { secondProject, store } = suite.stack.sandbox;
    expect(store.project(secondProject.projectId)?.approved).toBe(false);
    const [, memberToken] = Object.entries(secondProject.memberTokens)[0] ?? [];
    for (const token of [secondProject.masterToken, memberToken ?? '']) {
      const res = await run('{ viewer { project { databaseId name } } }', token);
      expect(res.errors).toBeUndefined();
      expect(res.data?.viewer?.project?.databaseId).toBe(secondProject.projectId);
    }
  });

  it("is the member's own membership for a member token, and null for a master token", async () => {
    const { sandbox } = suite.stack;
    const query = '{ viewer { member { id projectMemberId username fileCount } } }';
    const master = await run(query, sandbox.masterToken);
    expect(master.errors).toBeUndefined();
    expect(master.data?.viewer?.member).toBeNull();

    for (const [pmid, token] of Object.entries(sandbox.memberTokens).slice(0, 3)) {
      const membership = sandbox.store.membershipByProjectMemberId(pmid);
      const user = membership ? sandbox.store.user(membership.userId) : undefined;
      const res = await run(query, token);
      expect(res.errors).toBeUndefined();
      expect(res.data?.viewer?.member).toEqual({
        id: memberId(pmid),
        projectMemberId: pmid,
        username: membership?.usernameShared ? (user?.username ?? null) : null,
        fileCount: memberFileIds(sandbox, pmid).length,
      });
    }
  });
});

describe('Member relations', () => {
  it('lists shared sources (project null unless public) and the public user when shared', async () => {
    const { sandbox } = suite.stack;
    const query = `{ viewer { member { username user { username } sourcesShared {
      idLabel databaseId project { databaseId } } } } }`;
    type Data = {
      viewer: {
        member: {
          username: string | null;
          user: { username: string } | null;
          sourcesShared: {
            idLabel: string;
            databaseId: number;
            project: { databaseId: number } | null;
          }[];
        };
      };
    };
    const members = Object.entries(sandbox.memberTokens).slice(0, 12);
    const granted = members.flatMap(
      ([pmid]) => sandbox.store.membershipByProjectMemberId(pmid)?.grantedSources ?? [],
    );
    // The seeded members must share some sources and usernames for this to check anything.
    expect(granted.length).toBeGreaterThan(0);
    const shared = members.filter(
      ([pmid]) => sandbox.store.membershipByProjectMemberId(pmid)?.usernameShared,
    );
    expect(shared.length).toBeGreaterThan(0);
    expect(shared.length).toBeLessThan(members.length);
    for (const [pmid, token] of members) {
      const membership = sandbox.store.membershipByProjectMemberId(pmid);
      const res = transcript.record(await suite.stack.execute<Data>(query, {}, { token }));
      expect(res.errors, res.text).toBeUndefined();
      const member = res.data?.viewer.member;
      expect(member?.sourcesShared).toEqual(
        (membership?.grantedSources ?? []).map((id) => ({
          idLabel: `direct-sharing-${id}`,
          databaseId: id,
          project: sandbox.store.project(id)?.approved ? { databaseId: id } : null,
        })),
      );
      expect(member?.user).toEqual(member?.username ? { username: member.username } : null);
    }
  });
});
