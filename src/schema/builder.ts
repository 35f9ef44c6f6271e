import SchemaBuilder from '@pothos/core';
import DataloaderPlugin from '@pothos/plugin-dataloader';
import RelayPlugin from '@pothos/plugin-relay';
import { DateTimeResolver, JSONObjectResolver, URLResolver } from 'graphql-scalars';
import type { Context } from '../context.js';

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
  };
}>({
  plugins: [RelayPlugin, DataloaderPlugin],
  defaultFieldNullability: false,
  relay: {
    clientMutationId: 'omit',
    cursorType: 'String',
    nodeTypeOptions: { description: 'An object with a globally unique, opaque `id` (Relay).' },
    pageInfoTypeOptions: { description: 'Where a page of a connection sits in the whole list.' },
    nodeQueryOptions: { description: 'Fetches any object by its global `id`; null when it does not exist or is not visible to you.' },
    nodesQueryOptions: { description: 'Fetches several objects by their global ids, in order; null for each one that does not exist or is not visible.' },
    idFieldOptions: { description: 'A globally unique, opaque identifier (Relay global ID).' },
  },
});

builder.addScalarType('DateTime', DateTimeResolver, {});
builder.addScalarType('URL', URLResolver, {});
builder.addScalarType('JSONObject', JSONObjectResolver, {});
