import { encodeGlobalID } from '@pothos/plugin-relay';
import type { GraphQLFieldResolver, GraphQLSchema } from 'graphql';
import { GraphQLObjectType } from 'graphql';

type RawIdResolver = GraphQLFieldResolver<unknown, unknown>;

/** The `id: { resolve }` a `builder.nodeRef` was given, kept by Pothos in the type's options. */
function rawIdResolver(type: GraphQLObjectType): RawIdResolver | undefined {
  const options = type.extensions.pothosOptions as { id?: { resolve?: unknown } } | undefined;
  const resolve = options?.id?.resolve;
  return typeof resolve === 'function' ? (resolve as RawIdResolver) : undefined;
}

const isPromise = (value: unknown): value is Promise<unknown> =>
  typeof (value as { then?: unknown } | null)?.then === 'function';

/**
 * Answers every Relay node's `id` synchronously. Pothos's global-id field wraps each `id` in an
 * async function, so every node object of a page became a promise the executor had to chase
 * (600 of them for a page of 100 members with 5 files each). Our id resolvers are plain reads,
 * so the id is encoded at once, the same way (`encodeGlobalID`: base64 of `Type:id`, the
 * builder sets no encoder of its own); one that does return a promise is still awaited.
 */
export function withSyncNodeIds(schema: GraphQLSchema): GraphQLSchema {
  for (const type of Object.values(schema.getTypeMap())) {
    if (!(type instanceof GraphQLObjectType)) continue;
    if (!type.getInterfaces().some((node) => node.name === 'Node')) continue;
    const raw = rawIdResolver(type);
    const field = type.getFields().id;
    if (!raw || !field) continue;
    const typename = type.name;
    field.resolve = (parent, args, context, info) => {
      const id = raw(parent, args, context, info);
      return isPromise(id)
        ? id.then((value) => encodeGlobalID(typename, String(value)))
        : encodeGlobalID(typename, String(id));
    };
  }
  return schema;
}
