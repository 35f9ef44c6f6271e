/**
 * Compiled execution (src/http/compiled-execution.ts) against the interpreter on more operations
 * than compiled-execution.test.ts: GraphiQL's example tabs, the typed documents of
 * test/documents/public.graphql sent as one document with `operationName`, and the shapes a picky
 * client sends (defaults of variables and `@include`, input objects and list coercion, errors in
 * lists and deep under them, enums and `__typename` on abstract types, repeated response names,
 * a query picked out of a document with a mutation, variables that do not coerce). Each runs
 * three times on a gateway with COMPILED_EXECUTION off and one with it on, bodies compared as
 * strings with the upstream calls; the compiled side must have compiled each once. And an
 * upstream call ended by the request deadline (UPSTREAM_UNAVAILABLE) answers the same.
 */
import { readFileSync } from 'node:fs';
import { afterAll, beforeAll, describe, expect, it, vi } from 'vitest';
import type { Sandbox } from '../../sandbox/index.js';
import { startSandbox } from '../../sandbox/index.js';
import { EXAMPLE_TABS } from '../../src/http/graphiql-examples.js';
import { startTwinStacks, withoutDownloadKeys } from '../helpers/compiled-twins.js';
import { jitCounts as jit } from '../helpers/counting-jit.js';
import { type Stack, startStack } from '../helpers/stack.js';
import { callsOf, coldCache, toGlobalId } from '../public/support.js';

// graphql-jit with counters: a comparison that never reached it would prove nothing.
vi.mock('graphql-jit', () => import('../helpers/counting-jit.js'));

let sandbox: Sandbox;
let interpreted: Stack;
let compiled: Stack;
const env = { RESPONSE_CACHE_MAX_ENTRIES: '0', RATE_LIMIT_PER_SECOND: '0' };
beforeAll(async () => {
  sandbox = await startSandbox({ port: 0 });
  ({ interpreted, compiled } = await startTwinStacks(sandbox, { resilience: 'none', env }));
});
afterAll(async () => {
  await interpreted?.close();
  await compiled?.close();
  await sandbox?.close();
});

interface Case {
  query: string;
  operationName?: string;
  variables?: () => Record<string, unknown>;
  token?: () => string;
  /** Compilations expected on the compiled side (0: runs interpreted every time). */
  compiles?: number;
}

const firstFile = () => sandbox.store.publicIndexes().all[0]?.id ?? 0;
const firstProject = () => sandbox.store.approvedProjects()[0]?.id ?? 0;
const PUBLIC_DOCUMENT = readFileSync(
  new URL('../documents/public.graphql', import.meta.url),
  'utf8',
);

const CASES: Record<string, Case> = {
  ...Object.fromEntries(
    EXAMPLE_TABS.map((tab, i) => [
      `GraphiQL example ${i + 1}`,
      { query: tab.query, token: tab.headers ? () => sandbox.masterToken : undefined },
    ]),
  ),
  'public.graphql, operationName ProjectsPage': {
    query: PUBLIC_DOCUMENT,
    operationName: 'ProjectsPage',
    variables: () => ({ first: 3 }),
  },
  'public.graphql, operationName DataFileSummary': {
    query: PUBLIC_DOCUMENT,
    operationName: 'DataFileSummary',
    variables: () => ({ databaseId: firstFile() }),
  },
  'defaults of variables and @include, none given': {
    query: `query ($w: Boolean = true, $n: Int = 2) { projects(first: $n) {
      edges { node { name slug @include(if: $w) type } } } }`,
  },
  'defaults of variables and @include, both given': {
    query: `query ($w: Boolean = true, $n: Int = 2) { projects(first: $n) {
      edges { node { name slug @include(if: $w) type } } } }`,
    variables: () => ({ w: false, n: 1 }),
    // The document of the case above: its plan, compiled there, runs with other variables.
    compiles: 0,
  },
  'an input object from a variable': {
    query: `query ($f: DataFileFilter) { dataFiles(first: 3, filter: $f) { totalCount
      edges { node { basename sourceProject { name } } } } }`,
    variables: () => ({ f: { projectId: firstProject() } }),
  },
  'an input object literal that matches nothing': {
    query: '{ dataFiles(first: 3, filter: { username: "nobody-at-all" }) { totalCount } }',
  },
  'a single id coerced to a list; __typename on an abstract type': {
    query: `query ($ids: [ID!]!) { nodes(ids: $ids) { __typename id
      ... on DataFile { basename } ... on Project { name type } } }`,
    variables: () => ({ ids: toGlobalId('Project', firstProject()) }),
  },
  'errors inside a list (a missing and a malformed id)': {
    query: `query ($ids: [ID!]!) { nodes(ids: $ids) { __typename id ... on DataFile { basename } } }`,
    variables: () => ({
      ids: [toGlobalId('DataFile', firstFile()), toGlobalId('DataFile', 987654321), 'nope'],
    }),
  },
  'an error deep in a list (a token-scoped field without a token)': {
    query: `{ projects(first: 2) { edges { node { name
      member(projectMemberId: "00000000") { created } } } } }`,
  },
  'repeated response names merged; enums': {
    query: `{ a: projects(first: 2) { edges { node { type } } }
      a: projects(first: 2) { edges { node { name type } } } }`,
  },
  'a query picked out of a document with a mutation': {
    query: `query Q { projects(first: 1) { totalCount } }
      mutation M { completeDataFileUpload(input: { handle: "x" }) { __typename } }`,
    operationName: 'Q',
  },
  'a variable that does not coerce (the interpreter answers it)': {
    query: 'query ($n: Int!) { projects(first: $n) { totalCount } }',
    variables: () => ({ n: 'many' }),
  },
};

