/**
 * HTTP statuses of refused documents, per the GraphQL-over-HTTP spec: a document that fails
 * validation (the abuse limits are validation rules, the cost limit too though it runs with the
 * variables) is a 400 when the response is `application/graphql-response+json`, and a 200 when
 * it is legacy `application/json` (also what a request with no Accept, or `*∕*`, gets). And the
 * CORS preflight allows every CSRF header that a multipart upload may carry.
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { PREFLIGHT_HEADERS } from '../../src/http/multipart/streaming-uploads.js';
import type { Stack } from '../helpers/stack.js';
import { startStack } from '../helpers/stack.js';

const APP = 'https://app.example.org';
let stack: Stack;

beforeAll(async () => {
  stack = await startStack({
    env: {
      LOG_LEVEL: 'warn',
      MAX_DEPTH: '5',
      MAX_ALIASES: '2',
      MAX_TOKENS: '60',
      MAX_COST: '20',
      CORS_ORIGINS: APP,
    },
  });
});

afterAll(async () => {
  await stack?.close();
});

/** One document per limit, each refused by that limit only. */
const REFUSED: Record<string, string> = {
  depth: '{ projects(first: 1) { edges { node { registeredDataTypes { parent { name } } } } } }',
  aliases:
    '{ a: projects(first: 1) { totalCount } b: projects(first: 1) { totalCount } c: projects(first: 1) { totalCount } }',
  tokens: `{ ${Array.from({ length: 60 }, () => '__typename').join(' ')} }`,
  cost: '{ projects(first: 10) { edges { node { dataFiles(first: 10) { totalCount } } } } }',
};

/** Accept header → the media type answered and the status of a refused document. */
const MEDIA: Array<[accept: string | null, contentType: string, status: number]> = [
  ['application/graphql-response+json', 'application/graphql-response+json', 400],
  ['application/graphql-response+json, application/json', 'application/graphql-response+json', 400],
  ['application/json', 'application/json', 200],
  ['*/*', 'application/json', 200],
  [null, 'application/json', 200],
];

async function post(query: string, accept: string | null): Promise<Response> {
  const headers: Record<string, string> = { 'content-type': 'application/json' };
  if (accept !== null) headers.accept = accept;
  return stack.fetch('/graphql', { method: 'POST', headers, body: JSON.stringify({ query }) });
}

describe('documents refused by a limit', () => {
  for (const [limit, query] of Object.entries(REFUSED)) {
    it.each(MEDIA)(`${limit}: Accept %s → %s, HTTP %i`, async (accept, contentType, status) => {
      const res = await post(query, accept);
      const body = (await res.json()) as {
        data?: unknown;
        errors?: { extensions?: Record<string, unknown> }[];
      };
      expect(res.headers.get('content-type')).toContain(contentType);
      expect(res.status, JSON.stringify(body)).toBe(status);
      expect(body.data).toBeUndefined();
      expect(body.errors?.[0]?.extensions).toMatchObject({ code: 'BAD_USER_INPUT', limit });
    });
  }

  it('answers like any other validation error (same status per media type)', async () => {
    for (const [accept, , status] of MEDIA) {
      const res = await post('{ noSuchField }', accept);
      expect(res.status).toBe(status);
    }
  });

  it('lets a document just within every limit run, HTTP 200 for both media types', async () => {
    for (const [accept] of MEDIA) {
      const res = await post('{ projects(first: 2) { totalCount } }', accept);
      expect(res.status).toBe(200);
      expect(((await res.json()) as { errors?: unknown }).errors).toBeUndefined();
    }
  });
});

describe('CORS preflight', () => {
  it('allows every CSRF header a multipart upload may carry, with authorization and content-type', async () => {
    const res = await stack.fetch('/graphql', {
      method: 'OPTIONS',
      headers: {
        origin: APP,
        'access-control-request-method': 'POST',
        'access-control-request-headers': ['authorization', ...PREFLIGHT_HEADERS].join(','),
      },
    });
    expect(res.headers.get('access-control-allow-origin')).toBe(APP);
    const allowed = (res.headers.get('access-control-allow-headers') ?? '')
      .split(',')
      .map((h) => h.trim().toLowerCase());
    expect(allowed).toEqual(
      expect.arrayContaining(['authorization', 'content-type', ...PREFLIGHT_HEADERS]),
    );
  });

  it('lists in the README exactly the CSRF headers the gateway accepts', async () => {
    const { readFile } = await import('node:fs/promises');
    const readme = await readFile(new URL('../../README.md', import.meta.url), 'utf8');
    const sentence = /plus one CSRF header, any of ([^(]+)\(/.exec(readme)?.[1] ?? '';
    const listed = [...sentence.matchAll(/`([a-z-]+)`/g)].map((m) => m[1]);
    expect(listed.sort()).toEqual([...PREFLIGHT_HEADERS].sort());
  });
});
