import SchemaBuilder from '@pothos/core';
import DirectivePlugin from '@pothos/plugin-directives';
import ErrorsPlugin from '@pothos/plugin-errors';
import RelayPlugin from '@pothos/plugin-relay';
import { JSONObjectResolver, URLResolver } from 'graphql-scalars';
import type { Context } from '../context.js';
import { DateTimeScalar } from '../dates/date-time-scalar.js';
import type { Upload } from '../http/multipart/upload.js';
import { federationPlugin } from './federation-plugin.js';
import { decodeGlobalId, resolveVisibleNode, resolveVisibleNodes } from './node-lookup.js';

/**
 * The one Pothos builder. It defines no types: every type lives in its own file under
 * `src/schema/` and registers itself when `src/schema/index.ts` imports it.
 */
export const builder = new SchemaBuilder<{
  Context: Context;
  DefaultFieldNullability: false;
  Scalars: {
    DateTime: { Input: Date; Output: Date | string };
    URL: { Input: URL; Output: URL | string };
    JSONObject: { Input: Record<string, unknown>; Output: Record<string, unknown> };
    ID: { Input: string; Output: string | number };
    Upload: { Input: Upload; Output: never };
  };
}>({
  // Federation last, after the directives plugin it needs (src/schema/federation.ts); it is an
  // optional dependency, left out when not installed (src/schema/federation-plugin.ts).
  plugins: [
    RelayPlugin,
    ErrorsPlugin,
    DirectivePlugin,
    ...(federationPlugin ? ([federationPlugin] as const) : []),
  ],
  // graphql-tools' directive format: the default array format breaks codegen's printer.
  directives: { useGraphQLToolsUnorderedDirectives: true },
  // Typed, user-actionable errors on mutation payloads (see user-error-mutations.ts).
  errors: { defaultTypes: [] },
  defaultFieldNullability: false,
  relay: {
    clientMutationId: 'omit',
    cursorType: 'String',
    nodeTypeOptions: { description: 'An object with a globally unique, opaque `id` (Relay).' },
    // Shareable: every Relay subgraph defines the same PageInfo (federation only; no effect on
    // /graphql).
    pageInfoTypeOptions: {
      description: 'Where a page of a connection sits in the whole list.',
      shareable: true,
    },
    // Connections and edges are value types too: another subgraph may return or @provide them.
    defaultConnectionTypeOptions: { shareable: true },
    defaultEdgeTypeOptions: { shareable: true },
    nodeQueryOptions: {
      description:
        'Fetches any object by its global `id`; null when it does not exist or is not visible to you.',
      args: { id: { description: 'The global `id` of the object.' } },
      resolve: (_root, args, _ctx, _info, resolveNode) => resolveVisibleNode(resolveNode, args.id),
    },
    nodesQueryOptions: {
      description:
        'Fetches several objects by their global ids, in order; null for each one that does not exist or is not visible.',
      args: { ids: { description: 'Global ids of the objects, in the order wanted.' } },
      resolve: (_root, args, _ctx, _info, resolveNodes) =>
        resolveVisibleNodes(resolveNodes, args.ids),
    },
    decodeGlobalID: decodeGlobalId,
    idFieldOptions: { description: 'A globally unique, opaque identifier (Relay global ID).' },
    // Descriptions of what every connection shares (pagination.ts serves them all).
    firstArgOptions: {
      description:
        'Return the first n items (after `after`, when given). At most the maximum page size (100 unless configured).',
    },
    afterArgOptions: {
      description:
        'Return items after this cursor (an `endCursor` or edge `cursor` of this connection).',
    },
    lastArgOptions: {
      description:
        'Return the last n items (before `before`, when given). At most the maximum page size.',
    },
    beforeArgOptions: {
      description:
        'Return items before this cursor (a `startCursor` or edge `cursor` of this connection).',
    },
    cursorFieldOptions: {
      description: 'An opaque cursor pointing at this edge, for `after`/`before`.',
    },
    edgesFieldOptions: {
      description: 'The items on this page, in list order, each with its cursor.',
    },
    nodeFieldOptions: { description: 'The item this edge points at.' },
    pageInfoFieldOptions: { description: 'Where this page sits in the whole list.' },
    hasNextPageFieldOptions: { description: 'Whether items follow this page.' },
    hasPreviousPageFieldOptions: { description: 'Whether items precede this page.' },
    startCursorFieldOptions: {
      description: 'The cursor of the first edge of this page; null when the page is empty.',
    },
    endCursorFieldOptions: {
      description: 'The cursor of the last edge of this page; null when the page is empty.',
    },
  },
});

// Ours: keeps the upstream's microseconds (src/dates/date-time-scalar.ts).
builder.addScalarType('DateTime', DateTimeScalar, {});
builder.addScalarType('URL', URLResolver, {});
builder.addScalarType('JSONObject', JSONObjectResolver, {});

// Root types other than Query are declared once here; files add fields with
// `builder.mutationFields` / `builder.subscriptionFields` beside their types.
builder.mutationType({
  description:
    'Changes: signing members in, and writing data back to Open Humans. Every field is nullable: ' +
    'mutations run one after another, and one that fails unexpectedly is null (with an error) ' +
    'while the results of the others, which did change data, stay in `data`.',
});
builder.subscriptionType({
  description:
    'Live events, delivered over Server-Sent Events (send `Accept: text/event-stream`) or ' +
    'any transport yoga serves.',
});
