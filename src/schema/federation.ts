/**
 * Federation entities (Apollo Federation v2): `@key` on the public Node types and on `Member`.
 * `_entities` resolves references through the same per-request loaders as the rest of the
 * graph, with the visibility rules of `node(id)` (decisions.md, Schema): anything the caller may
 * not see resolves to null, never to an error that would tell whether it exists.
 *
 * - Projects and data types come from the one cached list call of each held set.
 * - Public files are deduplicated by the per-request loader (one P2 call per distinct id; Open
 *   Humans has no batch endpoint).
 * - A private file only through the member's own file list, for that member's own token.
 *   A master token cannot find a file's member without reading every member, so it gets null.
 * - A `Member` only for its project's master token or its own access token.
 *
 * Declared here rather than beside each type: the entity keys are the subgraph's contract, read
 * together. The declarations only add `@key` directives: the standalone schema is unchanged.
 */
import type { Context } from '../context.js';
import type { MemberRecord, PrivateDataFile } from '../datasources/direct-sharing-wire.js';
import type { DataFile } from '../datasources/models.js';
import { TokenKind } from '../auth/token.js';
import { ErrorCode, GatewayError } from '../errors.js';
import { MEMBER_FILES_WINDOW, loadViewerMember } from '../loaders/members.js';
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

const HIDDEN: ReadonlySet<string> = new Set([ErrorCode.NOT_FOUND, ErrorCode.FORBIDDEN]);

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

/** A private file from the member token's own file list (pages beyond the first as needed). */
async function ownPrivateFile(ctx: Context, id: number): Promise<PrivateDataFile | null> {
  const api = ctx.directSharing;
  if (api.tokenKind !== TokenKind.MEMBER) return null;
  const member: MemberRecord | null = await loadViewerMember(api);
  const known = member?.knownFiles ?? [];
  const found = known.find((file) => file.databaseId === id);
  if (found || !member || known.length >= member.fileCount) return found ?? null;
  for (let offset = known.length; offset < member.fileCount; offset += MEMBER_FILES_WINDOW) {
    const page = await api.exchangeMember({ limit: MEMBER_FILES_WINDOW, offset });
    const hit = page.files.find((file) => file.databaseId === id);
    if (hit || page.files.length === 0) return hit ?? null;
  }
  return null;
}

async function resolveDataFile(ref: Representation, ctx: Context): Promise<DataFile | null> {
  const id = numericKey(ref, 'DataFile');
  if (id === null) return null;
  const loaded = await ctx.publicLoaders.dataFileById.load(id);
  const file = entity(loaded);
  if (file || !ctx.token) return file;
  try {
    return entity(await ownPrivateFile(ctx, id));
  } catch (err) {
    // Not visible to this token: nothing, as for `node`. A refused token still fails loudly.
    const hidden = err instanceof GatewayError && HIDDEN.has(err.code);
    if (hidden) return null;
    throw err;
  }
}

builder.asEntity(DataFileRef, {
  key: [byDatabaseId, byGlobalId],
  resolveReference: (ref, ctx) => resolveDataFile(ref, ctx),
});

builder.asEntity(ProjectRef, {
  key: [byDatabaseId, byGlobalId],
  resolveReference: async (ref, ctx) => {
    const id = numericKey(ref, 'Project');
    return id === null ? null : entity(await ctx.publicLoaders.projectById.load(id));
  },
});

builder.asEntity(DataTypeRef, {
  key: [byDatabaseId, byGlobalId],
  resolveReference: async (ref, ctx) => {
    const id = numericKey(ref, 'DataType');
    return id === null ? null : entity(await ctx.publicLoaders.dataTypeById.load(id));
  },
});

builder.asEntity(UserRef, {
  key: [builder.selection<{ username: string }>('username'), byGlobalId],
  resolveReference: async (ref, ctx) => {
    const username = keyOf(ref, 'User');
    if (username === null || !/^\w{1,150}$/.test(username)) return null;
    return entity(await ctx.publicLoaders.userByUsername.load(username));
  },
});

builder.asEntity(MemberRef, {
  key: [builder.selection<{ projectMemberId: string }>('projectMemberId'), byGlobalId],
  // The node loader: a member only for a token allowed to see it, NOT_FOUND (→ null) otherwise.
  resolveReference: async (ref, ctx) => {
    const id = keyOf(ref, 'Member');
    if (id === null || !ctx.token) return null;
    const loaded = await MemberRef.getDataloader(ctx)
      .load(id)
      .catch((err: unknown) => (err instanceof Error ? err : new Error(String(err))));
    return entity(loaded);
  },
});
