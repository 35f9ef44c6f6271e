/**
 * `/subgraph`: the federation subgraph, served beside the client-facing `/graphql` by the same
 * server (same context, tokens, loaders, caches, error masking and logging). A router (Hive
 * Gateway, Apollo Router) points at it; direct clients keep `/graphql`, whose schema does not
 * change. No GraphiQL here: explore the supergraph through the router.
 *
 * The subgraph schema (and its yoga) is built on the first request, so a gateway that never
 * federates pays nothing for it.
 */
import type { GraphQLSchema } from 'graphql';
import type { Plugin, YogaServerInstance } from 'graphql-yoga';
import { createYoga } from 'graphql-yoga';
import type { Context, SharedDeps } from '../context.js';
import { createContext } from '../context.js';
import { useCompression } from '../http/compression.js';
import { ErrorCode } from '../errors.js';
import { YOGA_HEALTH_CHECK_OFF } from '../http/health.js';
import { errorResponse, secretMatches } from '../http/secret-header.js';
import { requestIdOf } from '../http/request-id.js';
import { toYogaLogger } from '../logger.js';
import { subgraphSchema } from './subgraph.js';

export interface SubgraphEndpointOptions {
  /** URL path of the subgraph endpoint, e.g. `/subgraph`. */
  path: string;
  /**
   * `SUBGRAPH_SECRET`: only requests whose `X-Subgraph-Secret` header matches are served; the
   * rest get 403 before their body is read. (The gateway mounts the endpoint only when it is set.)
   */
  secret: string;
  /** `FEDERATION_TYPE_PREFIX`, or null. */
  typePrefix: string | null;
  shared: SharedDeps;
  /** The gateway's error masking (upstream errors mapped, the rest masked). */
  maskError: (error: unknown, message: string, isDev?: boolean) => Error;
  /** The schema to serve; @default the subgraph schema for `typePrefix`. */
  schema?: () => GraphQLSchema;
  /**
   * Plugins that must guard this endpoint too (rate or depth limits, metrics): `/subgraph` is
   * its own yoga, so the plugins of `/graphql` do not run for it.
   */
  plugins?: Plugin[];
}

/** The header a router sends `SUBGRAPH_SECRET` in. */
export const SUBGRAPH_SECRET_HEADER = 'x-subgraph-secret';

type SubgraphYoga = YogaServerInstance<Record<string, unknown>, Context>;

function createSubgraphYoga(options: SubgraphEndpointOptions): SubgraphYoga {
  const { shared, path } = options;
  return createYoga<Record<string, unknown>, Context>({
    schema: (options.schema ?? (() => subgraphSchema(options.typePrefix)))(),
    graphqlEndpoint: path,
    graphiql: false,
    landingPage: false,
    // No health check here (yoga's default would answer any `/subgraph` URL ending in `/health`).
    healthCheckEndpoint: YOGA_HEALTH_CHECK_OFF,
    maskedErrors: { maskError: options.maskError },
    // Routers call from servers: no CORS headers for browsers.
    cors: false,
    logging: toYogaLogger(shared.logger),
    context: ({ request }) => createContext(request, requestIdOf(request), shared),
    plugins: [...(options.plugins ?? []), useCompression()],
  });
}

/** Serves the subgraph at `options.path`; every other request goes on to `/graphql`. */
export function useSubgraphEndpoint(options: SubgraphEndpointOptions): Plugin {
  let yoga: SubgraphYoga | undefined;
  return {
    async onRequest({ request, url, serverContext, endResponse, fetchAPI }) {
      if (url.pathname !== options.path) return;
      if (!secretMatches(request.headers.get(SUBGRAPH_SECRET_HEADER), options.secret)) {
        endResponse(errorResponse(fetchAPI, 403, ErrorCode.FORBIDDEN, `The subgraph endpoint needs the router's \`${SUBGRAPH_SECRET_HEADER}\` header.`));
        return;
      }
      yoga ??= createSubgraphYoga(options);
      // The server context (the socket) goes along: the rate limit keys on the client address.
      endResponse(await yoga.fetch(request, serverContext as Record<string, unknown>));
    },
    async onDispose() {
      await yoga?.dispose();
    },
  };
}
