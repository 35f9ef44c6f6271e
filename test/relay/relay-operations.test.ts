/**
 * The operations Relay clients send: `relay-compiler` (a devDependency; its binary ships inside
 * the npm package) compiles the documents in `fixtures/` against the committed `schema.graphql`,
 * and the generated operation texts run through the gateway against the sandbox. Pagination
 * queries of `@connection` + `@refetchable` fragments go through `node(id)`, so they page
 * `Project.members` (also of an unapproved own project) and `Member.dataFiles` (member and
 * master token) only when every object can be fetched again by its id.
 */
import { execFile } from 'node:child_process';
import {
  cpSync,
  mkdirSync,
  mkdtempSync,
  readdirSync,
  readFileSync,
  rmSync,
  writeFileSync,
} from 'node:fs';
import { createRequire } from 'node:module';
import { tmpdir } from 'node:os';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { promisify } from 'node:util';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { Sandbox } from '../../sandbox/index.js';
import { startSandbox } from '../../sandbox/index.js';
import { type Stack, startStack } from '../helpers/stack.js';

const here = dirname(fileURLToPath(import.meta.url));
const root = join(here, '..', '..');

/** Runs relay-compiler on the fixtures; returns each generated operation's text by name. */
async function compileRelayOperations(): Promise<Map<string, string>> {
  const work = mkdtempSync(join(tmpdir(), 'oh-graphql-relay-'));
  try {
    cpSync(join(here, 'fixtures'), join(work, 'src'), { recursive: true });
    cpSync(join(root, 'schema.graphql'), join(work, 'schema.graphql'));
    mkdirSync(join(work, 'generated'));
    const config = {
      src: './src',
      schema: './schema.graphql',
      language: 'typescript',
      artifactDirectory: './generated',
    };
    writeFileSync(join(work, 'relay.config.json'), JSON.stringify(config));
    const cli = join(
      dirname(createRequire(import.meta.url).resolve('relay-compiler/package.json')),
      'cli.js',
    );
    await promisify(execFile)(process.execPath, [cli, 'relay.config.json'], {
      cwd: work,
      timeout: 60_000,
    });
    const texts = new Map<string, string>();
    for (const file of readdirSync(join(work, 'generated'))) {
      const source = readFileSync(join(work, 'generated', file), 'utf8');
      const text = /"text": ("(?:[^"\\]|\\.)*")/.exec(source)?.[1];
      if (text) texts.set(file.replace(/\.graphql\.ts$/, ''), JSON.parse(text) as string);
    }
    return texts;
  } finally {
    rmSync(work, { recursive: true, force: true });
  }
}

let operations: Map<string, string>;
let sandbox: Sandbox;
let stack: Stack;

beforeAll(async () => {
  [operations, sandbox] = await Promise.all([
    compileRelayOperations(),
    startSandbox({ port: 0, sizes: { publicFiles: 300, users: 50, members: 12 } }),
  ]);
  stack = await startStack({ sandbox });
}, 120_000);

afterAll(async () => {
  await stack?.close();
  await sandbox?.close();
});

function operation(name: string): string {
  const text = operations.get(name);
  if (!text) throw new Error(`relay-compiler generated no operation ${name}`);
  return text;
}

async function run<T>(name: string, variables: Record<string, unknown>, token: string): Promise<T> {
  const res = await stack.execute<T>(operation(name), variables, { token });
  expect(res.errors, `${name}: ${res.text.slice(0, 400)}`).toBeUndefined();
  return res.data as T;
}

interface Connection<N> {
  edges: { node: N; cursor: string }[];
  pageInfo: { endCursor: string | null; hasNextPage: boolean };
}

/** Walks a connection as Relay's `loadNext` does: the pagination query on `node(id)`. */
async function walk<N>(
  first: Connection<N>,
  query: string,
  id: string,
  token: string,
  pick: (node: Record<string, unknown> | null) => Connection<N>,
): Promise<N[]> {
  const items = first.edges.map((e) => e.node);
  let page = first;
  for (let guard = 0; page.pageInfo.hasNextPage && guard < 100; guard++) {
    const data = await run<{ node: Record<string, unknown> | null }>(
      query,
      { id, cursor: page.pageInfo.endCursor },
      token,
    );
    expect(data.node, 'node(id) of the paged object').not.toBeNull();
    page = pick(data.node);
    expect(page.edges.length, 'no short page before the end').toBeGreaterThan(0);
    items.push(...page.edges.map((e) => e.node));
  }
  return items;
}

