import { describe, expect, it } from 'vitest';
import {
  activeMemberIds,
  countCalls,
  cursorAt,
  memberFileIds,
  type PageInfo,
  privateSuite,
  walkBothWays,
} from './support.js';

const suite = privateSuite();
const { transcript } = suite;

type FilesConnection = {
  totalCount: number;
  pageInfo: PageInfo;
  edges: { cursor: string; node: { databaseId: number; source: string | null } }[];
};
type MemberNode = { projectMemberId: string; fileCount: number; dataFiles: FilesConnection };
type MembersData = {
  viewer: {
    project: {
      members: {
        totalCount: number;
        pageInfo: PageInfo;
        edges: { cursor: string; node: MemberNode }[];
      };
    };
  } | null;
};

const MEMBERS_WITH_FILES = `
  query Members($first: Int, $after: String, $last: Int, $before: String, $files: Int) {
    viewer { project { members(first: $first, after: $after, last: $last, before: $before) {
      totalCount
      pageInfo { hasNextPage hasPreviousPage startCursor endCursor }
      edges { cursor node {
        projectMemberId fileCount
        dataFiles(first: $files) {
          totalCount
          pageInfo { hasNextPage hasPreviousPage startCursor endCursor }
          edges { cursor node { databaseId source } }
        }
      } }
    } } }
  }`;

const members = async (variables: Record<string, unknown>) => {
  const res = transcript.record(
    await suite.stack.execute<MembersData>(
      MEMBERS_WITH_FILES,
      { files: 5, ...variables },
      {
        token: suite.stack.sandbox.masterToken,
      },
    ),
  );
  expect(res.errors, res.text).toBeUndefined();
  const connection = res.data?.viewer?.project.members;
  if (!connection) throw new Error(res.text);
  return connection;
};

describe('Project.members with nested files', () => {
  it('costs one members call plus one exchange-member call per member with more than 10 files', async () => {
    const { sandbox } = suite.stack;
    const firstHundred = activeMemberIds(sandbox, sandbox.projectId).slice(0, 100);
    const beyondEmbedded = firstHundred.filter((pmid) => memberFileIds(sandbox, pmid).length > 10);
    // The seeded data must exercise both paths for this test to mean anything.
    expect(beyondEmbedded.length).toBeGreaterThan(0);
    expect(beyondEmbedded.length).toBeLessThan(100);

    let page: Awaited<ReturnType<typeof members>> | undefined;
    const cold = await countCalls(sandbox, async () => {
      page = await members({ first: 100 });
    });
    expect(cold).toEqual({ D2: 1, D3: beyondEmbedded.length });

    expect(page?.edges.map((e) => e.node.projectMemberId)).toEqual(firstHundred);
    for (const { node } of page?.edges ?? []) {
      const expected = memberFileIds(sandbox, node.projectMemberId);
      expect(node.fileCount).toBe(expected.length);
      expect(node.dataFiles.totalCount).toBe(expected.length);
      // Embedded or paged, the files come in exchange-member order (source, then id).
      expect(node.dataFiles.edges.map((e) => e.node.databaseId)).toEqual(expected.slice(0, 5));
      expect(node.dataFiles.pageInfo.hasNextPage).toBe(expected.length > 5);
      expect(node.dataFiles.edges.every((e) => e.node.source?.startsWith('direct-sharing-'))).toBe(
        true,
      );
    }

    // The same view again, within the token cache's lifetime: nothing goes upstream.
    const warm = await countCalls(sandbox, () => members({ first: 100 }));
    expect(warm).toEqual({});
  });

  it('pages exchange-member when the embedded files do not cover the page', async () => {
    const { sandbox } = suite.stack;
    const ids = activeMemberIds(sandbox, sandbox.projectId).slice(100, 140);
    const small = ids.filter((pmid) => memberFileIds(sandbox, pmid).length <= 10);
    const large = ids.filter((pmid) => memberFileIds(sandbox, pmid).length > 10);
    expect(small.length).toBeGreaterThan(0);
    expect(large.length).toBeGreaterThan(0);
    const after = cursorAt(99);

    // `first: 12` reaches past 10 files: still served whole from the list for members with ≤ 10.
    let page: Awaited<ReturnType<typeof members>> | undefined;
    const calls = await countCalls(sandbox, async () => {
      page = await members({ first: 40, after, files: 12 });
    });
    expect(calls).toEqual({ D2: 1, D3: large.length });
    for (const { node } of page?.edges ?? []) {
      expect(node.dataFiles.edges.map((e) => e.node.databaseId)).toEqual(
        memberFileIds(sandbox, node.projectMemberId).slice(0, 12),
      );
    }
  });

  it('pages members forward and backward exactly', async () => {
    const { sandbox } = suite.stack;
    const expected = activeMemberIds(sandbox, sandbox.projectId);
    await walkBothWays(
      (args) => members({ ...args, files: 1 }),
      (node) => node.projectMemberId,
      expected,
      70,
    );
  });
});
