/**
 * `/subgraph`: the federation subgraph, served beside the client-facing `/graphql` by the same
 * server (same context, tokens, loaders, caches, error masking and logging). A router (Hive
 * Gateway, Apollo Router) points at it; direct clients keep `/graphql`, whose schema does not
 * change. No GraphiQL here: explore the supergraph through the router.
 *
 * The subgraph schema (and its yoga) is built on the first request, so a gateway that never
 * federates pays nothing for it. That is also when `@apollo/subgraph` (an optional dependency,
 * Elastic-2.0 underneath) is imported: without it the gateway runs and `/subgraph` answers 501
 * saying federation is not installed.
 */
import type { GraphQLSchema } from 'graphql';
import type { Plugin, YogaServerInstance } from 'graphql-yoga';
import { createYoga } from 'graphql-yoga';
import type { Context, SharedDeps } from '../context.js';
import { createContext } from '../context.js';
import { ErrorCode } from '../errors.js';
import { useCompression } from '../http/compression.js';
import { YOGA_HEALTH_CHECK_OFF } from '../http/health.js';
import { requestIdOf } from '../http/request-id.js';
import { errorResponse, secretMatches } from '../http/secret-header.js';
import { toYogaLogger } from '../logger.js';
import { FederationNotInstalled, isModuleNotFound } from '../schema/federation-plugin.js';

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
  /**
   * The schema to serve; @default the subgraph schema for `typePrefix`
   * (src/federation/subgraph.ts).
   */
  schema?: () => GraphQLSchema | Promise<GraphQLSchema>;
  /**
   * Plugins that must guard this endpoint too (rate or depth limits, metrics): `/subgraph` is
   * its own yoga, so the plugins of `/graphql` do not run for it.
   */
  plugins?: Plugin[];
}

/** The header a router sends `SUBGRAPH_SECRET` in. */
export const SUBGRAPH_SECRET_HEADER = 'x-subgraph-secret';

type SubgraphYoga = YogaServerInstance<Record<string, unknown>, Context>;

/**
 * The subgraph schema, importing `@apollo/subgraph` only now; FederationNotInstalled without it.
 */
async function loadSubgraphSchema(prefix: string | null): Promise<GraphQLSchema> {
  let subgraph: typeof import('./subgraph.js');
  try {
    subgraph = await import('./subgraph.js');
  } catch (err) {
    if (isModuleNotFound(err)) throw new FederationNotInstalled({ cause: err });
    throw err;
  }
  return subgraph.subgraphSchema(prefix);
}

async function createSubgraphYoga(options: SubgraphEndpointOptions): Promise<SubgraphYoga> {
  const { shared, path } = options;
  const schema = await (options.schema ?? (() => loadSubgraphSchema(options.typePrefix)))();
  return createYoga<Record<string, unknown>, Context>({
    schema,
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
  let yoga: Promise<SubgraphYoga> | undefined;
  /** The yoga, built once; FederationNotInstalled stays the answer, other failures are retried. */
  const subgraphYoga = (): Promise<SubgraphYoga> => {
    yoga ??= createSubgraphYoga(options).catch((err: unknown) => {
      if (err instanceof FederationNotInstalled) options.shared.logger.error(err.message);
      else yoga = undefined;
      throw err;
    });
    return yoga;
  };
  return {
    async onRequest({ request, url, serverContext, endResponse, fetchAPI }) {
      if (url.pathname !== options.path) return;
      if (!secretMatches(request.headers.get(SUBGRAPH_SECRET_HEADER), options.secret)) {
        endResponse(
          errorResponse(
            fetchAPI,
            403,
            ErrorCode.FORBIDDEN,
            `The subgraph endpoint needs the router's \`${SUBGRAPH_SECRET_HEADER}\` header.`,
          ),
        );
        return;
      }
      let subgraph: SubgraphYoga;
      try {
        subgraph = await subgraphYoga();
      } catch (err) {
        // A configuration error, not the router's: 501 with what to install.
        if (!(err instanceof FederationNotInstalled)) throw err;
        endResponse(errorResponse(fetchAPI, 501, 'INTERNAL_SERVER_ERROR', err.message));
        return;
      }
      // The server context (the socket) goes along: the rate limit keys on the client address.
      endResponse(await subgraph.fetch(request, serverContext as Record<string, unknown>));
    },
    async onDispose() {
      const built = await yoga?.catch(() => undefined);
      await built?.dispose();
    },
  };
}
