/**
 * Cursors survive change where Open Humans orders a list stably: a forward walk interrupted by an
 * insertion or a deletion before its cursor neither skips nor repeats an item. The data changes
 * straight in the sandbox's store (as another client of Open Humans would change it) and the
 * gateway's caches are emptied, as if they had expired while the client read a page.
 */
import { describe, expect, it } from 'vitest';
import type { DataFile } from '../../sandbox/data/types.js';
import { TokenScopedCache } from '../../src/auth/token-scoped-cache.js';
import { memberFileIds, type PageInfo, privateSuite } from './support.js';

const tokenCache = new TokenScopedCache();
const suite = privateSuite({ tokenCache });
const { transcript } = suite;

type Page<K> = { totalCount: number; pageInfo: PageInfo; edges: { cursor: string; node: K }[] };

/**
 * Walks forward `size` at a time; after `changeAfter` pages runs `change`, empties the caches and
 * walks on. Returns every item seen, in order, and the items seen before the change.
 */
async function interruptedWalk<K>(
  fetchPage: (args: Record<string, unknown>) => Promise<Page<K>>,
  size: number,
  changeAfter: number,
  change: (seen: K[]) => void,
): Promise<{ seen: K[]; before: K[] }> {
  const seen: K[] = [];
  let before: K[] = [];
  let after: string | null = null;
  for (let n = 1; ; n += 1) {
    const page = await fetchPage({ first: size, after });
    seen.push(...page.edges.map((e) => e.node));
    if (n === changeAfter) {
      before = [...seen];
      change(seen);
      tokenCache.clear();
      await suite.stack.publicCache.invalidatePath('/');
    }
    if (!page.pageInfo.hasNextPage) break;
    expect(page.pageInfo.endCursor).toBe(page.edges.at(-1)?.cursor);
    after = page.pageInfo.endCursor;
  }
  return { seen, before };
}

const FILES = `query ($pmid: String!, $first: Int, $after: String) { viewer { project { member(projectMemberId: $pmid) {
  dataFiles(first: $first, after: $after) { totalCount pageInfo { hasNextPage hasPreviousPage startCursor endCursor }
    edges { cursor node { databaseId } } } } } } }`;

function memberFilesPage(pmid: string) {
  return async (args: Record<string, unknown>): Promise<Page<number>> => {
    type Data = { viewer: { project: { member: { dataFiles: Page<{ databaseId: number }> } } } };
    const { stack } = suite;
    const res = transcript.record(
      await stack.execute<Data>(FILES, { pmid, ...args }, { token: stack.sandbox.masterToken }),
    );
    expect(res.errors, res.text).toBeUndefined();
    const page = res.data?.viewer.project.member.dataFiles;
    if (!page) throw new Error(res.text);
    return {
      ...page,
      edges: page.edges.map((e) => ({ cursor: e.cursor, node: e.node.databaseId })),
    };
  };
}

/** A member with 30..99 files in at least two sources, and the size of its first source group. */
function memberWithGroups(): { pmid: string; firstGroup: number; sourceProject: number } {
  const { store, projectId } = suite.stack.sandbox;
  for (const m of store.activeMembers(projectId)) {
    const files = store.memberFilesForProject(m);
    const [first] = files;
    if (!first || files.length < 30 || files.length > 99) continue;
    const group = files.filter((f) => f.projectId === first.projectId).length;
    if (group < files.length - 15)
      return { pmid: m.projectMemberId, firstGroup: group, sourceProject: first.projectId };
  }
  throw new Error('no member with files in several sources');
}

function addFile(pmid: string, projectId: number): DataFile {
  const { store } = suite.stack.sandbox;
  const membership = store.membershipByProjectMemberId(pmid);
  if (!membership) throw new Error(`no membership ${pmid}`);
  const id = store.allocateFileId();
  const file: DataFile = {
    id,
    projectId,
    userId: membership.userId,
    basename: `inserted-${id}.txt`,
    created: Date.UTC(2026, 0, 1),
    metadata: {},
    datatypes: [],
    completed: true,
    size: 1,
    md5: null,
    s3Key: `member-files/direct-sharing-${projectId}/ins/inserted-${id}.txt`,
    content: { kind: 'stored', bytes: Buffer.from('x') },
  };
  store.addFile(file);
  return file;
}

