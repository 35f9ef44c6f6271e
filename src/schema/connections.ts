/**
 * Connection types shared by every field that lists one kind of object: `<Type>Connection` with
 * non-null edges and nodes, exact `pageInfo` and `totalCount`. Resolvers return the
 * `OffsetConnection` built by `resolveOffsetPage` (pagination.ts).
 */
import type { ObjectRef, SchemaTypes } from '@pothos/core';
import type { Context } from '../context.js';
import { builder } from './builder.js';
import {
  type ConnectionArgs,
  type OffsetConnection,
  type PageOptions,
  resolveArrayPage,
  resolveOffsetPage,
  type SliceFetcher,
} from './pagination.js';

type BuilderTypes =
  typeof builder extends PothosSchemaTypes.SchemaBuilder<infer T extends SchemaTypes> ? T : never;

/** `<typeName>Connection` and `<typeName>Edge` over `ref`, with `totalCount`. */
export function connectionWithTotal<Shape>(
  ref: ObjectRef<BuilderTypes, Shape>,
  typeName: string,
  plural: string,
) {
  return builder.connectionObject(
    {
      type: ref,
      name: `${typeName}Connection`,
      description: `A page of ${plural} (Relay cursor connection).`,
      edgesNullable: { list: false, items: false },
      nodeNullable: false,
      edgesField: {
        description: `The ${plural} on this page, in list order, each with its cursor.`,
      },
      fields: (t) => ({
        totalCount: t.int({
          description: `How many ${plural} the whole list holds, across all pages.`,
          resolve: (connection) => (connection as unknown as OffsetConnection<Shape>).totalCount,
        }),
      }),
    },
    {
      name: `${typeName}Edge`,
      description: `One of the ${plural} of a page, with the cursor that points at it.`,
      nodeField: { description: `The ${plural.replace(/s$/, '')} itself.` },
    },
  );
}

/** Page sizes from config (`DEFAULT_PAGE_SIZE`, `MAX_PAGE_SIZE`) for `resolveOffsetPage`. */
export function pageOptions(ctx: Context): PageOptions {
  const sizes = ctx.loaders.pageSizes;
  return { defaultSize: sizes.defaultPageSize, maxSize: sizes.maxPageSize };
}

/**
 * The loaded values that exist: ids that name nothing public are left out of the list, but a
 * failed load (upstream down) fails the field instead of silently shortening it.
 */
export function present<T>(values: readonly (T | Error | null)[]): T[] {
  const failed = values.find((v): v is Error => v instanceof Error);
  if (failed) throw failed;
  return values.filter((v): v is T => v !== null);
}

/** Pages an offset-paged upstream list with the configured page sizes. */
export function pageOf<T>(ctx: Context, args: ConnectionArgs, fetch: SliceFetcher<T>) {
  return resolveOffsetPage(args, fetch, pageOptions(ctx));
}

/** Pages a list held whole with the configured page sizes. */
export function pageOfList<T>(ctx: Context, args: ConnectionArgs, list: readonly T[]) {
  return resolveArrayPage(args, list, pageOptions(ctx));
}

/** Loads `ids` and keeps the ones that exist (see `present`). */
export async function loadPresent<K, V>(
  loader: { loadMany(keys: readonly K[]): Promise<(V | Error | null)[]> },
  ids: readonly K[],
): Promise<V[]> {
  return present(await loader.loadMany(ids));
}
