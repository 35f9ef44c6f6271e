/**
 * The rules of compiled execution (src/http/compiled-execution.ts) beyond the gateway's own
 * operations: the errors graphql-jit raises itself (non-null violations, scalars that cannot
 * serialise, a resolver's unexpected error) are masked or shown exactly as the interpreter's;
 * a document is compiled on its second sighting only, never a mutation; and the whole-response
 * cache still wraps the compiled execute.
 */
import {
  GraphQLInt,
  GraphQLList,
  GraphQLNonNull,
  GraphQLObjectType,
  GraphQLSchema,
  GraphQLString,
} from 'graphql';
import { afterAll, beforeAll, describe, expect, it, vi } from 'vitest';
import type { Sandbox } from '../../sandbox/index.js';
import { startSandbox } from '../../sandbox/index.js';
import { jitCounts as jit } from '../helpers/counting-jit.js';
import { type Stack, startStack } from '../helpers/stack.js';
import { callsOf, coldCache } from '../public/support.js';

// graphql-jit with counters: a comparison that never reached it would prove nothing.
vi.mock('graphql-jit', () => import('../helpers/counting-jit.js'));

let bumps = 0;
const Item = new GraphQLObjectType({
  name: 'Item',
  fields: {
    name: { type: GraphQLString, resolve: () => 'item' },
    required: { type: new GraphQLNonNull(GraphQLString), resolve: () => null },
  },
});
const schema = new GraphQLSchema({
  query: new GraphQLObjectType({
    name: 'Query',
    fields: {
      hello: { type: GraphQLString, resolve: () => 'world' },
      required: { type: new GraphQLNonNull(GraphQLString), resolve: () => null },
      notAnInt: { type: GraphQLInt, resolve: () => 'many' },
      internal: {
        type: GraphQLString,
        resolve: () => {
          throw new Error('db password is hunter2');
        },
      },
      items: {
        type: new GraphQLList(new GraphQLNonNull(GraphQLString)),
        resolve: () => ['a', null, 'c'],
      },
      item: { type: Item, resolve: () => ({}) },
      echo: {
        type: GraphQLInt,
        args: { n: { type: new GraphQLNonNull(GraphQLInt) } },
        resolve: (_root, args: { n: number }) => args.n,
      },
    },
  }),
  mutation: new GraphQLObjectType({
    name: 'Mutation',
    fields: { bump: { type: GraphQLInt, resolve: () => ++bumps } },
  }),
});

let sandbox: Sandbox;
let interpreted: Stack;
let compiled: Stack;
beforeAll(async () => {
  sandbox = await startSandbox({ port: 0 });
  const env = { RATE_LIMIT_PER_SECOND: '0' };
  interpreted = await startStack({
    sandbox,
    schema,
    env: { ...env, COMPILED_EXECUTION: 'off' },
  });
  compiled = await startStack({ sandbox, schema, env });
});
afterAll(async () => {
  await interpreted?.close();
  await compiled?.close();
  await sandbox?.close();
});

describe('errors graphql-jit raises itself', () => {
  it.each([
    ['a null in a non-null root field (masked)', '{ hello required }'],
    [
      'a null in a non-null nested field (masked, the parent nulled)',
      '{ hello item { name required } }',
    ],
    ['a null item in a list of non-null (the list nulled)', '{ hello items }'],
    ["a scalar that cannot serialise (the scalar's message)", '{ hello notAnInt }'],
    ["a resolver's unexpected error (masked)", '{ hello internal }'],
    ['an argument from a variable', 'query Echo($n: Int!) { echo(n: $n) }'],
    ['several errors of one kind', '{ a: notAnInt b: internal c: notAnInt hello }'],
  ])('%s', async (_name, query) => {
    const before = jit.compiles;
    const expected = await interpreted.execute(query, { n: 7 });
    expect(expected.text.length).toBeGreaterThan(10);
    for (let sighting = 1; sighting <= 3; sighting += 1) {
      const got = await compiled.execute(query, { n: 7 });
      expect(got.text, `sighting ${sighting}`).toBe(expected.text);
      expect(got.status).toBe(expected.status);
    }
    expect(jit.compiles - before).toBe(1);
    expect(expected.text).not.toContain('hunter2');
  });
});

