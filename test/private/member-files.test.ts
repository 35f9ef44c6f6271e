import { describe, expect, it } from 'vitest';
import { startStack } from '../helpers/stack.js';
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

type Files = { totalCount: number; pageInfo: PageInfo; edges: { node: { databaseId: number } }[] };
type Member = { projectMemberId: string; dataFiles: Files };

const FILES = `dataFiles(first: $first, after: $after, last: $last, before: $before) {
  totalCount pageInfo { hasNextPage hasPreviousPage startCursor endCursor } edges { node { databaseId } } }`;
const VARS = '$first: Int, $after: String, $last: Int, $before: String';
const BY_ID = `query ($pmid: String!, ${VARS}) {
  viewer { project { member(projectMemberId: $pmid) { projectMemberId ${FILES} } } } }`;
const OWN = `query (${VARS}) { viewer { member { projectMemberId ${FILES} } } }`;

type PageFetcher = (args: Record<string, unknown>) => Promise<Files>;

/** Walks all pages both ways (see `walkBothWays`), keyed by file id. */
const walk = (fetchPage: PageFetcher, expected: number[], size: number) =>
  walkBothWays(fetchPage, (node: { databaseId: number }) => node.databaseId, expected, size);

function largestMember(pmids: string[]): string {
  const count = (pmid: string) => memberFileIds(suite.stack.sandbox, pmid).length;
  const [pmid] = [...pmids].sort((a, b) => count(b) - count(a));
  if (!pmid) throw new Error('no members');
  return pmid;
}

async function query(
  doc: string,
  variables: Record<string, unknown>,
  token: string,
): Promise<Member> {
  type Data = { viewer: { project?: { member: Member }; member?: Member } };
  const res = transcript.record(await suite.stack.execute<Data>(doc, variables, { token }));
  expect(res.errors, res.text).toBeUndefined();
  const member = res.data?.viewer.project?.member ?? res.data?.viewer.member;
  if (!member) throw new Error(res.text);
  return member;
}

describe('Member.dataFiles', () => {
  it('pages exactly forward and backward across exchange-member pages (master token)', async () => {
    const { sandbox } = suite.stack;
    const pmid = largestMember(activeMemberIds(sandbox, sandbox.projectId));
    const expected = memberFileIds(sandbox, pmid);
    // More files than one exchange-member window (100): pages past it need their own calls.
    expect(expected.length).toBeGreaterThan(150);
    const fetchPage: PageFetcher = async (args) =>
      (await query(BY_ID, { pmid, ...args }, sandbox.masterToken)).dataFiles;
    await walk(fetchPage, expected, 33);
  });

  it("pages a member token's own files the same way", async () => {
    const { sandbox } = suite.stack;
    const pmid = largestMember(Object.keys(sandbox.memberTokens));
    const token = sandbox.memberTokens[pmid] ?? '';
    const expected = memberFileIds(sandbox, pmid);
    expect(expected.length).toBeGreaterThan(100);
    const fetchPage: PageFetcher = async (args) => {
      const member = await query(OWN, args, token);
      expect(member.projectMemberId).toBe(pmid);
      return member.dataFiles;
    };
    await walk(fetchPage, expected, 41);
  });

  it('serves pages inside the first window from the member call, and one call per page beyond it', async () => {
    const { sandbox } = suite.stack;
    const pmid = largestMember(activeMemberIds(sandbox, sandbox.projectId));
    const expected = memberFileIds(sandbox, pmid);
    // Fresh gateway caches: a new stack on the same sandbox.
    const fresh = await startStack({ sandbox });
    try {
      type Data = { viewer: { project: { member: Member } } };
      const run = async (variables: Record<string, unknown>) => {
        const token = sandbox.masterToken;
        const res = transcript.record(
          await fresh.execute<Data>(BY_ID, { pmid, ...variables }, { token }),
        );
        expect(res.errors, res.text).toBeUndefined();
        return res.data?.viewer.project.member.dataFiles.edges.map((e) => e.node.databaseId);
      };
      let ids: number[] | undefined;
      const page = (variables: Record<string, unknown>) =>
        countCalls(sandbox, async () => {
          ids = await run(variables);
        });
      // Loads the member (files 0–99 come with it) and serves 30–79 from that same call.
      expect(await page({ first: 50, after: cursorAt(29) })).toEqual({ D3: 1 });
      expect(ids).toEqual(expected.slice(30, 80));
      // Past the first window: one exchange-member page.
      expect(await page({ first: 20, after: cursorAt(119) })).toEqual({ D3: 1 });
      expect(ids).toEqual(expected.slice(120, 140));
      // `last` without `before`: the total is known from the member, so one page call.
      expect(await page({ last: 7 })).toEqual({ D3: 1 });
      expect(ids).toEqual(expected.slice(-7));
    } finally {
      transcript.expectNoTokens(fresh);
      await fresh.close();
    }
  });
});
