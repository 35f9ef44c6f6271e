/**
 * A page of files that selects `dataTypes` and `sourceProject` starts the two catalogue calls
 * (P3, P10) together with the page (P1), not after it: a cold page costs one round trip, as a
 * hand-written client makes it. Proven without timing: while P1 hangs, P3 and P10 have still
 * been called; without the look-ahead they would only be called once P1 answered.
 */
import { afterAll, beforeAll, describe, expect, it, vi } from 'vitest';
import { type Stack, startStack } from '../helpers/stack.js';
import { callsOf, coldCache } from './support.js';

let stack: Stack;
beforeAll(async () => {
  // Bare calls: the hung P1 must stay one call (production would retry it after the timeout).
  stack = await startStack({
    resilience: 'none',
    env: { UPSTREAM_HEADERS_TIMEOUT_MS: '400', UPSTREAM_BODY_TIMEOUT_MS: '400' },
  });
});
afterAll(async () => {
  await stack?.close();
});

/**
 * Calls made by `action` that hangs P1 once. The gateway may give up on P1 (headers timeout)
 * before a busy in-process sandbox has even read it (Node 24 serves the three connections in
 * another order), so the count waits for that one P1 to arrive instead of racing it.
 */
async function callsWhileP1Hangs(action: () => Promise<unknown>): Promise<Record<string, number>> {
  stack.sandbox.setFaults({ rules: [{ route: 'P1', kind: 'hang', times: 1 }] });
  return callsOf(stack, async () => {
    await action();
    await vi.waitFor(() => expect(stack.sandbox.calls().P1 ?? 0).toBeGreaterThan(0), {
      timeout: 10_000,
    });
  });
}

const withRelations = (field: string) => `{ dataFiles(first: 5) { edges { node {
  basename ${field} } } } }`;

describe('catalogue look-ahead', () => {
  it('calls P3 and P10 while the page itself is still pending', async () => {
    await coldCache(stack);
    const calls = await callsWhileP1Hangs(() =>
      stack.execute(withRelations('dataTypes { name } sourceProject { name }')),
    );
    expect(calls).toEqual({ P1: 1, P3: 1, P10: 1 });
  });

  it('follows fragments, and starts only the catalogue the selection needs', async () => {
    await coldCache(stack);
    const query = `{ dataFiles(first: 5) { edges { node { ...F } } } }
      fragment F on DataFile { ... on DataFile { sourceProject { name } } }`;
    expect(await callsWhileP1Hangs(() => stack.execute(query))).toEqual({ P1: 1, P10: 1 });
  });

  it('starts nothing extra when no relation is selected', async () => {
    await coldCache(stack);
    expect(await callsOf(stack, () => stack.execute(withRelations('')))).toEqual({ P1: 1 });
  });
});
