// The generated data: default sizes, the own project's member mix, tokens, determinism.
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { type Sandbox, startSandbox } from '../../sandbox/index.js';
import { get, page, SMALL } from './sandbox-helpers.js';

describe('default sizes', () => {
  let sb: Sandbox;
  beforeAll(async () => {
    sb = await startSandbox();
  });
  afterAll(() => sb.close());

  it('has ~40 public projects plus unapproved ones, 25 datatypes in a tree, 300 users, ~15,000 public files', async () => {
    const projects = await page(`${sb.url}/api/public/projects/?limit=1000`);
    expect(projects.count).toBe(40);
    expect(sb.store.listProjects().filter((p) => !p.approved).length).toBeGreaterThanOrEqual(3);
    const types = await page(`${sb.url}/api/public/datatypes/`);
    expect(types.count).toBe(25);
    expect(types.results.filter((t) => t.parent === null).length).toBeGreaterThan(1);
    expect(types.results.filter((t) => (t.children as number[]).length > 0).length).toBeGreaterThan(
      3,
    );
    const members = await page(`${sb.url}/api/public/members/?limit=1`);
    expect(members.count).toBeGreaterThan(270);
    expect(members.count).toBeLessThanOrEqual(300);
    const files = await page(`${sb.url}/api/public/datafiles/?limit=1`);
    expect(files.count).toBeGreaterThan(14_500);
    expect(files.count).toBeLessThan(16_500);
  });

  it('gives the own project ~250 members of every kind, each active one with a token', () => {
    const { store } = sb;
    const all = store.membershipsOf(sb.projectId);
    expect(all).toHaveLength(250);
    const active = store.activeMembers(sb.projectId);
    const counts = active.map(
      (m) => store.memberFilesForProject(m).filter((f) => f.projectId === sb.projectId).length,
    );
    expect(counts.filter((n) => n > 10).length).toBeGreaterThan(10);
    expect(counts.filter((n) => n === 0).length).toBeGreaterThan(10);
    expect(active.filter((m) => !m.usernameShared).length).toBeGreaterThan(5);
    expect(active.filter((m) => !m.visible).length).toBeGreaterThan(5);
    expect(
      all.filter((m) => m.revoked && !m.joined && !m.authorized).length,
    ).toBeGreaterThanOrEqual(3);
    expect(Object.keys(sb.memberTokens).sort()).toEqual(
      active.map((m) => m.projectMemberId).sort(),
    );
    for (const pmi of Object.keys(sb.memberTokens)) expect(pmi).toMatch(/^\d{8}$/);
    expect(Object.keys(sb.secondProject.memberTokens).length).toBeGreaterThanOrEqual(18);
    expect(sb.store.project(sb.projectId)?.oauth2?.clientId).toBe(sb.clientId);
    expect(sb.clientSecret.length).toBeGreaterThan(30);
  });
});

describe('determinism', () => {
  it('builds the same data and tokens from the same seed, different data from another seed', async () => {
    const [a, b, c] = await Promise.all([
      startSandbox({ sizes: SMALL, seed: 21 }),
      startSandbox({ sizes: SMALL, seed: 21 }),
      startSandbox({ sizes: SMALL, seed: 22 }),
    ]);
    try {
      const strip = async (s: Sandbox) => {
        const p = await page(`${s.url}/api/public/datafiles/?limit=30`);
        return p.results.map((r) => ({
          ...r,
          download_url: String(r.download_url).replace(/key=.*/, ''),
        }));
      };
      expect(await strip(a)).toEqual(await strip(b));
      expect(a.masterToken).toBe(b.masterToken);
      expect(a.memberTokens).toEqual(b.memberTokens);
      expect(await strip(a)).not.toEqual(await strip(c));
      expect(a.masterToken).not.toBe(c.masterToken);
    } finally {
      await Promise.all([a.close(), b.close(), c.close()]);
    }
  });

  it("serves the data the store reports (store is the tests' source of truth)", async () => {
    const s = await startSandbox({ sizes: SMALL, seed: 4 });
    try {
      const first = s.store.publicIndexes().all[0];
      const r = await get(`${s.url}/api/public/datafile/${first?.id}/`);
      expect((r.json as { basename: string }).basename).toBe(first?.basename);
    } finally {
      await s.close();
    }
  });
});

describe('store mutations', () => {
  it('shows added public files in every public list and drops removed ones; private files stay out', async () => {
    const s = await startSandbox({ sizes: SMALL, seed: 8 });
    try {
      const { store } = s;
      const m = store
        .membershipsOf(s.projectId)
        .find((x) => x.publicData && x.visible && store.isActive(x));
      const priv = store.membershipsOf(s.projectId).find((x) => !x.publicData && store.isActive(x));
      if (!m || !priv) throw new Error('seed lacks a public and a private own-project member');
      const user = store.user(m.userId);
      const make = (userId: number) => {
        const id = store.allocateFileId();
        return {
          id,
          projectId: s.projectId,
          userId,
          basename: `added-${id}.txt`,
          created: Date.UTC(2026, 0, 1),
          metadata: { tags: [], description: '' },
          datatypes: [1],
          completed: true,
          size: 5,
          md5: null,
          s3Key: `member-files/direct-sharing-${s.projectId}/x/added-${id}.txt`,
          content: { kind: 'stored' as const, bytes: Buffer.from('hello') },
        };
      };
      const count = async (path: string) => (await page(`${s.url}${path}?limit=1`)).count;
      const lists = [
        '/api/public/datafiles/',
        `/api/public/project/${s.projectId}/datafiles/`,
        `/api/public/member/${user?.username}/datafiles/`,
        '/api/public/datatype/1/datafiles/',
      ];
      const before = await Promise.all(lists.map(count));
      const pub = make(m.userId);
      store.addFile(pub);
      store.addFile(make(priv.userId));
      expect(await Promise.all(lists.map(count))).toEqual(before.map((n) => n + 1));
      expect((await get(`${s.url}/api/public/datafile/${pub.id}/`)).status).toBe(200);
      store.removeFile(pub.id);
      expect(await Promise.all(lists.map(count))).toEqual(before);
      expect((await get(`${s.url}/api/public/datafile/${pub.id}/`)).status).toBe(404);
    } finally {
      await s.close();
    }
  });
});
