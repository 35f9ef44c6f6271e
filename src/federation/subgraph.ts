/**
 * The schema as an Apollo Federation v2 subgraph (served at `/subgraph`, printed to
 * `schema.subgraph.graphql`). Same types, resolvers and loaders as the standalone schema; the
 * entity keys live in `src/schema/federation.ts`.
 *
 * Without a prefix, the subgraph is the standalone schema plus `@key`s, `_entities` and
 * `_service`, including `Query.node`/`nodes` (Open Humans is then the graph that owns Relay ids;
 * another subgraph defining `Query.node` makes composition fail, which says to set a prefix).
 *
 * With `FEDERATION_TYPE_PREFIX` (e.g. `OpenHumans`), everything this subgraph adds to a shared
 * supergraph is namespaced, so it composes beside other `User` or `Project` types:
 * - types: `OpenHumansProject`, `OpenHumansUser`, … (but not `Node`, `PageInfo` (shareable),
 *   scalars, root and federation types);
 * - root fields: `openHumansProjects`, `openHumansViewer`, …;
 * - `node`/`nodes` are left out: a supergraph has one `node` field, owned by whoever resolves
 *   every id. Our types keep `@key(fields: "id")` with the same Relay global ids as /graphql
 *   (`DataFile:<id>` inside), so a node subgraph can answer `{ __typename, id }` references and
 *   the router fetches the rest from here.
 *
 * `@apollo/subgraph` is an optional dependency (Elastic-2.0 code underneath): the server loads
 * this module with `import()` only when `/subgraph` is first requested (subgraph-endpoint.ts).
 */
import { printSubgraphSchema } from '@apollo/subgraph';
import { type GraphQLSchema, isObjectType } from 'graphql';
import '../schema/index.js'; // registers every type (and entity) before building
import { builder } from '../schema/builder.js';
import { FederationNotInstalled, federationPlugin } from '../schema/federation-plugin.js';
import { withSyncNodeIds } from '../schema/sync-node-ids.js';
import { type RenamePlan, renameSchema } from './rename-schema.js';

export const FEDERATION_LINK = 'https://specs.apollo.dev/federation/v2.6';

/** Names a prefix never touches: shared Relay/GraphQL types and federation machinery. */
const SHARED_TYPES = new Set(['Node', 'PageInfo', 'Query', 'Mutation', 'Subscription']);

/** Root fields a prefixed subgraph leaves out (see above). */
const NODE_FIELDS = new Set(['node', 'nodes']);

/** Federation's own root fields, never renamed. */
const FEDERATION_FIELDS = new Set(['_entities', '_service']);

/** A prefix must be a GraphQL name starting with an upper-case letter. */
export const TYPE_PREFIX_PATTERN = /^[A-Z][A-Za-z0-9]{0,30}$/;

export function prefixPlan(prefix: string): RenamePlan {
  const fieldPrefix = prefix.charAt(0).toLowerCase() + prefix.slice(1);
  return {
    typeName: (name) => {
      const shared = SHARED_TYPES.has(name) || name.startsWith('_') || name.includes('__');
      return shared ? name : `${prefix}${name}`;
    },
    rootFieldName: (name) => {
      if (FEDERATION_FIELDS.has(name)) return name;
      if (NODE_FIELDS.has(name)) return null;
      return `${fieldPrefix}${name.charAt(0).toUpperCase()}${name.slice(1)}`;
    },
  };
}

function build(prefix: string | null): GraphQLSchema {
  // `@apollo/subgraph` is here (this module imported it) but the Pothos plugin may not be.
  if (!federationPlugin) throw new FederationNotInstalled();
  // Node ids answered without a promise, as on /graphql (before renaming: ids keep the type's
  // own name, as they always did).
  const base = withSyncNodeIds(
    builder.toSubGraphSchema({
      linkUrl: FEDERATION_LINK,
      // @tag and @inaccessible are imported so contracts (and other subgraphs) can use them.
      federationDirectives: ['@key', '@shareable', '@tag', '@inaccessible'],
      sortSchema: true,
    }),
  );
  if (!prefix) return base;
  const renamed = renameSchema(base, prefixPlan(prefix));
  // `_service.sdl` must describe the renamed schema, not the one Pothos printed.
  const sdl = printSubgraphSchema(renamed);
  const service = renamed.getQueryType()?.getFields()._service;
  if (!service || !isObjectType(renamed.getType('_Service'))) {
    throw new Error('The subgraph schema has no _service field');
  }
  service.resolve = () => ({ sdl });
  return renamed;
}

const built = new Map<string, GraphQLSchema>();

/** The subgraph schema for a type prefix (null: no prefix); built once per prefix. */
export function subgraphSchema(prefix: string | null = null): GraphQLSchema {
  const key = prefix ?? '';
  if (prefix !== null && !TYPE_PREFIX_PATTERN.test(prefix)) {
    throw new Error(`Invalid federation type prefix "${prefix}"`);
  }
  let schema = built.get(key);
  if (!schema) {
    schema = build(prefix);
    built.set(key, schema);
  }
  return schema;
}

/** The federation SDL (`_service.sdl`, `schema.subgraph.graphql`). */
export const printSubgraph = (schema: GraphQLSchema): string => printSubgraphSchema(schema);
