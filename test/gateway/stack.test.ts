import { createSchema } from 'graphql-yoga';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { Stack } from '../helpers/stack.js';
import { findSecrets, startStack } from '../helpers/stack.js';

describe('test stack (sandbox + gateway in-process)', () => {
  let stack: Stack;
  beforeAll(async () => {
    // A tiny schema: this file tests the stack's plumbing, not the public graph.
    stack = await startStack({
      schema: createSchema({
        typeDefs: 'type Query { ping: String }',
        resolvers: { Query: { ping: () => 'pong' } },
      }),
    });
  });
  afterAll(async () => {
    await stack?.close();
  });

  it('executes an operation through yoga.fetch with the request id echoed', async () => {
    const res = await stack.execute('{ __typename }', undefined, {
      headers: { 'x-request-id': 'stack-test-1' },
    });
    expect(res.status).toBe(200);
    expect(res.data).toEqual({ __typename: 'Query' });
    expect(res.headers.get('x-request-id')).toBe('stack-test-1');
  });

  it('serves the same gateway over a real socket', async () => {
    const url = await stack.listen();
    const res = await fetch(`${url}/graphql`, {
      method: 'POST',
      headers: { 'content-type': 'application/json' },
      body: JSON.stringify({ query: '{ __typename }' }),
    });
    expect(res.status).toBe(200);
    expect(await res.json()).toEqual({ data: { __typename: 'Query' } });
  });

  it('reports readiness from the sandbox and leaves no token in the logs', async () => {
    const res = await stack.fetch('/readiness');
    expect(res.status).toBe(200);
    expect(await res.json()).toEqual({ status: 'ready' });
    expect(stack.sandbox.calls().P3).toBeGreaterThanOrEqual(1);
    await stack.execute('{ __typename }', undefined, { token: stack.sandbox.masterToken });
    expect(stack.logLines.length).toBeGreaterThan(0);
    expect(findSecrets(stack.logLines, [stack.sandbox.masterToken])).toEqual([]);
  });
});
