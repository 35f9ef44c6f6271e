/**
 * Our subgraph composed with a second subgraph that extends `DataFile` and `Project`, queried
 * through a real Hive Gateway in-process (gateway.fetch), which calls both subgraphs over
 * loopback HTTP: cross-subgraph fields resolve, entity fetches are batched (counted in the
 * reviews subgraph and at the sandbox), and the client's Authorization header reaches Open
 * Humans (and only Open Humans).
 */
import { readFile } from 'node:fs/promises';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { Sandbox } from '../../sandbox/index.js';
import { startSandbox } from '../../sandbox/index.js';
import { printSubgraph, subgraphSchema } from '../../src/federation/subgraph.js';
import { findSecrets, type Stack, startStack } from '../helpers/stack.js';
import { allTokens, countCalls } from '../private/support.js';
import {
  annotationOf,
  compose,
  compositionErrors,
  type ReviewsSubgraph,
  reviewCount,
  SUBGRAPH_TEST_SECRET,
  startReviewsSubgraph,
  startRouter,
} from './support.js';

type Router = ReturnType<typeof startRouter>;
type Body<T> = { data?: T; errors?: { message: string; extensions?: Record<string, unknown> }[] };

let sandbox: Sandbox;
let stack: Stack;
let reviews: ReviewsSubgraph;
let router: Router;
let featured: number[];
const texts: string[] = [];

/** Requests our `/subgraph` endpoint has answered (from the gateway's access log). */
const subgraphRequests = (): number =>
  stack.logLines.filter((l) => l.includes('"path":"/subgraph"')).length;

async function query<T>(target: Router, text: string, token?: string): Promise<Body<T>> {
  const headers: Record<string, string> = {
    'content-type': 'application/json',
    accept: 'application/json',
  };
  if (token) headers.authorization = `Bearer ${token}`;
  const init = { method: 'POST', headers, body: JSON.stringify({ query: text }) };
  const res = await target.fetch('http://router.test/graphql', init);
  const body = await res.text();
  texts.push(body);
  return JSON.parse(body) as Body<T>;
}

beforeAll(async () => {
  sandbox = await startSandbox({ port: 0, sizes: { publicFiles: 400, users: 60, members: 12 } });
  stack = await startStack({ sandbox, env: { SUBGRAPH_SECRET: SUBGRAPH_TEST_SECRET } });
  const base = await stack.listen();
  const listed = await stack.execute<{ dataFiles: { edges: { node: { databaseId: number } }[] } }>(
    '{ dataFiles(first: 3) { edges { node { databaseId } } } }',
  );
  const ids = (listed.data?.dataFiles.edges ?? []).map((e) => e.node.databaseId);
  // A repeated reference: the router and our loaders must not fetch it twice.
  featured = [...ids, ids[0] ?? 0];
  reviews = await startReviewsSubgraph(featured);
  const ours = await readFile(new URL('../../schema.subgraph.graphql', import.meta.url), 'utf8');
  const supergraph = compose([
    { name: 'openhumans', url: `${base}/subgraph`, sdl: ours },
    { name: 'reviews', url: reviews.url, sdl: reviews.sdl },
  ]);
  router = startRouter(supergraph, 'openhumans');
}, 60_000);

afterAll(async () => {
  expect(findSecrets([...texts, ...(stack?.logLines ?? [])], allTokens(sandbox))).toEqual([]);
  await router?.dispose();
  await reviews?.close();
  await stack?.close();
  await sandbox?.close();
});

