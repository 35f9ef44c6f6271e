/**
 * A page of files that selects `dataTypes` and `sourceProject` starts the two catalogue calls
 * (P3, P10) together with the page (P1), not after it: a cold page costs one round trip, as a
 * hand-written client makes it. Proven without timing: while P1 hangs, P3 and P10 have still
 * been called; without the look-ahead they would only be called once P1 answered.
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { startStack, type Stack } from '../helpers/stack.js';
import { callsOf, coldCache } from './support.js';

let stack: Stack;
beforeAll(async () => {
  stack = await startStack({ env: { UPSTREAM_HEADERS_TIMEOUT_MS: '400', UPSTREAM_BODY_TIMEOUT_MS: '400' } });
});
afterAll(async () => {
  await stack?.close();
});

const withRelations = (field: string) => `{ dataFiles(first: 5) { edges { node {
  basename ${field} } } } }`;

describe('catalogue look-ahead', () => {
  it('calls P3 and P10 while the page itself is still pending', async () => {
    await coldCache(stack);
    stack.sandbox.setFaults({ rules: [{ route: 'P1', kind: 'hang', times: 1 }] });
    const calls = await callsOf(stack, () =>
      stack.execute(withRelations('dataTypes { name } sourceProject { name }')),
    );
    expect(calls).toEqual({ P1: 1, P3: 1, P10: 1 });
  });

  it('follows fragments, and starts only the catalogue the selection needs', async () => {
    await coldCache(stack);
    stack.sandbox.setFaults({ rules: [{ route: 'P1', kind: 'hang', times: 1 }] });
    const query = `{ dataFiles(first: 5) { edges { node { ...F } } } }
      fragment F on DataFile { ... on DataFile { sourceProject { name } } }`;
    expect(await callsOf(stack, () => stack.execute(query))).toEqual({ P1: 1, P10: 1 });
  });

  it('starts nothing extra when no relation is selected', async () => {
    await coldCache(stack);
    expect(await callsOf(stack, () => stack.execute(withRelations('')))).toEqual({ P1: 1 });
  });
});
