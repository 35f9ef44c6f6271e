/**
 * Abuse limits at their boundaries: just under passes, just over fails with BAD_USER_INPUT and
 * `extensions.limit` naming the limit. Small limits are configured so boundaries are cheap.
 */
import { parse } from 'graphql';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { Sandbox } from '../../sandbox/index.js';
import { startSandbox } from '../../sandbox/index.js';
import { operationCost } from '../../src/limits/cost.js';
import { schema } from '../../src/schema/index.js';
import type { ExecuteResult, Stack } from '../helpers/stack.js';
import { startStack } from '../helpers/stack.js';

let sandbox: Sandbox;
const stacks: Stack[] = [];

async function stackWith(env: Record<string, string>): Promise<Stack> {
  const stack = await startStack({ sandbox, env: { LOG_LEVEL: 'warn', ...env } });
  stacks.push(stack);
  return stack;
}

beforeAll(async () => {
  sandbox = await startSandbox({ port: 0 });
});

afterAll(async () => {
  for (const stack of stacks) await stack.close();
  await sandbox?.close();
});

/** The one error of a refused operation: coded, limit named, nothing executed. */
function expectRefused(res: ExecuteResult<unknown>, limit: string): void {
  expect(res.errors?.length, res.text).toBeGreaterThan(0);
  expect(res.errors?.[0]?.extensions).toMatchObject({ code: 'BAD_USER_INPUT', limit });
  expect(res.data ?? null).toBeNull();
  expect(res.status).toBe(400);
}

function expectOk(res: ExecuteResult<unknown>): void {
  expect(res.errors, res.text).toBeUndefined();
  expect(res.status).toBe(200);
}

/** `{ __typename __typename … }` with `n` fields: n + 2 tokens. */
const typenames = (n: number): string =>
  `{ ${Array.from({ length: n }, () => '__typename').join(' ')} }`;

describe('defaults', () => {
  let stack: Stack;
  beforeAll(async () => {
    stack = await stackWith({});
  });

  it('let a 100-item page with its relations through', async () => {
    const res = await stack.execute(
      '{ dataFiles(first: 100) { totalCount edges { node { basename dataTypes { name } sourceProject { name } user { username } } } } }',
    );
    expectOk(res);
  });

  it("let the README's token query through (nested connections)", async () => {
    const res = await stack.execute(
      `query MyProject { viewer { tokenKind project { name members(first: 10) { totalCount
         edges { node { projectMemberId username fileCount dataFiles(first: 5) { edges { node { basename source } } } } } } } } }`,
      {},
      { token: sandbox.masterToken },
    );
    expectOk(res);
  });

  it('refuse two nested 100-item connections by cost', async () => {
    const res = await stack.execute(
      '{ projects(first: 100) { edges { node { dataFiles(first: 100) { edges { node { basename } } } } } } }',
    );
    expectRefused(res, 'cost');
    expect(res.errors?.[0]?.message).toMatch(/cost limit of 5000 exceeded/);
    expect(res.errors?.[0]?.extensions).toMatchObject({ max: 5000 });
  });

  it('answer introspection (public exploration)', async () => {
    expectOk(await stack.execute('{ __schema { queryType { name } } }'));
  });

  it('cap the page size at 100 (pagination)', async () => {
    expectOk(await stack.execute('{ projects(first: 100) { totalCount } }'));
    const res = await stack.execute('{ projects(first: 101) { totalCount } }');
    expect(res.errors?.[0]?.extensions).toMatchObject({ code: 'BAD_USER_INPUT', maxPageSize: 100 });
  });
});

describe('limits at their boundaries', () => {
  let stack: Stack;
  beforeAll(async () => {
    stack = await stackWith({ MAX_DEPTH: '4', MAX_ALIASES: '3' });
  });

  it('depth', async () => {
    // dataType > dataFiles > edges > cursor: depth 4 (leaves count, as armor counts)
    expectOk(
      await stack.execute(
        '{ dataType(databaseId: 1) { dataFiles(first: 1) { edges { cursor } } } }',
      ),
    );
    const over = await stack.execute(
      '{ dataType(databaseId: 1) { dataFiles(first: 1) { edges { node { basename } } } } }',
    );
    expectRefused(over, 'depth');
    expect(over.errors?.[0]?.message).toBe('Query depth limit of 4 exceeded, found 5.');
    expect(over.errors?.[0]?.extensions).toMatchObject({ max: 4, actual: 5 });
  });

  it('aliases', async () => {
    // __typename aliases are free (armor's allow-list); real fields count.
    const aliased = (names: string[]) =>
      `{ ${names.map((n) => `${n}: dataType(databaseId: 1) { name }`).join(' ')} }`;
    expectOk(await stack.execute(aliased(['a', 'b', 'c'])));
    const over = await stack.execute(aliased(['a', 'b', 'c', 'd']));
    expectRefused(over, 'aliases');
    expect(over.errors?.[0]?.message).toMatch(/Aliases limit of 3 exceeded/);
  });

  it('tokens', async () => {
    const small = await stackWith({ MAX_TOKENS: '12' });
    expectOk(await small.execute(typenames(10)));
    const over = await small.execute(typenames(11));
    expectRefused(over, 'tokens');
    expect(over.errors?.[0]?.message).toBe('Token limit of 12 exceeded.');
  });

  it('cost: first multiplies the cost of its subtree, also through variables', async () => {
    // 1 (dataFiles) + first × (edges 1 + node 1 + dataTypes 1): 31 for 10, 34 for 11
    const query =
      'query Page($n: Int) { dataFiles(first: $n) { edges { node { basename dataTypes { name } } } } }';
    expect(
      operationCost(
        schema,
        parse(query),
        'Page',
        { n: 10 },
        { defaultPageSize: 20, maxPageSize: 100 },
      ),
    ).toBe(31);
    const costly = await stackWith({ MAX_COST: '31' });
    expectOk(await costly.execute(query, { n: 10 }));
    const over = await costly.execute(query, { n: 11 });
    expectRefused(over, 'cost');
    expect(over.errors?.[0]?.extensions).toMatchObject({ max: 31, actual: 34 });
    // Same document, smaller page: the answer is per request, not cached per document.
    expectOk(await costly.execute(query, { n: 10 }));
  });
});