/** One run from a cold public cache: the body and the upstream calls it made. */
async function run(stack: Stack, c: Case): Promise<{ text: string; calls: unknown }> {
  await coldCache(stack);
  let text = '';
  const token = c.token?.();
  const calls = await callsOf(stack, async () => {
    const res = await stack.fetch('/graphql', {
      method: 'POST',
      headers: {
        'content-type': 'application/json',
        accept: 'application/graphql-response+json',
        ...(token ? { authorization: `Bearer ${token}` } : {}),
      },
      body: JSON.stringify({
        query: c.query,
        operationName: c.operationName,
        variables: c.variables?.(),
      }),
    });
    text = `${res.status} ${await res.text()}`;
  });
  return { text: withoutDownloadKeys(text), calls };
}

describe('compiled execution answers what the interpreter answers (more operations)', () => {
  it.each(Object.entries(CASES))('%s', async (_name, c) => {
    const before = jit.compiles;
    for (let sighting = 1; sighting <= 3; sighting += 1) {
      const expected = await run(interpreted, c);
      expect(expected.text.length).toBeGreaterThan(20);
      const got = await run(compiled, c);
      expect(got.text, `sighting ${sighting}`).toBe(expected.text);
      expect(got.calls, `sighting ${sighting}`).toEqual(expected.calls);
    }
    expect(jit.compiles - before).toBe(c.compiles ?? 1);
  });
});

describe('an upstream call ended by the request deadline', () => {
  const stacks: Stack[] = [];
  afterAll(async () => {
    for (const stack of stacks) await stack.close();
  });

  it('answers the same UPSTREAM_UNAVAILABLE (a non-null root field: data null)', async () => {
    const deadlineEnv = {
      ...env,
      REQUEST_DEADLINE_MS: '400',
      // Far longer than the deadline: only the deadline ends the hanging call.
      UPSTREAM_HEADERS_TIMEOUT_MS: '20000',
      PUBLIC_CACHE_MAX_ENTRIES: '0',
    };
    const off = await startStack({
      sandbox,
      resilience: 'none',
      env: { ...deadlineEnv, COMPILED_EXECUTION: 'off' },
    });
    stacks.push(off);
    const on = await startStack({ sandbox, resilience: 'none', env: deadlineEnv });
    stacks.push(on);
    const query = `{ projects(first: 2) { totalCount edges { node { name } } }
      dataTypes(first: 1) { totalCount } }`;
    const hang = async (stack: Stack): Promise<string> => {
      sandbox.setFaults({ rules: [{ route: 'P10', kind: 'hang', times: 1 }] });
      try {
        return (await stack.execute(query)).text;
      } finally {
        sandbox.clearFaults();
      }
    };
    const before = jit.compiles;
    for (let sighting = 1; sighting <= 3; sighting += 1) {
      const expected = await hang(off);
      expect(expected).toContain('UPSTREAM_UNAVAILABLE');
      // `projects` is non-null: its error nulls the whole answer.
      expect(expected).toContain('"data":null');
      expect(await hang(on), `sighting ${sighting}`).toBe(expected);
    }
    expect(jit.compiles - before).toBe(1);
  });
});
