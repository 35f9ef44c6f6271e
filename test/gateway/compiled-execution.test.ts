/**
 * Compiled execution (src/http/compiled-execution.ts) answers byte for byte what the interpreter
 * answers: the same operations, against one sandbox, through a gateway with COMPILED_EXECUTION
 * off and one with it on (default), response bodies compared as strings. The compiled side runs
 * each operation three times (interpreted, then compiled on the 2nd sighting, then compiled from
 * the LRU) and each answer must equal the interpreter's, with the same upstream calls.
 */
import { afterAll, beforeAll, describe, expect, it, vi } from 'vitest';
import type { FaultRule } from '../../sandbox/controls.js';
import type { Sandbox } from '../../sandbox/index.js';
import { startSandbox } from '../../sandbox/index.js';
import { startTwinStacks, withoutDownloadKeys } from '../helpers/compiled-twins.js';
import { jitCounts as jit } from '../helpers/counting-jit.js';
import type { Stack } from '../helpers/stack.js';
import { callsOf, coldCache, toGlobalId } from '../public/support.js';

// graphql-jit with counters: a comparison that never reached it would prove nothing.
vi.mock('graphql-jit', () => import('../helpers/counting-jit.js'));

let sandbox: Sandbox;
let interpreted: Stack;
let compiled: Stack;
// No whole-response cache (it would answer the repeats) and bare upstream calls (faults are
// injected once and must fail the same way on both sides).
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
  name: string;
  query: string;
  variables?: Record<string, unknown>;
  token?: () => string;
  /** Sandbox faults set before each run (used up by it). */
  faults?: () => FaultRule[];
  /** Never compiled (introspection: compiled-execution-attack.test.ts says why). */
  interpretedOnly?: true;
}

const firstFile = () => sandbox.store.publicIndexes().all[0]?.id ?? 0;
const firstProject = () => sandbox.store.approvedProjects()[0]?.id ?? 0;
const memberToken = () => Object.values(sandbox.memberTokens)[0] ?? '';