describe('Member.dataFiles cursors carry (source, id)', () => {
  it('neither repeats nor skips when a file is inserted before the cursor', async () => {
    const { pmid, firstGroup, sourceProject } = memberWithGroups();
    const size = firstGroup + 2;
    let inserted: number | undefined;
    const { seen, before } = await interruptedWalk(memberFilesPage(pmid), size, 1, () => {
      // Sorts at the end of the first source group: before the cursor, which is past it.
      inserted = addFile(pmid, sourceProject).id;
    });
    const now = memberFileIds(suite.stack.sandbox, pmid);
    expect(now.indexOf(inserted ?? -1)).toBeLessThan(now.indexOf(before.at(-1) ?? -1));
    expect(seen).toEqual([...before, ...now.slice(now.indexOf(before.at(-1) ?? -1) + 1)]);
    expect(new Set(seen).size).toBe(seen.length);
  });

  it("neither repeats nor skips when files before the cursor, or the cursor's own file, are deleted", async () => {
    const { pmid } = memberWithGroups();
    const old = memberFileIds(suite.stack.sandbox, pmid);
    const { seen, before } = await interruptedWalk(memberFilesPage(pmid), 6, 2, (items) => {
      // Two files already read, and the one the cursor points at.
      for (const id of [items[0], items[3], items.at(-1)])
        if (id !== undefined) suite.stack.sandbox.store.removeFile(id);
    });
    const cursorAt = old.indexOf(before.at(-1) ?? -1);
    const rest = old.slice(cursorAt + 1);
    expect(seen).toEqual([...before, ...rest]);
  });

  it('still accepts offset-only cursors from before, as offsets', async () => {
    const { pmid } = memberWithGroups();
    const files = memberFileIds(suite.stack.sandbox, pmid);
    const legacy = Buffer.from('offset:4').toString('base64');
    const page = await memberFilesPage(pmid)({ first: 3, after: legacy });
    expect(page.edges.map((e) => e.node)).toEqual(files.slice(5, 8));
  });

  it('refuses a keyed cursor that was tampered with, and one on a list that is not keyed', async () => {
    const { stack } = suite;
    const { pmid } = memberWithGroups();
    const forged = Buffer.from('key:3:[{"a":1}]').toString('base64');
    const res = transcript.record(
      await stack.execute(
        FILES,
        { pmid, first: 2, after: forged },
        { token: stack.sandbox.masterToken },
      ),
    );
    expect(res.errors?.[0]?.extensions?.code).toBe('BAD_USER_INPUT');
    const keyed = (await memberFilesPage(pmid)({ first: 1 })).pageInfo.endCursor;
    const onFiles = await stack.execute(
      `query($a: String) { dataFiles(first: 2, after: $a) { totalCount } }`,
      { a: keyed },
    );
    expect(onFiles.errors?.[0]?.extensions?.code).toBe('BAD_USER_INPUT');
  });
});

describe('Query.users (by username) and Query.projects (by name) cursors', () => {
  type Named = { username?: string; name?: string };
  const listPage =
    (field: 'users' | 'projects', key: 'username' | 'name') =>
    async (args: Record<string, unknown>) => {
      const res = transcript.record(
        await suite.stack.execute<Record<string, Page<Named>>>(
          `query($first: Int, $after: String) { ${field}(first: $first, after: $after) {
        totalCount pageInfo { hasNextPage hasPreviousPage startCursor endCursor } edges { cursor node { ${key} } } } }`,
          args,
        ),
      );
      expect(res.errors, res.text).toBeUndefined();
      const page = res.data?.[field];
      if (!page) throw new Error(res.text);
      return {
        ...page,
        edges: page.edges.map((e) => ({ cursor: e.cursor, node: String(e.node[key]) })),
      };
    };

  it('users: members joining before the cursor change nothing after it', async () => {
    const { store } = suite.stack.sandbox;
    const { seen, before } = await interruptedWalk(listPage('users', 'username'), 40, 2, () => {
      store.addUser({
        id: 9_000_001,
        username: '000_early_bird',
        name: 'Early',
        active: true,
        memberId: '99000001',
      });
      store.addUser({
        id: 9_000_002,
        username: '000_earlier_bird',
        name: 'Earlier',
        active: true,
        memberId: '99000002',
      });
      store.touch();
    });
    const now = store.publicMembers().map((u) => u.username);
    expect(now.slice(0, 2)).toEqual(['000_earlier_bird', '000_early_bird']);
    expect(seen).toEqual([...before, ...now.slice(now.indexOf(before.at(-1) ?? '') + 1)]);
  });

  it('projects: projects withdrawn before the cursor change nothing after it', async () => {
    const { store } = suite.stack.sandbox;
    const { seen, before } = await interruptedWalk(listPage('projects', 'name'), 8, 2, (names) => {
      for (const name of [names[2], names[9]]) {
        const withdrawn = store
          .approvedProjects()
          .find((p) => p.name === name && p.id !== suite.stack.sandbox.projectId);
        if (!withdrawn) throw new Error(`no project ${name}`);
        withdrawn.approved = false;
      }
      store.touch();
    });
    const now = store.approvedProjects().map((p) => p.name);
    expect(now).not.toContain(before[2]);
    expect(seen).toEqual([...before, ...now.slice(now.indexOf(before.at(-1) ?? '') + 1)]);
  });
});
