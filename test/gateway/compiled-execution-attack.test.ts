/**
 * Compiled execution (src/http/compiled-execution.ts) against a hostile client: compiling costs
 * about the generated code, i.e. the fields of an operation with its fragments spread out, and
 * the limits do not bound that (`__schema` is exempt from the depth limit, introspection and
 * `first: 0` subtrees cost nothing, fragments multiply). Measured before the size rule: a 100-deep
 * `ofType` chain (~500 tokens) took 200 ms to compile, a 400-deep one seconds, against well
 * under 1 ms interpreted; each distinct document sent twice paid it once.
 * Such operations must run interpreted (counted compilations, same bytes as the interpreter).
 * And the compiled plans are bounded per operation: one document can hold hundreds.
 */
import { GraphQLObjectType, GraphQLSchema, GraphQLString, getIntrospectionQuery } from 'graphql';
import { createYoga } from 'graphql-yoga';
import { afterAll, beforeAll, describe, expect, it, vi } from 'vitest';
import type { Sandbox } from '../../sandbox/index.js';
import { startSandbox } from '../../sandbox/index.js';
import { useCompiledExecution } from '../../src/http/compiled-execution.js';
import { SUBGRAPH_TEST_SECRET } from '../federation/support.js';
import { startTwinStacks } from '../helpers/compiled-twins.js';
import { jitCounts as jit } from '../helpers/counting-jit.js';
import { type Stack, startStack } from '../helpers/stack.js';

// graphql-jit with counters: a comparison that never reached it would prove nothing.
vi.mock('graphql-jit', () => import('../helpers/counting-jit.js'));

let sandbox: Sandbox;
let interpreted: Stack;
let compiled: Stack;
const env = { RESPONSE_CACHE_MAX_ENTRIES: '0', RATE_LIMIT_PER_SECOND: '0' };
beforeAll(async () => {
  sandbox = await startSandbox({ port: 0 });
  ({ interpreted, compiled } = await startTwinStacks(sandbox, { env }));
});
afterAll(async () => {
  await interpreted?.close();
  await compiled?.close();
  await sandbox?.close();
});

/** `{ __schema { queryType { name kind ofType { … } } } }`, `levels` deep. */
function ofTypeChain(levels: number): string {
  let selection = '{ name }';
  for (let i = 0; i < levels; i += 1) selection = `{ name kind ofType ${selection} }`;
  return `{ __schema { queryType ${selection} } }`;
}

const PROJECT_LEAVES = `active approved authorizedMembers badgeImage contactEmail databaseId id
  idLabel infoUrl isAcademicOrNonprofit isStudy leader longDescription name organization
  requestSourcesAccess requestUsernameAccess returnedDataDescription shortDescription slug type`;

/** 20 aliased empty pages of one fragment: cost 20, ~500 tokens, 500+ fields to compile. */
function emptyPages(): string {
  const pages = Array.from(
    { length: 20 },
    (_, i) =>
      `p${i}: projects(first: 0) { edges { cursor node { ...P } } pageInfo { hasNextPage } }`,
  );
  return `{ ${pages.join(' ')} }\nfragment P on Project { ${PROJECT_LEAVES} }`;
}

/** Sends `query` three times to each side: same bytes, and `compiles` compilations. */
async function sameAnswers(query: string, compiles: number): Promise<string> {
  const expected = await interpreted.execute(query);
  const before = jit.compiles;
  for (let sighting = 1; sighting <= 3; sighting += 1) {
    const got = await compiled.execute(query);
    expect(got.text, `sighting ${sighting}`).toBe(expected.text);
    expect(got.status).toBe(expected.status);
  }
  expect(jit.compiles - before).toBe(compiles);
  return expected.text;
}