const CASES: Case[] = [
  {
    name: 'a page with relations, custom scalars and cursors',
    query: `{ dataFiles(first: 25) { totalCount pageInfo { hasNextPage endCursor }
      edges { cursor node { id databaseId basename created metadata downloadUrl tags
        dataTypes { name } sourceProject { name } user { username } } } } }`,
  },
  {
    name: 'aliases, named and inline fragments, __typename',
    query: `query Catalogue { __typename
      a: projects(first: 3) { edges { node { ...P } } }
      b: dataTypes(first: 4) { edges { node { __typename ... on DataType { name parent { name }
        children { name } } } } } }
      fragment P on Project { __typename id name active approved leader }`,
  },
  {
    name: 'variables, defaults, @include and @skip',
    query: `query Page($n: Int!, $withUser: Boolean!, $skipTypes: Boolean = true) {
      dataFiles(first: $n) { edges { node { basename user @include(if: $withUser) { username }
        dataTypes @skip(if: $skipTypes) { name } } } } }`,
    variables: { n: 5, withUser: true },
  },
  {
    name: 'a missing variable (a request error, answered by the interpreter)',
    query: 'query Page($n: Int!) { dataFiles(first: $n) { totalCount } }',
  },
  {
    name: 'a variable of the wrong type',
    query: 'query Count($n: Int!) { files: dataFiles(first: $n) { totalCount } }',
    variables: { n: 'many' },
  },
  {
    name: 'partial errors: NOT_FOUND next to data',
    query: `{ found: dataFile(databaseId: FILE) { basename created }
      missing: dataFile(databaseId: 999999999) { basename }
      project(databaseId: PROJECT) { name } }`,
  },
  {
    name: 'node and nodes, one id unknown',
    query: `{ node(id: "FILE_ID") { __typename id ... on DataFile { basename } }
      nodes(ids: ["FILE_ID", "PROJECT_ID", "${toGlobalId('DataFile', 999999999)}"]) {
        __typename id ... on Project { name } } }`,
  },
  {
    name: 'nodes with a malformed id (BAD_USER_INPUT nulls the root)',
    query: '{ nodes(ids: ["FILE_ID", "bogus"]) { id } }',
  },
  {
    name: 'several errors in one answer',
    query: `{ a: dataFile(databaseId: 999999998) { basename }
      b: dataFile(databaseId: 999999999) { basename } viewer { tokenKind }
      c: dataFile(databaseId: FILE) { databaseId } }`,
  },
  {
    name: 'null propagation: a failing non-null list nulls its parents',
    query: '{ dataFiles(first: 3) { edges { node { databaseId dataTypes { name } } } } }',
    faults: () => [{ route: 'P3', kind: 'status', status: 500 }],
  },
  {
    name: 'null propagation stops at a nullable parent',
    query: `{ dataFile(databaseId: FILE) { basename dataTypes { name } }
      project(databaseId: PROJECT) { name } }`,
    faults: () => [{ route: 'P3', kind: 'status', status: 500 }],
  },
  {
    name: 'null propagation to the root: a failing non-null root field',
    query: '{ dataFiles(first: 3) { totalCount edges { node { databaseId } } } }',
    faults: () => [{ route: 'P1', kind: 'status', status: 500, times: 1 }],
  },
  {
    name: 'introspection',
    query: `{ __schema { queryType { name } types { name kind } }
      __type(name: "DataFile") { fields { name type { name kind ofType { name kind } } } } }`,
    interpretedOnly: true,
  },
  {
    name: 'a token-scoped viewer (member token)',
    query: `{ viewer { tokenKind project { name } member { projectMemberId created fileCount
      dataFiles(first: 3) { edges { node { basename created metadata } } } } } }`,
    token: memberToken,
  },
  {
    name: 'a token-scoped viewer (master token), an unknown member',
    query: `{ viewer { tokenKind project { name member(projectMemberId: "00000000") { created } } } }`,
    token: () => sandbox.masterToken,
  },
  {
    name: 'no token where one is needed (UNAUTHENTICATED)',
    query: '{ viewer { tokenKind } }',
  },
];

function textOf(c: Case): string {
  return c.query
    .replaceAll('FILE_ID', toGlobalId('DataFile', firstFile()))
    .replaceAll('PROJECT_ID', toGlobalId('Project', firstProject()))
    .replaceAll('FILE', String(firstFile()))
    .replaceAll('PROJECT', String(firstProject()));
}

/** One run from a cold public cache: the body and the upstream calls it made. */
async function run(stack: Stack, c: Case): Promise<{ text: string; calls: unknown }> {
  await coldCache(stack);
  let text = '';
  const calls = await callsOf(stack, async () => {
    if (c.faults) sandbox.setFaults({ rules: c.faults() });
    const token = c.token?.();
    const res = await stack.execute(textOf(c), c.variables, token === undefined ? {} : { token });
    text = res.text;
  });
  sandbox.clearFaults();
  return { text: withoutDownloadKeys(text), calls };
}

describe('compiled execution answers what the interpreter answers', () => {
  it.each(CASES.map((c) => [c.name, c] as const))('%s', async (_name, c) => {
    const before = { ...jit };
    for (let sighting = 1; sighting <= 3; sighting += 1) {
      // Side by side, so that token and catalogue caches are as warm on both sides.
      const expected = await run(interpreted, c);
      expect(expected.text.length).toBeGreaterThan(20);
      const got = await run(compiled, c);
      expect(got.text, `sighting ${sighting}`).toBe(expected.text);
      expect(got.calls, `sighting ${sighting}`).toEqual(expected.calls);
    }
    // Compiled once, on the 2nd sighting (never by the interpreted gateway), then run compiled
    // on the 2nd and the 3rd.
    expect(jit.compiles - before.compiles).toBe(c.interpretedOnly ? 0 : 1);
    expect(jit.runs - before.runs).toBe(c.interpretedOnly ? 0 : 2);
  });
});
