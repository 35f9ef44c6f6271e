/**
 * The federation subgraph at `/subgraph`, queried directly as a router would: `_service { sdl }`
 * and `_entities` for every key, with the visibility rules of `node(id)` and upstream call
 * counts (projects and data types from one list call, files deduplicated).
 */
import { mkdtemp, readFile, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { Sandbox } from '../../sandbox/index.js';
import { startSandbox } from '../../sandbox/index.js';
import { printSubgraph, subgraphSchema } from '../../src/federation/subgraph.js';
import { findSecrets, type Stack, startStack } from '../helpers/stack.js';
import { allTokens, countCalls } from '../private/support.js';
import { SUBGRAPH_TEST_SECRET } from './support.js';

/** What a router sends with each subgraph request (`SUBGRAPH_SECRET`). */
const SECRET_HEADER = { 'x-subgraph-secret': SUBGRAPH_TEST_SECRET };
const withSecret = (env: Record<string, string> = {}) => ({
  SUBGRAPH_SECRET: SUBGRAPH_TEST_SECRET,
  ...env,
});

const globalId = (type: string, key: string | number): string =>
  Buffer.from(`${type}:${key}`).toString('base64');

type Rep = Record<string, unknown> & { __typename: string };

let sandbox: Sandbox;
let stack: Stack;
let prefixed: Stack;
const texts: string[] = [];

/** POSTs to the subgraph endpoint of `target` (a router's request). */
async function subgraph(
  target: Stack,
  query: string,
  variables: Record<string, unknown> = {},
  token?: string,
) {
  const headers: Record<string, string> = {
    'content-type': 'application/json',
    accept: 'application/json',
    ...SECRET_HEADER,
  };
  if (token) headers.authorization = `Bearer ${token}`;
  const init = { method: 'POST', headers, body: JSON.stringify({ query, variables }) };
  const res = await target.fetch('/subgraph', init);
  const text = await res.text();
  texts.push(text);
  expect(res.status, text).toBe(200);
  return JSON.parse(text) as { data?: Record<string, unknown>; errors?: { message: string }[] };
}

const ENTITIES = `query ($r: [_Any!]!) { _entities(representations: $r) {
  __typename
  ... on Project { databaseId name }
  ... on DataType { databaseId name }
  ... on DataFile { databaseId basename source }
  ... on User { username }
  ... on Member { projectMemberId fileCount }
} }`;

async function entities(reps: Rep[], token?: string): Promise<(Record<string, unknown> | null)[]> {
  const body = await subgraph(stack, ENTITIES, { r: reps }, token);
  expect(body.errors, JSON.stringify(body.errors)).toBeUndefined();
  return body.data?._entities as (Record<string, unknown> | null)[];
}

beforeAll(async () => {
  sandbox = await startSandbox({ port: 0, sizes: { publicFiles: 400, users: 60, members: 12 } });
  stack = await startStack({ sandbox, env: withSecret() });
  prefixed = await startStack({
    sandbox,
    env: withSecret({ FEDERATION_TYPE_PREFIX: 'OpenHumans' }),
  });
}, 60_000);

afterAll(async () => {
  // No token in any response or log line of either gateway.
  const logs = [...(stack?.logLines ?? []), ...(prefixed?.logLines ?? [])];
  expect(findSecrets([...texts, ...logs], allTokens(sandbox))).toEqual([]);
  await stack?.close();
  await prefixed?.close();
  await sandbox?.close();
});

describe('subgraph SDL', () => {
  it('_service.sdl is the committed schema.subgraph.graphql', async () => {
    const committed = await readFile(
      new URL('../../schema.subgraph.graphql', import.meta.url),
      'utf8',
    );
    const body = await subgraph(stack, '{ _service { sdl } }');
    const sdl = (body.data?._service as { sdl: string } | undefined)?.sdl ?? '';
    expect(`${sdl}\n`).toBe(committed);
    expect(sdl).toContain('@link(url: "https://specs.apollo.dev/federation/v2.6"');
    for (const [type, keys] of Object.entries({
      DataFile: ['databaseId', 'id'],
      Project: ['databaseId', 'id'],
      DataType: ['databaseId', 'id'],
      User: ['username', 'id'],
      Member: ['projectMemberId', 'id'],
    })) {
      const start = sdl.indexOf(`type ${type} implements Node`);
      const head = sdl.slice(start, sdl.indexOf('{', start));
      for (const key of keys) expect(head, type).toContain(`@key(fields: "${key}")`);
    }
    expect(sdl).toMatch(/type PageInfo\s+@shareable/);
  });

  it('leaves /graphql without federation fields', async () => {
    const res = await stack.execute<{ __schema: { queryType: { fields: { name: string }[] } } }>(
      '{ __schema { queryType { fields { name } } } }',
    );
    const names = res.data?.__schema.queryType.fields.map((f) => f.name) ?? [];
    expect(names).toContain('node');
    expect(names).not.toContain('_entities');
    expect(names).not.toContain('_service');
  });

  it('is off by default, off with FEDERATION_SUBGRAPH=false, and 403 without the right secret', async () => {
    const post = (target: Stack, headers: Record<string, string> = {}) =>
      target.fetch('/subgraph', {
        method: 'POST',
        headers: { 'content-type': 'application/json', ...headers },
        body: JSON.stringify({ query: '{ _service { sdl } }' }),
      });
    const byDefault = await startStack({ sandbox });
    const off = await startStack({ sandbox, env: withSecret({ FEDERATION_SUBGRAPH: 'false' }) });
    try {
      expect((await post(byDefault, SECRET_HEADER)).status).toBe(404);
      expect((await post(off, SECRET_HEADER)).status).toBe(404);
      const wrong: Record<string, string>[] = [
        {},
        { 'x-subgraph-secret': 'wrong' },
        { 'x-subgraph-secret': `${SUBGRAPH_TEST_SECRET}x` },
      ];
      for (const headers of wrong) {
        const res = await post(stack, headers);
        expect(res.status).toBe(403);
        const body = (await res.json()) as {
          data?: unknown;
          errors: { extensions: { code: string } }[];
        };
        expect(body.data).toBeUndefined();
        expect(body.errors[0]?.extensions.code).toBe('FORBIDDEN');
      }
    } finally {
      await byDefault.close();
      await off.close();
    }
  });
});

describe('operation limits on /subgraph', () => {
  it('applies the depth limit, the allow-list and the introspection switch of /graphql', async () => {
    const dir = await mkdtemp(join(tmpdir(), 'subgraph-limits-'));
    const allowList = join(dir, 'persisted.json');
    const shallow = `query ($r: [_Any!]!) { _entities(representations: $r) { ... on Project { name } } }`;
    await writeFile(allowList, JSON.stringify({ only: '{ projects(first: 1) { totalCount } }' }));
    const deepOnly = await startStack({
      sandbox,
      env: withSecret({ MAX_DEPTH: '3', INTROSPECTION: 'false' }),
    });
    const listed = await startStack({
      sandbox,
      env: withSecret({ PERSISTED_OPERATIONS_FILE: allowList }),
    });
    try {
      const project = sandbox.store.approvedProjects()[0];
      if (!project) throw new Error('no project');
      const reps = { r: [{ __typename: 'Project', databaseId: project.id }] };
      const ok = await subgraph(deepOnly, shallow, reps);
      expect(ok.errors, JSON.stringify(ok.errors)).toBeUndefined();
      const deep = `query ($r: [_Any!]!) { _entities(representations: $r) {
        ... on Project { requestedSources { registeredDataTypes { parent { parent { name } } } } } } }`;
      const post = (target: Stack, query: string) =>
        target.fetch('/subgraph', {
          method: 'POST',
          headers: {
            'content-type': 'application/json',
            accept: 'application/json',
            ...SECRET_HEADER,
          },
          body: JSON.stringify({ query, variables: reps }),
        });
      const refused = await (await post(deepOnly, deep)).text();
      expect(refused).toMatch(/depth/i);
      expect(JSON.parse(refused)).not.toHaveProperty('data._entities');
      // INTROSPECTION=false also keeps the SDL to itself.
      const sdl = JSON.parse(await (await post(deepOnly, '{ _service { sdl } }')).text()) as {
        errors: { extensions: Record<string, unknown> }[];
      };
      expect(sdl.errors[0]?.extensions).toMatchObject({
        code: 'BAD_USER_INPUT',
        limit: 'introspection',
      });
      // An operation outside the allow-list is refused on /subgraph as on /graphql.
      const unlisted = JSON.parse(await (await post(listed, shallow)).text()) as {
        errors: { extensions: Record<string, unknown> }[];
      };
      expect(unlisted.errors[0]?.extensions).toMatchObject({
        code: 'BAD_USER_INPUT',
        limit: 'persistedOperation',
      });
    } finally {
      await deepOnly.close();
      await listed.close();
      await rm(dir, { recursive: true, force: true });
    }
  });
});

describe('_entities (public types)', () => {
  it('resolves projects and data types from one list call each, invisible ones as null', async () => {
    const [p1, p2] = sandbox.store.approvedProjects();
    const unapproved = sandbox.store.listProjects().find((p) => !p.approved);
    const [d1, d2] = sandbox.store.listDataTypes();
    if (!p1 || !p2 || !unapproved || !d1 || !d2) throw new Error('sandbox data too small');
    let result: (Record<string, unknown> | null)[] = [];
    const calls = await countCalls(sandbox, async () => {
      result = await entities([
        { __typename: 'Project', databaseId: p1.id },
        { __typename: 'Project', id: globalId('Project', p2.id) },
        { __typename: 'Project', databaseId: p1.id },
        { __typename: 'Project', databaseId: unapproved.id },
        { __typename: 'Project', databaseId: 987654 },
        { __typename: 'Project', id: globalId('DataType', p1.id) }, // an id of another type
        { __typename: 'DataType', databaseId: d1.id },
        { __typename: 'DataType', id: globalId('DataType', d2.id) },
        { __typename: 'DataType', databaseId: 987654 },
      ]);
    });
    expect(result).toEqual([
      { __typename: 'Project', databaseId: p1.id, name: p1.name },
      { __typename: 'Project', databaseId: p2.id, name: p2.name },
      { __typename: 'Project', databaseId: p1.id, name: p1.name },
      null,
      null,
      null,
      { __typename: 'DataType', databaseId: d1.id, name: d1.name },
      { __typename: 'DataType', databaseId: d2.id, name: d2.name },
      null,
    ]);
    // Held sets: one list call each, however many references (a warm cache makes it zero).
    expect(calls.P10 ?? 0).toBeLessThanOrEqual(1);
    expect(calls.P3 ?? 0).toBeLessThanOrEqual(1);
    expect(Object.keys(calls).filter((route) => route !== 'P10' && route !== 'P3')).toEqual([]);
  });

  it('resolves public files deduplicated (one detail call per distinct id) and users by username', async () => {
    const listed = await stack.execute<{
      dataFiles: { edges: { node: { databaseId: number } }[] };
    }>('{ dataFiles(first: 2) { edges { node { databaseId } } } }');
    const [a, b] = (listed.data?.dataFiles.edges ?? []).map((e) =>
      sandbox.store.file(e.node.databaseId),
    );
    const user = sandbox.store.publicMembers()[0];
    if (!a || !b || !user) throw new Error('sandbox data too small');
    let result: (Record<string, unknown> | null)[] = [];
    const calls = await countCalls(sandbox, async () => {
      result = await entities([
        { __typename: 'DataFile', databaseId: a.id },
        { __typename: 'DataFile', databaseId: b.id },
        { __typename: 'DataFile', id: globalId('DataFile', a.id) },
        { __typename: 'DataFile', databaseId: a.id },
        { __typename: 'User', username: user.username },
        { __typename: 'User', id: globalId('User', user.username) },
        { __typename: 'User', username: 'no_such_member_here' },
      ]);
    });
    expect(result).toEqual([
      { __typename: 'DataFile', databaseId: a.id, basename: a.basename, source: null },
      { __typename: 'DataFile', databaseId: b.id, basename: b.basename, source: null },
      { __typename: 'DataFile', databaseId: a.id, basename: a.basename, source: null },
      { __typename: 'DataFile', databaseId: a.id, basename: a.basename, source: null },
      { __typename: 'User', username: user.username },
      { __typename: 'User', username: user.username },
      null,
    ]);
    expect(calls).toEqual({ P2: 2, P7: 2 });
  });
  it('answers null, at no upstream cost, for keys that cannot name anything', async () => {
    let result: (Record<string, unknown> | null)[] = [];
    const calls = await countCalls(sandbox, async () => {
      result = await entities([
        { __typename: 'Project', databaseId: 'not-a-number' },
        { __typename: 'DataFile', id: 'not base64 at all' },
        { __typename: 'DataFile', databaseId: -1 },
        { __typename: 'User', username: 'has spaces' },
        { __typename: 'Member', projectMemberId: '12345678' }, // no token
      ]);
    });
    expect(result).toEqual([null, null, null, null, null]);
    expect(calls).toEqual({});
  });
});

describe('_entities (token-scoped types)', () => {
  const memberIds = (): string[] => Object.keys(sandbox.memberTokens).sort();

  it('resolves a Member only for its project master token or its own token', async () => {
    const [own, other] = memberIds();
    if (!own || !other) throw new Error('need two members');
    const reps: Rep[] = [
      { __typename: 'Member', projectMemberId: own },
      { __typename: 'Member', id: globalId('Member', other) },
    ];
    const fileCount = (pmi: string) => {
      const membership = sandbox.store.membershipByProjectMemberId(pmi);
      return membership ? sandbox.store.memberFilesForProject(membership).length : -1;
    };
    expect(await entities(reps, sandbox.masterToken)).toEqual([
      { __typename: 'Member', projectMemberId: own, fileCount: fileCount(own) },
      { __typename: 'Member', projectMemberId: other, fileCount: fileCount(other) },
    ]);
    expect(await entities(reps, sandbox.memberTokens[own])).toEqual([
      { __typename: 'Member', projectMemberId: own, fileCount: fileCount(own) },
      null,
    ]);
    expect(await entities(reps, sandbox.secondProject.masterToken)).toEqual([null, null]);
    expect(await entities(reps)).toEqual([null, null]);
  });

  it('resolves a private file only for tokens that can list it (its member, its project)', async () => {
    const owner = memberIds().find((pmi) => {
      const m = sandbox.store.membershipByProjectMemberId(pmi);
      return m && sandbox.store.memberFilesForProject(m).some((f) => !sandbox.store.isPublic(f));
    });
    const membership = owner ? sandbox.store.membershipByProjectMemberId(owner) : undefined;
    const file =
      membership &&
      sandbox.store.memberFilesForProject(membership).find((f) => !sandbox.store.isPublic(f));
    const stranger = memberIds().find((pmi) => pmi !== owner);
    if (!owner || !file || !stranger) throw new Error('sandbox has no private member file');
    const reps: Rep[] = [{ __typename: 'DataFile', databaseId: file.id }];
    expect(await entities(reps, sandbox.memberTokens[owner])).toEqual([
      {
        __typename: 'DataFile',
        databaseId: file.id,
        basename: file.basename,
        source: `direct-sharing-${file.projectId}`,
      },
    ]);
    expect(await entities(reps, sandbox.memberTokens[stranger])).toEqual([null]);
    // The project's master token lists every member's files: it finds it too, as `node` does.
    expect(await entities(reps, sandbox.masterToken)).toEqual(
      await entities(reps, sandbox.memberTokens[owner]),
    );
    expect(await entities(reps)).toEqual([null]);
  });
});

describe('FEDERATION_TYPE_PREFIX', () => {
  it('namespaces types and root fields, leaves out node, and resolves entities by the new names', async () => {
    const sdl = printSubgraph(subgraphSchema('OpenHumans'));
    expect(sdl).toMatch(/type OpenHumansProject implements Node\s+@key\(fields: "databaseId"\)/);
    expect(sdl).toMatch(/type PageInfo\s+@shareable/);
    expect(sdl).toContain('openHumansProjects(');
    const query = sdl.slice(
      sdl.indexOf('type Query {'),
      sdl.indexOf('\n}', sdl.indexOf('type Query {')),
    );
    expect(query).not.toMatch(/^\s+(node|nodes|projects|viewer)\(/m);
    expect(query).toMatch(/^\s+openHumansViewer: OpenHumansViewer$/m);
    expect(sdl).not.toMatch(/\btype Project\b/);

    const project = sandbox.store.approvedProjects()[0];
    if (!project) throw new Error('no project');
    const body = await subgraph(
      prefixed,
      `query ($r: [_Any!]!) {
        _service { sdl }
        _entities(representations: $r) {
          __typename
          ... on OpenHumansProject { name dataFiles(first: 1) { edges { node { __typename } } } }
        }
        openHumansProject(databaseId: ${project.id}) { __typename id registeredDataTypes { __typename } }
      }`,
      { r: [{ __typename: 'OpenHumansProject', databaseId: project.id }] },
    );
    expect(body.errors, JSON.stringify(body.errors)).toBeUndefined();
    expect((body.data?._service as { sdl: string } | undefined)?.sdl).toBe(sdl);
    const [entity] = (body.data?._entities ?? []) as { __typename: string; name: string }[];
    expect(entity).toMatchObject({ __typename: 'OpenHumansProject', name: project.name });
    // Global ids are the same as on /graphql (original type names inside).
    expect(body.data?.openHumansProject).toMatchObject({
      __typename: 'OpenHumansProject',
      id: globalId('Project', project.id),
    });
  });
});