describe('known difference: the order of errors', () => {
  it('errors that null a parent are listed after the others (the same errors and data)', async () => {
    // The interpreter lists errors as they happen; graphql-jit keeps the errors of non-null
    // fields apart and appends them. docs/compiled-execution.md: "Known differences".
    const query = '{ a: notAnInt item { required } b: internal items hello }';
    const expected = await interpreted.execute(query);
    await compiled.execute(query);
    const got = await compiled.execute(query);
    expect(got.data).toEqual(expected.data);
    const paths = (res: typeof got) => (res.errors ?? []).map((e) => e.path?.join('.'));
    expect(paths(expected)).toEqual(['a', 'item.required', 'b', 'items.1']);
    expect(paths(got)).toEqual(['a', 'b', 'item.required', 'items.1']);
    const sorted = (res: typeof got) =>
      (res.errors ?? []).map((e) => JSON.stringify(e)).sort((x, y) => (x < y ? -1 : 1));
    expect(sorted(got)).toEqual(sorted(expected));
  });
});

describe('what is compiled', () => {
  it('a document seen once is never compiled (ever-new documents cost no compilation)', async () => {
    const before = jit.compiles;
    for (let i = 0; i < 20; i += 1) {
      const res = await compiled.execute(`{ hello a${i}: hello }`);
      expect(res.data).toEqual({ hello: 'world', [`a${i}`]: 'world' });
    }
    expect(jit.compiles - before).toBe(0);
    await compiled.execute('{ hello a0: hello }');
    expect(jit.compiles - before).toBe(1);
  });

  it('a mutation is never compiled, however often it runs', async () => {
    const before = jit.compiles;
    const start = bumps;
    const answers: unknown[] = [];
    for (let i = 0; i < 4; i += 1) answers.push((await compiled.execute('mutation { bump }')).data);
    expect(answers).toEqual([1, 2, 3, 4].map((i) => ({ bump: start + i })));
    expect(jit.compiles - before).toBe(0);
  });
});

describe('a document graphql-jit refuses', () => {
  it('runs interpreted, with the same answer, and is reported once without the message', async () => {
    const query = '{ hello refused: hello }';
    const expected = await interpreted.execute(query);
    const before = jit.compiles;
    const logged = compiled.logLines.length;
    jit.refuse = true;
    try {
      for (let i = 0; i < 4; i += 1)
        expect((await compiled.execute(query)).text).toBe(expected.text);
    } finally {
      jit.refuse = false;
    }
    // Tried once (2nd sighting), then remembered as interpreted.
    expect(jit.compiles - before).toBe(1);
    const warnings = compiled.logLines
      .slice(logged)
      .filter((l) => l.includes('compiled execution'));
    expect(warnings).toHaveLength(1);
    expect(warnings.join('')).not.toContain('hunter2');
  });
});

describe('with the whole-response cache (the gateway schema)', () => {
  let gateway: Stack;
  beforeAll(async () => {
    gateway = await startStack({ sandbox, env: { RATE_LIMIT_PER_SECOND: '0' } });
  });
  afterAll(async () => {
    await gateway?.close();
  });

  it('a miss runs compiled and is stored; the hit is the same bytes without upstream calls', async () => {
    const query =
      '{ projects(first: 3) { edges { node { id name } } } dataTypes(first: 2) { totalCount } }';
    const before = jit.compiles;
    await coldCache(gateway);
    const first = await gateway.execute(query); // interpreted, stored
    await coldCache(gateway); // emptied: the next one is a miss again
    const second = await gateway.execute(query); // compiled, stored
    expect(jit.compiles - before).toBe(1);
    let third: Awaited<ReturnType<Stack['execute']>> | undefined;
    expect(await callsOf(gateway, async () => (third = await gateway.execute(query)))).toEqual({});
    expect(second.text).toBe(first.text);
    expect(third?.text).toBe(first.text);
    expect(jit.compiles - before).toBe(1);
    expect(first.errors).toBeUndefined();
  });
});
