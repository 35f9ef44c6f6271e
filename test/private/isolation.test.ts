/**
 * Isolation between tokens: two projects' master tokens and several member tokens query at the
 * same time, on cold and then warm caches (the gateway's token-scoped cache and loaders), and
 * every answer must hold only what its own token may see.
 */
import { describe, expect, it } from 'vitest';
import { activeMemberIds, memberFileIds, privateSuite } from './support.js';

const suite = privateSuite();
const { transcript } = suite;

const MEMBER_FIELDS = `member { id projectMemberId fileCount
  dataFiles(first: 20) { totalCount edges { node { databaseId source } } } }`;
const LIST_FIELDS = `list: project { members(first: 30) { totalCount edges { node {
  id projectMemberId dataFiles(first: 3) { edges { node { databaseId } } } } } } }`;
/** Master tokens also list members; a member token asks for its own membership only. */
const queryFor = (caller: Caller): string =>
  `{ viewer { tokenKind project { databaseId } ${MEMBER_FIELDS} ${caller.pmid === undefined ? LIST_FIELDS : ''} } }`;
/** A member token on the master-only list: refused, whatever else runs at the same time. */
const FORBIDDEN_QUERY =
  '{ viewer { project { members(first: 30) { edges { node { projectMemberId } } } } } }';

type Files = { totalCount?: number; edges: { node: { databaseId: number } }[] };
type Result = {
  viewer: {
    tokenKind: string;
    project: { databaseId: number } | null;
    list: {
      members: {
        totalCount: number;
        edges: { node: { projectMemberId: string; dataFiles: Files } }[];
      };
    } | null;
    member: { projectMemberId: string; fileCount: number; dataFiles: Files } | null;
  } | null;
};

interface Caller {
  label: string;
  token: string;
  projectId: number;
  /** The member id of a member token; undefined for a master token. */
  pmid?: string;
}

function callers(): Caller[] {
  const { sandbox } = suite.stack;
  const own = Object.entries(sandbox.memberTokens);
  const second = Object.entries(sandbox.secondProject.memberTokens);
  // A spread of members: first ones (embedded files) and one with many files.
  const count = ([pmid]: [string, string]) => memberFileIds(sandbox, pmid).length;
  const manyFiles = own.reduce((a, b) => (count(a) >= count(b) ? a : b));
  const picked = [...own.slice(0, 4), manyFiles];
  return [
    { label: 'master A', token: sandbox.masterToken, projectId: sandbox.projectId },
    {
      label: 'master B',
      token: sandbox.secondProject.masterToken,
      projectId: sandbox.secondProject.projectId,
    },
    ...picked.map(([pmid, token]) => ({
      label: `member A ${pmid}`,
      token,
      projectId: sandbox.projectId,
      pmid,
    })),
    ...second.slice(0, 3).map(([pmid, token]) => ({
      label: `member B ${pmid}`,
      token,
      projectId: sandbox.secondProject.projectId,
      pmid,
    })),
  ];
}

/** Checks one answer against what its own token may see, and that nobody else's ids appear. */
function checkAnswer(
  caller: Caller,
  text: string,
  data: Result | null | undefined,
  allPmids: string[],
): void {
  const { sandbox } = suite.stack;
  const viewer = data?.viewer;
  expect(viewer?.project?.databaseId, caller.label).toBe(caller.projectId);
  const projectPmids = activeMemberIds(sandbox, caller.projectId);
  if (caller.pmid === undefined) {
    expect(viewer?.tokenKind).toBe('MASTER');
    expect(viewer?.member).toBeNull();
    const listed = viewer?.list?.members.edges.map((e) => e.node.projectMemberId) ?? [];
    expect(listed, caller.label).toEqual(projectPmids.slice(0, 30));
    for (const edge of viewer?.list?.members.edges ?? []) {
      const files = memberFileIds(sandbox, edge.node.projectMemberId).slice(0, 3);
      expect(edge.node.dataFiles.edges.map((e) => e.node.databaseId)).toEqual(files);
    }
    // No member of another project anywhere in the answer.
    const foreign = allPmids.filter((p) => !projectPmids.includes(p) && text.includes(p));
    expect(foreign, caller.label).toEqual([]);
  } else {
    expect(viewer?.tokenKind).toBe('MEMBER');
    expect(viewer?.member?.projectMemberId, caller.label).toBe(caller.pmid);
    const files = memberFileIds(sandbox, caller.pmid);
    expect(viewer?.member?.dataFiles.totalCount).toBe(files.length);
    expect(viewer?.member?.dataFiles.edges.map((e) => e.node.databaseId)).toEqual(
      files.slice(0, 20),
    );
    // No other member's id anywhere in the answer.
    const others = allPmids.filter((p) => p !== caller.pmid && text.includes(p));
    expect(others, caller.label).toEqual([]);
  }
}

describe('token isolation', () => {
  it('keeps every token to its own data under concurrency, cold and warm', async () => {
    const { sandbox } = suite.stack;
    const list = callers();
    const allPmids = [
      ...sandbox.store.membershipsOf(sandbox.projectId),
      ...sandbox.store.membershipsOf(sandbox.secondProject.projectId),
    ].map((m) => m.projectMemberId);

    for (const round of ['cold', 'warm', 'warm again']) {
      // Each caller twice per round, all interleaved, so in-flight work overlaps across tokens.
      const runs = [...list, ...list].map(async (caller) => {
        const res = transcript.record(
          await suite.stack.execute<Result>(queryFor(caller), {}, { token: caller.token }),
        );
        return { caller, res };
      });
      const refused = list
        .filter((c) => c.pmid !== undefined)
        .map(async (caller) => {
          const res = transcript.record(
            await suite.stack.execute<Result>(FORBIDDEN_QUERY, {}, { token: caller.token }),
          );
          return { caller, res };
        });
      for (const { caller, res } of await Promise.all(runs)) {
        expect(res.errors, `${round} ${caller.label}: ${res.text}`).toBeUndefined();
        checkAnswer(caller, res.text, res.data, allPmids);
      }
      for (const { caller, res } of await Promise.all(refused)) {
        expect(res.data, caller.label).toEqual({ viewer: null });
        expect(res.errors?.map((e) => e.extensions?.code)).toEqual(['FORBIDDEN']);
      }
    }
  });
});
