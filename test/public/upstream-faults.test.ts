/**
 * Upstream failures on public queries, injected by the sandbox: HTML 500s, 503s, truncated JSON,
 * connection resets and hangs each become one stable error code, failures are never cached, a
 * nested-list 500 for an existing parent stays an upstream error, and no token reaches a response
 * or a log line.
 */
import { afterAll, afterEach, beforeAll, describe, expect, it } from 'vitest';
import { findSecrets, type Stack, startStack } from '../helpers/stack.js';
import { callsOf, coldCache, fails, ok } from './support.js';

/** Obviously fake, and sent on every request of this file: it must never come back. */
const FAKE_TOKEN = 'fake-test-token-public-graph-0123456789';

let stack: Stack;
const bodies: string[] = [];
beforeAll(async () => {
  // Short timeouts so that a hanging upstream fails fast (no timing is asserted). Bare calls:
  // this file maps ONE failed call to its code; retries of the same faults are test/resilience's.
  stack = await startStack({
    resilience: 'none',
    env: { UPSTREAM_HEADERS_TIMEOUT_MS: '400', UPSTREAM_BODY_TIMEOUT_MS: '400' },
  });
});
afterEach(() => {
  stack.sandbox.clearFaults();
});
afterAll(async () => {
  await stack?.close();
});

async function failsWith(query: string, code: string) {
  const res = await fails(stack, query, code, undefined, FAKE_TOKEN);
  bodies.push(res.text);
  // Never an HTML page, an upstream URL or a stack trace in what the client sees.
  expect(res.text).not.toMatch(/<html|<!DOCTYPE|127\.0\.0\.1|openhumans\.org\/api|\.ts:\d+/i);
  return res;
}

const FILES = '{ dataFiles(first: 3) { totalCount edges { node { databaseId } } } }';

describe('faults on a public list (P1)', () => {
  it.each([
    ['an HTML 500', { kind: 'status', status: 500 }, 'UPSTREAM_ERROR'],
    ['a 503', { kind: 'status', status: 503 }, 'UPSTREAM_UNAVAILABLE'],
    ['a 502', { kind: 'status', status: 502 }, 'UPSTREAM_UNAVAILABLE'],
    // The body is cut short of its Content-Length and the connection dropped: a transient failure.
    ['truncated JSON', { kind: 'truncate' }, 'UPSTREAM_UNAVAILABLE'],
    ['a connection reset', { kind: 'reset' }, 'UPSTREAM_UNAVAILABLE'],
    ['a hang (timeout)', { kind: 'hang' }, 'UPSTREAM_UNAVAILABLE'],
  ] as const)('%s → %j → %s, and the failure is not cached', async (_name, fault, code) => {
    await coldCache(stack);
    stack.sandbox.setFaults({ rules: [{ route: 'P1', ...fault, times: 1 }] });
    const res = await failsWith(FILES, code);
    expect(res.data).toBeNull();
    // The fault was used up: the very next request is served, from a fresh upstream call.
    expect(await callsOf(stack, () => ok(stack, FILES))).toEqual({ P1: 1 });
  });
});

describe('faults behind relations and nested lists', () => {
  it('a failing held list fails the relation fields, not silently empties them', async () => {
    await coldCache(stack);
    stack.sandbox.setFaults({ rules: [{ route: 'P3', kind: 'status', status: 500 }] });
    const res = await stack.execute<{
      dataFiles: { edges: { node: { dataTypes: unknown } | null }[] } | null;
    }>('{ dataFiles(first: 2) { edges { node { databaseId dataTypes { name } } } } }', undefined, {
      token: FAKE_TOKEN,
    });
    bodies.push(res.text);
    expect(res.errors?.map((e) => e.extensions?.code)).toContain('UPSTREAM_ERROR');
    expect(res.errors?.every((e) => e.path?.includes('dataTypes'))).toBe(true);
  });

  it('a 500 on a nested list of an existing project is an upstream error, confirmed once, not retried', async () => {
    await coldCache(stack);
    const project = stack.sandbox.store.approvedProjects()[0];
    if (!project) throw new Error('no project');
    stack.sandbox.setFaults({ rules: [{ route: 'P12', kind: 'status', status: 500 }] });
    const calls = await callsOf(stack, () =>
      failsWith(
        `{ dataFiles(first: 2, filter: { projectId: ${project.id} }) { totalCount } }`,
        'UPSTREAM_ERROR',
      ),
    );
    expect(calls).toEqual({ P12: 1, P11: 1 });
  });

  it('an unavailable detail endpoint during confirmation is reported as unavailable, not NOT_FOUND', async () => {
    await coldCache(stack);
    stack.sandbox.setFaults({
      rules: [
        { route: 'P8', kind: 'status', status: 500 },
        { route: 'P7', kind: 'status', status: 503 },
      ],
    });
    await failsWith(
      '{ dataFiles(filter: { username: "anyone_at_all" }) { totalCount } }',
      'UPSTREAM_UNAVAILABLE',
    );
  });
});

describe('secrets', () => {
  it('no token appears in any response or log line of this file', () => {
    expect(bodies.length).toBeGreaterThan(5);
    expect(findSecrets([...bodies, ...stack.logLines], [FAKE_TOKEN])).toEqual([]);
  });
});
