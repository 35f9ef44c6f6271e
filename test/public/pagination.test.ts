/**
 * Relay paging over the sandbox's offset lists, through the gateway: forward and backward across
 * page boundaries with exact pageInfo, one upstream call per page, and the input errors.
 * The shared cache is off here, so every page shows its true upstream cost.
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { type Stack, startStack } from '../helpers/stack.js';
import { callsOf, fails, ok } from './support.js';

let stack: Stack;
beforeAll(async () => {
  stack = await startStack({ env: { PUBLIC_CACHE_MAX_ENTRIES: '0', MAX_PAGE_SIZE: '60' } });
});
afterAll(async () => {
  await stack?.close();
});

interface Page {
  totalCount: number;
  pageInfo: {
    hasNextPage: boolean;
    hasPreviousPage: boolean;
    startCursor: string | null;
    endCursor: string | null;
  };
  edges: { cursor: string; node: { databaseId: number } }[];
}

const PAGE = `totalCount pageInfo { hasNextPage hasPreviousPage startCursor endCursor }
  edges { cursor node { databaseId } }`;

function projectWithFiles(min: number, max: number) {
  const idx = stack.sandbox.store.publicIndexes();
  const project = stack.sandbox.store
    .approvedProjects()
    .find((p) => idx.ofProject(p.id).length >= min && idx.ofProject(p.id).length <= max);
  if (!project) throw new Error(`no project with ${min}..${max} public files`);
  return { id: project.id, files: idx.ofProject(project.id).map((f) => f.id) };
}

async function page(
  projectId: number,
  args: string,
): Promise<{ page: Page; calls: Record<string, number> }> {
  let result: Page | undefined;
  const calls = await callsOf(stack, async () => {
    const data = await ok<{ project: { dataFiles: Page } }>(
      stack,
      `{ project(databaseId: ${projectId}) { dataFiles(${args}) { ${PAGE} } } }`,
    );
    result = data.project.dataFiles;
  });
  if (!result) throw new Error('no page');
  return { page: result, calls };
}

describe('forward paging (first/after)', () => {
  it('walks a list across page boundaries with exact pageInfo, one P12 call per page', async () => {
    const { id, files } = projectWithFiles(130, 600);
    const seen: number[] = [];
    let after = '';
    let pages = 0;
    for (;;) {
      const { page: p, calls } = await page(id, `first: 50${after ? `, after: "${after}"` : ''}`);
      pages += 1;
      expect(p.totalCount).toBe(files.length);
      expect(p.pageInfo.hasPreviousPage).toBe(seen.length > 0);
      seen.push(...p.edges.map((e) => e.node.databaseId));
      expect(p.pageInfo.hasNextPage).toBe(seen.length < files.length);
      expect(p.pageInfo.startCursor).toBe(p.edges[0]?.cursor ?? null);
      expect(p.pageInfo.endCursor).toBe(p.edges[p.edges.length - 1]?.cursor ?? null);
      // The project itself comes from the held list (P10), then exactly one page call.
      expect(calls).toEqual({ P10: 1, P12: 1 });
      if (!p.pageInfo.hasNextPage) break;
      after = p.pageInfo.endCursor ?? '';
    }
    expect(seen).toEqual(files);
    expect(pages).toBe(Math.ceil(files.length / 50));
  });
});

describe('backward paging (last/before)', () => {
  it('walks back from the end across page boundaries with exact pageInfo', async () => {
    const { id, files } = projectWithFiles(130, 600);
    const pagesSeen: number[][] = [];
    let before = '';
    for (;;) {
      const { page: p, calls } = await page(id, `last: 40${before ? `, before: "${before}"` : ''}`);
      const got = p.edges.map((e) => e.node.databaseId);
      pagesSeen.unshift(got);
      const seenCount = pagesSeen.flat().length;
      expect(p.totalCount).toBe(files.length);
      expect(got).toEqual(
        files.slice(files.length - seenCount, files.length - seenCount + got.length),
      );
      expect(p.pageInfo.hasNextPage).toBe(before !== '');
      expect(p.pageInfo.hasPreviousPage).toBe(seenCount < files.length);
      // Without `before` the count is needed first (one extra call); afterwards one call a page.
      expect(calls).toEqual({ P10: 1, P12: before ? 1 : 2 });
      if (!p.pageInfo.hasPreviousPage) break;
      before = p.pageInfo.startCursor ?? '';
    }
    expect(pagesSeen.flat()).toEqual(files);
  });

  it('serves `last` of a short list in one call', async () => {
    const { store } = stack.sandbox;
    const user = store.publicMembers().find((u) => {
      const n = store.publicIndexes().ofUser(u.id).length;
      return n > 2 && n < 40;
    });
    if (!user) throw new Error('no member with a few public files');
    const files = store
      .publicIndexes()
      .ofUser(user.id)
      .map((f) => f.id);
    let p: Page | undefined;
    const calls = await callsOf(stack, async () => {
      const data = await ok<{ user: { dataFiles: Page } }>(
        stack,
        `{ user(username: "${user.username}") { dataFiles(last: 40) { ${PAGE} } } }`,
      );
      p = data.user.dataFiles;
    });
    expect(p?.edges.map((e) => e.node.databaseId)).toEqual(files);
    expect(p?.pageInfo).toMatchObject({ hasNextPage: false, hasPreviousPage: false });
    expect(calls).toEqual({ P7: 1, P8: 1 });
  });

  it('pages forward and backward over the whole public file list in one call a page', async () => {
    const all = stack.sandbox.store.publicIndexes().all.map((f) => f.id);
    let first: Page | undefined;
    const calls = await callsOf(stack, async () => {
      first = (await ok<{ dataFiles: Page }>(stack, `{ dataFiles(first: 60) { ${PAGE} } }`))
        .dataFiles;
    });
    expect(calls).toEqual({ P1: 1 });
    if (!first) throw new Error('no page');
    const second = (
      await ok<{ dataFiles: Page }>(
        stack,
        `{ dataFiles(first: 60, after: "${first.pageInfo.endCursor}") { ${PAGE} } }`,
      )
    ).dataFiles;
    expect(second.edges.map((e) => e.node.databaseId)).toEqual(all.slice(60, 120));
    const back = (
      await ok<{ dataFiles: Page }>(
        stack,
        `{ dataFiles(last: 30, before: "${second.pageInfo.startCursor}") { ${PAGE} } }`,
      )
    ).dataFiles;
    expect(back.edges.map((e) => e.node.databaseId)).toEqual(all.slice(30, 60));
    expect(back.pageInfo).toMatchObject({ hasPreviousPage: true, hasNextPage: true });
  });
});

describe('paging errors', () => {
  it('rejects invalid cursors, first with last, negative and too large sizes', async () => {
    const { id } = projectWithFiles(1, 600);
    const q = (args: string) =>
      `{ project(databaseId: ${id}) { dataFiles(${args}) { totalCount } } }`;
    const bad = await fails(stack, q('first: 5, after: "bm90LWEtY3Vyc29y"'), 'BAD_USER_INPUT');
    expect(bad.errors?.[0]?.message).toMatch(/`after` is not a valid cursor/);
    await fails(stack, q('last: 5, before: "%%%"'), 'BAD_USER_INPUT');
    await fails(stack, q('first: 5, last: 5'), 'BAD_USER_INPUT');
    await fails(stack, q('first: -1'), 'BAD_USER_INPUT');
    // MAX_PAGE_SIZE is 60 in this stack: the configured maximum is enforced and named.
    const big = await fails(stack, q('first: 61'), 'BAD_USER_INPUT');
    expect(big.errors?.[0]?.message).toMatch(/must not exceed 60/);
    await fails(stack, '{ users(last: 61) { totalCount } }', 'BAD_USER_INPUT');
    await fails(stack, '{ projects(first: 61) { totalCount } }', 'BAD_USER_INPUT');
  });
});
