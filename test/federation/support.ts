/**
 * Federation test parts: a second, small subgraph ("reviews") that extends `DataFile` and
 * `Project`, composition with @theguild/federation-composition, and an in-process Hive Gateway.
 */
import { createServer } from 'node:http';
import type { AddressInfo } from 'node:net';
import { buildSubgraphSchema } from '@apollo/subgraph';
import { createGatewayRuntime } from '@graphql-hive/gateway-runtime';
import { composeServices } from '@theguild/federation-composition';
import { parse } from 'graphql';
import { createYoga } from 'graphql-yoga';

/** `SUBGRAPH_SECRET` of the test gateways; the router sends it as `X-Subgraph-Secret`. */
export const SUBGRAPH_TEST_SECRET = 'test-subgraph-secret-0123456789';

export interface ReviewsSubgraph {
  url: string;
  sdl: string;
  /** Requests that carried an `_entities` operation, and how many representations they held. */
  entityRequests: number;
  representations: number;
  /** Every Authorization header this subgraph received (must stay empty: tokens are ours). */
  authorizations: string[];
  close(): Promise<void>;
}

/** Deterministic "review" data, computed from the id (tests compute the same). */
export const reviewCount = (projectId: number): number => projectId % 7;
export const annotationOf = (fileId: number): string => `reviewed file ${fileId}`;

/**
 * The reviews subgraph: `DataFile.annotations`, `Project.reviewCount`, and `featuredFiles`, a
 * list of file references (by `databaseId`) that the router resolves through Open Humans.
 * `prefix` names our types as the prefixed Open Humans subgraph does.
 */
export async function startReviewsSubgraph(
  featuredFileIds: number[],
  prefix = '',
): Promise<ReviewsSubgraph> {
  const [file, project] = [`${prefix}DataFile`, `${prefix}Project`];
  const sdl = `
    extend schema @link(url: "https://specs.apollo.dev/federation/v2.6", import: ["@key"])
    type ${file} @key(fields: "databaseId") {
      databaseId: Int!
      "Reviewers' notes on the file."
      annotations: [Annotation!]!
    }
    type ${project} @key(fields: "databaseId") {
      databaseId: Int!
      "How many reviews the project has."
      reviewCount: Int!
    }
    "A reviewer's note."
    type Annotation { text: String! }
    type Query {
      "Files the reviewers recommend (references: Open Humans resolves the rest)."
      featuredFiles: [${file}!]!
    }`;
  type Resolver = (source: { databaseId: number }) => unknown;
  const resolvers: Record<string, Record<string, Resolver>> = {
    Query: { featuredFiles: () => featuredFileIds.map((databaseId) => ({ databaseId })) },
    [file]: {
      __resolveReference: (ref: { databaseId: number }) => ({ databaseId: ref.databaseId }),
      annotations: (f: { databaseId: number }) => [{ text: annotationOf(f.databaseId) }],
    },
    [project]: {
      __resolveReference: (ref: { databaseId: number }) => ({ databaseId: ref.databaseId }),
      reviewCount: (p: { databaseId: number }) => reviewCount(p.databaseId),
    },
  };
  const state = { entityRequests: 0, representations: 0, authorizations: [] as string[] };
  const yoga = createYoga({
    schema: buildSubgraphSchema([{ typeDefs: parse(sdl), resolvers }]),
    graphqlEndpoint: '/graphql',
    logging: false,
    plugins: [
      {
        onParams({ params, request }) {
          const auth = request.headers.get('authorization');
          if (auth) state.authorizations.push(auth);
          if (params.query?.includes('_entities')) {
            state.entityRequests += 1;
            const reps = (params.variables as { representations?: unknown[] } | undefined)
              ?.representations;
            state.representations += reps?.length ?? 0;
          }
        },
      },
    ],
  });
  const server = createServer(yoga);
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const url = `http://127.0.0.1:${(server.address() as AddressInfo).port}/graphql`;
  return Object.assign(state, {
    url,
    sdl,
    close: () =>
      new Promise<void>((resolve) => {
        server.closeAllConnections();
        server.close(() => resolve());
      }),
  });
}

/** Composes subgraphs; throws with every composition error (a composition error fails the test). */
export function compose(subgraphs: { name: string; url: string; sdl: string }[]): string {
  const services = subgraphs.map((s) => ({ name: s.name, url: s.url, typeDefs: parse(s.sdl) }));
  const result = composeServices(services);
  if (result.errors) {
    throw new Error(
      `composition failed:\n${result.errors.map((e) => `- ${e.message}`).join('\n')}`,
    );
  }
  return result.supergraphSdl;
}

/** Composition errors (empty when it composes). */
export function compositionErrors(subgraphs: { name: string; sdl: string }[]): string[] {
  const result = composeServices(subgraphs.map((s) => ({ name: s.name, typeDefs: parse(s.sdl) })));
  return (result.errors ?? []).map((e) => e.message);
}

/**
 * A Hive Gateway over `supergraph`, in-process (`gateway.fetch`). The client's Authorization
 * header goes to the Open Humans subgraph only: the token is an Open Humans credential.
 */
export function startRouter(supergraph: string, openHumansSubgraph: string) {
  return createGatewayRuntime({
    supergraph,
    maskedErrors: false,
    logging: false,
    propagateHeaders: {
      fromClientToSubgraphs: ({ request, subgraphName }) =>
        subgraphName === openHumansSubgraph
          ? {
              authorization: request.headers.get('authorization'),
              'x-subgraph-secret': SUBGRAPH_TEST_SECRET,
            }
          : undefined,
    },
  });
}