describe('operations too costly to compile run interpreted', () => {
  it('a 100-deep ofType chain under __schema (no depth limit there) is never compiled', async () => {
    const text = await sameAnswers(ofTypeChain(100), 0);
    expect(text).toContain('"queryType":{"name":"Query"');
  });

  it("GraphiQL's introspection query is never compiled", async () => {
    const text = await sameAnswers(getIntrospectionQuery(), 0);
    expect(text).toContain('"__schema"');
  });

  it('__type is never compiled', async () => {
    await sameAnswers('{ __type(name: "Project") { name fields { name } } }', 0);
  });

  it('fragments spread over free (first: 0) pages past 500 fields are never compiled', async () => {
    const text = await sameAnswers(emptyPages(), 0);
    expect(text).not.toContain('"errors"');
  });

  it('the same pages, fewer of them, are compiled once (the rule is about size)', async () => {
    const query = `{ p0: projects(first: 0) { edges { node { ...P } } } }
      fragment P on Project { ${PROJECT_LEAVES} }`;
    await sameAnswers(query, 1);
  });
});

describe('a document of many operations', () => {
  // The plugin alone on a tiny yoga: the LRU bounds are options, not settings.
  const tiny = new GraphQLSchema({
    query: new GraphQLObjectType({
      name: 'Query',
      fields: { hello: { type: GraphQLString, resolve: () => 'world' } },
    }),
  });
  const yoga = createYoga({
    schema: tiny,
    plugins: [useCompiledExecution({ maxCompiled: 2 })],
    logging: false,
  });
  const run = async (document: string, operationName: string): Promise<unknown> => {
    const res = await yoga.fetch('http://yoga.test/graphql', {
      method: 'POST',
      headers: { 'content-type': 'application/json' },
      body: JSON.stringify({ query: document, operationName }),
    });
    return res.json();
  };

  it('each operation is compiled on its own 2nd sighting', async () => {
    const document = 'query A { hello } query B { a: hello } query C { b: hello }';
    const before = jit.compiles;
    await run(document, 'A');
    await run(document, 'A');
    expect(jit.compiles - before).toBe(1);
    // Another operation of a document already compiled: its 1st sighting compiles nothing.
    expect(await run(document, 'B')).toEqual({ data: { a: 'world' } });
    expect(jit.compiles - before).toBe(1);
    await run(document, 'B');
    expect(jit.compiles - before).toBe(2);
  });

  it('the compiled LRU counts operations, not documents (one document cannot hold 400)', async () => {
    const document = 'query A { hello } query B { a: hello } query C { b: hello }';
    const other = `${document} `; // another document, the same operations
    const before = jit.compiles;
    for (const name of ['A', 'B', 'C']) {
      await run(other, name);
      await run(other, name);
    }
    expect(jit.compiles - before).toBe(3);
    // maxCompiled 2: A fell out when C was compiled, and is compiled again on its 2nd sighting.
    await run(other, 'A');
    await run(other, 'A');
    expect(jit.compiles - before).toBe(4);
  });
});

describe('the federation subgraph', () => {
  it('/subgraph (its own yoga, with inline traces) never compiles, however often a query runs', async () => {
    const stack = await startStack({
      sandbox,
      env: { ...env, SUBGRAPH_SECRET: SUBGRAPH_TEST_SECRET },
    });
    try {
      const query = '{ projects(first: 2) { totalCount edges { node { name } } } }';
      const before = jit.compiles;
      const answers: unknown[] = [];
      for (let i = 0; i < 3; i += 1) {
        const res = await stack.fetch('/subgraph', {
          method: 'POST',
          headers: {
            'content-type': 'application/json',
            accept: 'application/json',
            'x-subgraph-secret': SUBGRAPH_TEST_SECRET,
          },
          body: JSON.stringify({ query }),
        });
        answers.push(((await res.json()) as { data?: unknown }).data);
      }
      expect(answers[2]).toEqual(answers[0]);
      expect(JSON.stringify(answers[0])).toContain('"totalCount"');
      expect(jit.compiles - before).toBe(0);
      // The same query on /graphql of the same gateway is compiled (the counter works here).
      for (let i = 0; i < 2; i += 1) await stack.execute(query);
      expect(jit.compiles - before).toBe(1);
    } finally {
      await stack.close();
    }
  });
});
