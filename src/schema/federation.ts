/**
 * Federation entities (Apollo Federation v2): `@key` on the public Node types and on `Member`.
 * `_entities` resolves references through the same per-request loaders as the rest of the
 * graph, and the very loaders of `node(id)`, so one object has one id and one visibility on
 * `/graphql` and `/subgraph`: anything the caller may not see resolves to null, never to an
 * error that would tell whether it exists.
 *
 * - Projects and data types come from the one cached list call of each held set; the token's
 *   own project also when it is not approved.
 * - Public files are deduplicated by the per-request loader (one P2 call per distinct id; Open
 *   Humans has no batch endpoint); a private file through the member files the token can list
 *   (`src/loaders/visible-nodes.ts`).
 * - A `Member` only for its project's master token or its own access token.
 *
 * Declared here rather than beside each type: the entity keys are the subgraph's contract, read
 * together. The declarations only add `@key` directives: the standalone schema is unchanged.
 */
import type { Context } from '../context.js';
import type { DataFile } from '../datasources/models.js';
import { ErrorCode, GatewayError } from '../errors.js';
import { builder } from './builder.js';
import { MemberRef } from './member.js';
import { decodeGlobalId } from './node-lookup.js';
import { DataFileRef, DataTypeRef, ProjectRef, UserRef } from './refs.js';

/** A representation the router sends: key fields, as JSON. */
type Representation = {
  databaseId?: unknown;
  id?: unknown;
  username?: unknown;
  projectMemberId?: unknown;
};

const byDatabaseId = builder.selection<{ databaseId: number }>('databaseId');
const byGlobalId = builder.selection<{ id: string }>('id');

/** The key of a representation: its `databaseId`, or the key inside its global `id`. */
function keyOf(ref: Representation, typename: string): string | null {
  if (typeof ref.id === 'string') {
    try {
      const decoded = decodeGlobalId(ref.id);
      return decoded.typename === typename ? decoded.id : null;
    } catch {
      return null; // A malformed id names nothing.
    }
  }
  if (typeof ref.databaseId === 'number') return String(ref.databaseId);
  if (typeof ref.username === 'string') return ref.username;
  if (typeof ref.projectMemberId === 'string') return ref.projectMemberId;
  return null;
}

const numericKey = (ref: Representation, typename: string): number | null => {
  const key = keyOf(ref, typename);
  return key !== null && /^\d{1,15}$/.test(key) ? Number(key) : null;
};

/**
 * A loaded object as an entity: a shallow copy (the entities resolver stamps `__typename` on
 * what it gets, and loaded objects may be shared through the public cache), or null.
 */
function entity<T extends object>(value: T | Error | null | undefined): T | null {
  if (value instanceof GatewayError && value.code === ErrorCode.NOT_FOUND) return null;
  if (value instanceof Error) throw value;
  return value ? { ...value } : null;
}

/** An entity through a node loader: null for what the caller may not see. */
async function throughNodeLoader<K, T extends object>(
  loader: { load(key: K): Promise<T> },
  key: K,
): Promise<T | null> {
  const loaded = await loader
    .load(key)
    .catch((err: unknown) => (err instanceof Error ? err : new Error(String(err))));
  return entity(loaded);
}

async function resolveDataFile(ref: Representation, ctx: Context): Promise<DataFile | null> {
  const id = numericKey(ref, 'DataFile');
  return id === null ? null : throughNodeLoader(ctx.loaders.dataFile, id);
}

builder.asEntity(DataFileRef, {
  key: [byDatabaseId, byGlobalId],
  resolveReference: (ref, ctx) => resolveDataFile(ref, ctx),
});

builder.asEntity(ProjectRef, {
  key: [byDatabaseId, byGlobalId],
  resolveReference: async (ref, ctx) => {
    const id = numericKey(ref, 'Project');
    return id === null ? null : throughNodeLoader(ctx.loaders.project, id);
  },
});

builder.asEntity(DataTypeRef, {
  key: [byDatabaseId, byGlobalId],
  resolveReference: async (ref, ctx) => {
    const id = numericKey(ref, 'DataType');
    return id === null ? null : entity(await ctx.loaders.dataType.load(id));
  },
});

builder.asEntity(UserRef, {
  key: [builder.selection<{ username: string }>('username'), byGlobalId],
  resolveReference: async (ref, ctx) => {
    const username = keyOf(ref, 'User');
    if (username === null || !/^\w{1,150}$/.test(username)) return null;
    return entity(await ctx.loaders.user.load(username));
  },
});

builder.asEntity(MemberRef, {
  key: [builder.selection<{ projectMemberId: string }>('projectMemberId'), byGlobalId],
  // The node loader: a member only for a token allowed to see it, NOT_FOUND (→ null) otherwise.
  resolveReference: async (ref, ctx) => {
    const id = keyOf(ref, 'Member');
    if (id === null || ctx.directSharing.tokenKind === null) return null;
    return throughNodeLoader(ctx.loaders.member, id);
  },
});