type MemberNode = { id: string; projectMemberId: string };
type ProjectFragment = { id: string; approved: boolean; members: Connection<MemberNode> };
type FileNode = { id: string; databaseId: number };
type MemberFragment = { id: string; projectMemberId: string; dataFiles: Connection<FileNode> };

describe('relay-compiler output', () => {
  it('has the refetch and pagination queries, all through node(id)', () => {
    for (const name of [
      'projectMembersPaginationQuery',
      'memberFilesPaginationQuery',
      'dataFileRefetchQuery',
    ]) {
      expect(operation(name)).toMatch(/node\(id: \$id\)/);
    }
  });
});

describe('@connection on Project.members', () => {
  for (const which of ['approved own project', 'unapproved own project'] as const) {
    it(`pages every member once (${which})`, async () => {
      const token =
        which === 'approved own project' ? sandbox.masterToken : sandbox.secondProject.masterToken;
      const data = await run<{ viewer: { project: ProjectFragment } }>(
        'projectMembersQuery',
        {},
        token,
      );
      const project = data.viewer.project;
      expect(project.approved).toBe(which === 'approved own project');
      const walked = await walk(
        project.members,
        'projectMembersPaginationQuery',
        project.id,
        token,
        (n) => (n as unknown as ProjectFragment).members,
      );
      const direct = await stack.execute<{
        viewer: { project: { members: Connection<MemberNode> } };
      }>(
        '{ viewer { project { members(first: 100) { edges { cursor node { id projectMemberId } } } } } }',
        {},
        { token },
      );
      const all = direct.data?.viewer.project.members.edges.map((e) => e.node) ?? [];
      expect(all.length).toBeGreaterThan(2);
      const key = (m: MemberNode) => ({ id: m.id, projectMemberId: m.projectMemberId });
      expect(walked.map(key)).toEqual(all.map(key));
    });
  }
});

describe('@connection on Member.dataFiles, @refetchable DataFile', () => {
  it('pages and refetches a member’s files with the member token and with the master token', async () => {
    // A member with more files than one page, some of them private.
    const pmi = Object.keys(sandbox.memberTokens).find((id) => {
      const m = sandbox.store.membershipByProjectMemberId(id);
      const files = m ? sandbox.store.memberFilesForProject(m) : [];
      return files.length > 4 && files.some((f) => !sandbox.store.isPublic(f));
    });
    if (!pmi) throw new Error('sandbox has no member with several private files');
    const memberToken = sandbox.memberTokens[pmi] as string;

    const own = (
      await run<{ viewer: { member: MemberFragment } }>('memberFilesQuery', {}, memberToken)
    ).viewer.member;
    const byMember = await walk(
      own.dataFiles,
      'memberFilesPaginationQuery',
      own.id,
      memberToken,
      (n) => (n as unknown as MemberFragment).dataFiles,
    );

    const viaProject = await run<{ viewer: { project: { member: MemberFragment } } }>(
      'memberFilesOfProjectQuery',
      { projectMemberId: pmi },
      sandbox.masterToken,
    );
    const member = viaProject.viewer.project.member;
    expect(member.id).toBe(own.id);
    const byMaster = await walk(
      member.dataFiles,
      'memberFilesPaginationQuery',
      member.id,
      sandbox.masterToken,
      (n) => (n as unknown as MemberFragment).dataFiles,
    );

    expect(byMember.length).toBeGreaterThan(4);
    expect(new Set(byMember.map((f) => f.id)).size).toBe(byMember.length);
    expect(byMaster.map((f) => f.id)).toEqual(byMember.map((f) => f.id));

    // Refetched by id: the member token sees the file as its listing showed it (with `source`);
    // the master token finds private files through its members' lists, public ones publicly.
    for (const file of byMember) {
      type Refetched = { node: { id: string; basename: string; source: string | null } | null };
      const mine = await run<Refetched>('dataFileRefetchQuery', { id: file.id }, memberToken);
      expect(mine.node).toMatchObject({
        id: file.id,
        source: expect.stringMatching(/^direct-sharing-\d+$/),
      });
      const master = await run<Refetched>(
        'dataFileRefetchQuery',
        { id: file.id },
        sandbox.masterToken,
      );
      expect(master.node).toMatchObject({ id: file.id, basename: mine.node?.basename });
      const stored = sandbox.store.file(file.databaseId);
      if (stored && !sandbox.store.isPublic(stored))
        expect(master.node?.source).toBe(mine.node?.source);
    }
  });
});