describe('cost model', () => {
  const cost = (query: string, variables: Record<string, unknown> = {}) =>
    operationCost(schema, parse(query), undefined, variables, {
      defaultPageSize: 20,
      maxPageSize: 100,
    });

  it('uses the default page size when neither first nor last is given, and last like first', () => {
    expect(cost('{ projects { edges { node { name } } } }')).toBe(1 + 20 * 2);
    expect(cost('{ projects(last: 5) { edges { node { name } } } }')).toBe(1 + 5 * 2);
  });

  it('clamps a huge page to the maximum page size (whose own error is clearer)', () => {
    expect(cost('{ projects(first: 1000000) { edges { node { name } } } }')).toBe(1 + 100 * 2);
  });

  it('multiplies by the length of a list argument (nodes(ids:)) and counts fragments', () => {
    const ids = ['a', 'b', 'c'];
    expect(
      cost(
        'query($ids: [ID!]!) { nodes(ids: $ids) { ... on Project { dataTypes: registeredDataTypes { name } } } }',
        { ids },
      ),
    ).toBe(1 + 3 * 1);
    expect(
      cost('{ ...F } fragment F on Query { projects(first: 2) { edges { node { name } } } }'),
    ).toBe(1 + 2 * 2);
  });

  it('leaves, __typename and introspection are free', () => {
    expect(cost('{ __typename __schema { types { name fields { name } } } }')).toBe(0);
  });
});

describe('directives', () => {
  let stack: Stack;
  beforeAll(async () => {
    stack = await stackWith({});
  });

  it('allows 20 directives and refuses 21', async () => {
    const withDirectives = (n: number) =>
      `{ ${Array.from({ length: n }, () => '__typename @include(if: true)').join(' ')} }`;
    expectOk(await stack.execute(withDirectives(20)));
    expectRefused(await stack.execute(withDirectives(21)), 'directives');
  });
});

describe('INTROSPECTION=false', () => {
  let stack: Stack;
  beforeAll(async () => {
    stack = await stackWith({ INTROSPECTION: 'false' });
  });

  it('refuses __schema and __type but keeps __typename', async () => {
    const schemaRes = await stack.execute('{ __schema { queryType { name } } }');
    expectRefused(schemaRes, 'introspection');
    expect(schemaRes.errors?.[0]?.message).toMatch(/Introspection is disabled/);
    expectRefused(await stack.execute('{ __type(name: "Project") { name } }'), 'introspection');
    expectOk(await stack.execute('{ __typename }'));
  });

  it('gives no field suggestions that would reveal the schema', async () => {
    const res = await stack.execute('{ projectz { totalCount } }');
    expect(res.errors?.[0]?.message).not.toMatch(/Did you mean/);
  });
});

describe('GET parameters', () => {
  it('a GET whose variables or extensions are not a JSON object is a 400 BAD_USER_INPUT, not a 500', async () => {
    const stack = await stackWith({});
    for (const bad of ['variables=%7Bbad', 'extensions=x', 'variables=5']) {
      const res = await stack.fetch(
        `/graphql?query=${encodeURIComponent('{ __typename }')}&${bad}`,
        { headers: { accept: 'application/json' } },
      );
      expect(res.status).toBe(400);
      const body = (await res.json()) as { errors: { extensions: Record<string, unknown> }[] };
      expect(body.errors[0]?.extensions).toEqual({ code: 'BAD_USER_INPUT' });
    }
    const ok = await stack.fetch(
      `/graphql?query=${encodeURIComponent('{ __typename }')}&variables=%7B%7D`,
      { headers: { accept: 'application/json' } },
    );
    expect(ok.status).toBe(200);
  });
});