describe('through a Hive Gateway', () => {
  it('adds the reviews fields to Open Humans projects with one batched entity call', async () => {
    type Project = { databaseId: number; name: string; reviewCount: number };
    type Data = { projects: { edges: { node: Project }[] } };
    const before = { requests: reviews.entityRequests, reps: reviews.representations };
    const body = await query<Data>(
      router,
      '{ projects(first: 6) { edges { node { databaseId name reviewCount } } } }',
    );
    expect(body.errors, JSON.stringify(body.errors)).toBeUndefined();
    const nodes = body.data?.projects.edges.map((e) => e.node) ?? [];
    expect(nodes).toHaveLength(6);
    const expected = sandbox.store.approvedProjects();
    for (const node of nodes) {
      expect(node.name).toBe(expected.find((p) => p.id === node.databaseId)?.name);
      expect(node.reviewCount).toBe(reviewCount(node.databaseId));
    }
    expect(reviews.entityRequests - before.requests).toBe(1);
    expect(reviews.representations - before.reps).toBe(6);
  });

  it('resolves file references of the reviews subgraph through our loaders, batched, deduplicated', async () => {
    type File = {
      databaseId: number;
      basename: string;
      annotations: { text: string }[];
      sourceProject: { name: string } | null;
    };
    type Data = { featuredFiles: File[] };
    let body: Body<Data> = {};
    const before = subgraphRequests();
    const calls = await countCalls(sandbox, async () => {
      body = await query<Data>(
        router,
        '{ featuredFiles { databaseId basename annotations { text } sourceProject { name } } }',
      );
    });
    expect(body.errors, JSON.stringify(body.errors)).toBeUndefined();
    const files = body.data?.featuredFiles ?? [];
    expect(files.map((f) => f.databaseId)).toEqual(featured);
    for (const f of files) {
      const stored = sandbox.store.file(f.databaseId);
      expect(f.basename).toBe(stored?.basename);
      expect(f.annotations).toEqual([{ text: annotationOf(f.databaseId) }]);
      expect(f.sourceProject?.name).toBe(
        stored ? sandbox.store.project(stored.projectId)?.name : undefined,
      );
    }
    // One detail call per distinct file (no batch endpoint upstream), projects from one list call.
    expect(calls.P2).toBe(new Set(featured).size);
    expect(calls.P10 ?? 0).toBeLessThanOrEqual(1);
    expect(Object.keys(calls).filter((r) => r !== 'P2' && r !== 'P10')).toEqual([]);
    // All four references reached our subgraph in one `_entities` request.
    expect(subgraphRequests() - before).toBe(1);
  });

  it("passes the client's Authorization header to Open Humans only", async () => {
    const [pmi, token] = Object.entries(sandbox.memberTokens).sort()[0] ?? [];
    if (!pmi || !token) throw new Error('no member token');
    type Data = {
      viewer: { tokenKind: string; member: { projectMemberId: string } | null } | null;
    };
    const body = await query<Data>(
      router,
      '{ viewer { tokenKind member { projectMemberId } } }',
      token,
    );
    expect(body.errors, JSON.stringify(body.errors)).toBeUndefined();
    expect(body.data?.viewer).toEqual({ tokenKind: 'MEMBER', member: { projectMemberId: pmi } });

    const master = await query<Data>(router, '{ viewer { tokenKind } }', sandbox.masterToken);
    expect(master.data?.viewer?.tokenKind).toBe('MASTER');

    const anonymous = await query<Data>(router, '{ viewer { tokenKind } }');
    expect(anonymous.errors?.[0]?.extensions).toMatchObject({
      code: 'UNAUTHENTICATED',
      reason: 'TOKEN_MISSING',
    });
    expect(reviews.authorizations).toEqual([]);
  });

  it('serves node(id) for Open Humans ids, with fields from the other subgraph', async () => {
    const project = sandbox.store.approvedProjects()[0];
    if (!project) throw new Error('no project');
    const id = Buffer.from(`Project:${project.id}`).toString('base64');
    type Data = { node: { __typename: string; name: string; reviewCount: number } | null };
    const body = await query<Data>(
      router,
      `{ node(id: "${id}") { __typename ... on Project { name reviewCount } } }`,
    );
    expect(body.errors, JSON.stringify(body.errors)).toBeUndefined();
    expect(body.data?.node).toEqual({
      __typename: 'Project',
      name: project.name,
      reviewCount: reviewCount(project.id),
    });
  });
});

describe('composition beside other subgraphs', () => {
  // A subgraph with its own User, Project and Relay node: what a larger supergraph holds.
  const accounts = `
    extend schema @link(url: "https://specs.apollo.dev/federation/v2.6", import: ["@key", "@shareable"])
    interface Node { id: ID! }
    type User implements Node @key(fields: "id") { id: ID! email: String! }
    type Project implements Node @key(fields: "id") { id: ID! title: String! }
    type PageInfo @shareable {
      hasNextPage: Boolean!
      hasPreviousPage: Boolean!
      startCursor: String
      endCursor: String
    }
    type Query { node(id: ID!): Node user(id: ID!): User projects: [Project!]! viewer: User }`;

  it('clashes without a prefix', () => {
    const errors = compositionErrors([
      { name: 'openhumans', sdl: printSubgraph(subgraphSchema()) },
      { name: 'accounts', sdl: accounts },
    ]);
    // Both define the non-shareable Query.node, Query.viewer and types named User and Project.
    expect(errors.join('\n')).toMatch(/Query\.node/);
    expect(errors.join('\n')).toMatch(/\bUser\b/);
  });

  it('composes with FEDERATION_TYPE_PREFIX, and the prefixed subgraph serves a gateway', async () => {
    const prefixedStack = await startStack({
      sandbox,
      env: { FEDERATION_TYPE_PREFIX: 'OpenHumans', SUBGRAPH_SECRET: SUBGRAPH_TEST_SECRET },
    });
    const prefixedReviews = await startReviewsSubgraph(featured, 'OpenHumans');
    try {
      const sdl = printSubgraph(subgraphSchema('OpenHumans'));
      const beside = [
        { name: 'openhumans', sdl },
        { name: 'accounts', sdl: accounts },
      ];
      expect(compositionErrors(beside)).toEqual([]);
      const base = await prefixedStack.listen();
      const supergraph = compose([
        { name: 'openhumans', url: `${base}/subgraph`, sdl },
        { name: 'reviews', url: prefixedReviews.url, sdl: prefixedReviews.sdl },
      ]);
      const prefixedRouter = startRouter(supergraph, 'openhumans');
      try {
        type Data = {
          openHumansProjects: {
            edges: { node: { __typename: string; reviewCount: number; databaseId: number } }[];
          };
          featuredFiles: { basename: string }[];
        };
        const body = await query<Data>(
          prefixedRouter,
          `{ openHumansProjects(first: 2) { edges { node { __typename databaseId reviewCount } } }
             featuredFiles { basename } }`,
        );
        expect(body.errors, JSON.stringify(body.errors)).toBeUndefined();
        for (const { node } of body.data?.openHumansProjects.edges ?? []) {
          expect(node).toEqual({
            __typename: 'OpenHumansProject',
            databaseId: node.databaseId,
            reviewCount: reviewCount(node.databaseId),
          });
        }
        const basenames = featured.map((id) => sandbox.store.file(id)?.basename);
        expect(body.data?.featuredFiles.map((f) => f.basename)).toEqual(basenames);
      } finally {
        await prefixedRouter.dispose();
      }
    } finally {
      await prefixedReviews.close();
      await prefixedStack.close();
    }
  }, 60_000);
});
