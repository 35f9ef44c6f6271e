import type { GraphQLFormattedError } from 'graphql';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { Stack } from '../helpers/stack.js';
import { startStack } from '../helpers/stack.js';

/** Request-level errors: every one carries a stable code, and nothing internal leaks. */

const SUBGRAPH_SECRET = 'request-errors-subgraph-secret';

let stack: Stack;

beforeAll(async () => {
  stack = await startStack({ env: { SUBGRAPH_SECRET: SUBGRAPH_SECRET } });
});

afterAll(async () => {
  await stack?.close();
});

interface Answer {
  status: number;
  errors: GraphQLFormattedError[];
  text: string;
}

async function send(path: string, init: RequestInit): Promise<Answer> {
  const headers = {
    accept: 'application/graphql-response+json, application/json',
    'x-subgraph-secret': SUBGRAPH_SECRET,
    ...init.headers,
  };
  const res = await stack.fetch(path, { ...init, headers });
  const text = await res.text();
  const body = JSON.parse(text) as { errors?: GraphQLFormattedError[] };
  return { status: res.status, errors: body.errors ?? [], text };
}

const postJson = (path: string, body: string): Promise<Answer> =>
  send(path, { method: 'POST', headers: { 'content-type': 'application/json' }, body });

const codes = (answer: Answer): unknown[] => answer.errors.map((e) => e.extensions?.code);

const MISSING_VARIABLE = JSON.stringify({
  query: 'query($a: Int!) { projects(first: $a) { totalCount } }',
});

describe('request errors carry a stable extensions.code', () => {
  it('a missing required variable is BAD_USER_INPUT', async () => {
    const answer = await postJson('/graphql', MISSING_VARIABLE);
    expect(answer.status).toBe(400);
    expect(answer.errors.length).toBeGreaterThan(0);
    expect(codes(answer)).toEqual(answer.errors.map(() => 'BAD_USER_INPUT'));
    expect(answer.errors[0]?.message).toMatch(/\$a/);
  });

  it('a variable of the wrong type is BAD_USER_INPUT', async () => {
    const body = JSON.stringify({
      query: 'query($a: Int!) { projects(first: $a) { totalCount } }',
      variables: { a: 'many' },
    });
    const answer = await postJson('/graphql', body);
    expect(codes(answer)).toEqual(['BAD_USER_INPUT']);
  });

  it('an invalid JSON body is BAD_REQUEST, without the parser error', async () => {
    const answer = await postJson('/graphql', '{"query": "{ projects');
    expect(answer.status).toBe(400);
    expect(codes(answer)).toEqual(['BAD_REQUEST']);
    expect(answer.errors[0]?.extensions).not.toHaveProperty('originalError');
    expect(answer.text).not.toMatch(/originalError|SyntaxError/);
  });

  it("keeps yoga's own codes", async () => {
    expect(codes(await postJson('/graphql', JSON.stringify({ query: '{ projects(' })))).toEqual([
      'GRAPHQL_PARSE_FAILED',
    ]);
    expect(codes(await postJson('/graphql', JSON.stringify({ query: '{ noSuchField }' })))).toEqual(
      ['GRAPHQL_VALIDATION_FAILED'],
    );
    expect(
      codes(
        await postJson(
          '/graphql',
          JSON.stringify({ query: 'query A { __typename } query B { __typename }' }),
        ),
      ),
    ).toEqual(['OPERATION_RESOLUTION_FAILURE']);
    expect(codes(await postJson('/graphql', JSON.stringify({ nothing: true })))).toEqual([
      'BAD_REQUEST',
    ]);
  });

  it('applies to /subgraph too', async () => {
    const missing = await postJson('/subgraph', MISSING_VARIABLE);
    expect(missing.status).toBe(400);
    expect(codes(missing)).toEqual(missing.errors.map(() => 'BAD_USER_INPUT'));
    const invalid = await postJson('/subgraph', '{"query": ');
    expect(codes(invalid)).toEqual(['BAD_REQUEST']);
    expect(invalid.text).not.toMatch(/originalError|SyntaxError/);
  });

  it('no error lacks a code, for a set of malformed requests', async () => {
    const malformed: [string, RequestInit][] = [
      ['/graphql', { method: 'POST', headers: { 'content-type': 'application/json' }, body: '' }],
      [
        '/graphql',
        { method: 'POST', headers: { 'content-type': 'application/json' }, body: 'null' },
      ],
      [
        '/graphql',
        { method: 'POST', headers: { 'content-type': 'application/json' }, body: '[1, 2' },
      ],
      [
        '/graphql',
        {
          method: 'POST',
          headers: { 'content-type': 'application/json' },
          body: JSON.stringify({ query: 42 }),
        },
      ],
      [
        '/graphql',
        {
          method: 'POST',
          headers: { 'content-type': 'application/json' },
          body: JSON.stringify({ query: '{ __typename }', variables: 'x' }),
        },
      ],
      [
        '/graphql',
        {
          method: 'POST',
          headers: { 'content-type': 'application/json' },
          body: JSON.stringify({
            query: 'query($a: [Int!]!) { projects(first: 1) { totalCount } }',
            variables: { a: [null] },
          }),
        },
      ],
      [
        '/graphql',
        {
          method: 'POST',
          headers: { 'content-type': 'application/json' },
          body: JSON.stringify({ query: '{ __typename }', operationName: 'Nope' }),
        },
      ],
      [
        '/graphql?query=%7B%20projects(first%3A%20%24a)%20%7B%20totalCount%20%7D%20%7D',
        { method: 'GET' },
      ],
      [
        '/graphql?query=query(%24a%3A%20Int!)%20%7B%20projects(first%3A%20%24a)%20%7B%20totalCount%20%7D%20%7D',
        { method: 'GET' },
      ],
      ['/graphql?query=mutation%20%7B%20__typename%20%7D', { method: 'GET' }],
      ['/subgraph', { method: 'POST', headers: { 'content-type': 'application/json' }, body: '{' }],
      [
        '/subgraph',
        {
          method: 'POST',
          headers: { 'content-type': 'application/json' },
          body: JSON.stringify({ query: '{ nope }' }),
        },
      ],
    ];
    for (const [path, init] of malformed) {
      const answer = await send(path, init);
      expect(answer.errors.length, `${path} ${String(init.body)}`).toBeGreaterThan(0);
      for (const error of answer.errors) {
        expect(
          typeof error.extensions?.code,
          `${path} ${String(init.body)}: ${error.message}`,
        ).toBe('string');
        expect(error.extensions).not.toHaveProperty('originalError');
      }
    }
  });
});

describe('/health', () => {
  it('answers its exact path only', async () => {
    expect((await stack.fetch('/health')).status).toBe(200);
    stack.sandbox.resetCalls();
    const other = await send('/graphql?returnTo=/health', { method: 'GET' });
    // Not the health check (200, empty body): a GraphQL request without a query.
    expect(other.status).toBe(400);
    expect(codes(other)).toEqual(['BAD_REQUEST']);
    expect((await stack.fetch('/nothing/health')).status).toBe(404);
    expect((await send('/subgraph?next=/health', { method: 'GET' })).status).toBe(400);
    expect(Object.values(stack.sandbox.calls()).reduce((a, b) => a + b, 0)).toBe(0);
  });
});
