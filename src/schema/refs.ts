/**
 * Refs of the public graph, declared before any type is implemented so that the type files can
 * reference each other without import cycles (each `src/schema/<type>.ts` implements its ref).
 *
 * The refs are loadable nodes: a resolver may return an id (loaded, batched and deduplicated by
 * the per-request loaders of `src/loaders/public.ts`) or an object already at hand. An id that
 * does not exist loads as NOT_FOUND; `node(id)` turns that into null (node-lookup.ts).
 * `DataFile` and `Project` also load what the token itself can see (private files, its own
 * unapproved project: `src/loaders/visible-nodes.ts`), so every object the graph shows can be
 * fetched again by its id.
 */
import type { DataFile, DataType, Project, PublicUser } from '../datasources/models.js';
import { notFound } from '../errors.js';
import type { Context } from '../context.js';
import { loadVisibleDataFiles, loadVisibleProjects } from '../loaders/visible-nodes.js';
import { builder } from './builder.js';
import { connectionWithTotal } from './connections.js';

/** Results of a per-request loader, with a NOT_FOUND error for each missing key. */
async function orNotFound<K, V>(
  results: Promise<(V | Error | null)[]>,
  keys: readonly K[],
  what: (key: K) => string,
): Promise<(V | Error)[]> {
  return (await results).map((value, i) => value ?? notFound(what(keys[i] as K)));
}

/**
 * Global ids carry the key as text; `decodeGlobalId` has already refused a non-canonical one
 * (`0015`), so what is left is digits or something that names nothing (loads as NOT_FOUND).
 */
const parseNumericId = (id: string): number => (/^\d{1,15}$/.test(id) ? Number(id) : -1);

export const DataFileRef = builder.loadableNodeRef('DataFile', {
  id: { resolve: (file: DataFile) => file.databaseId, parse: parseNumericId },
  load: (ids: number[], ctx: Context) => loadVisibleDataFiles(ids, ctx),
});

export const ProjectRef = builder.loadableNodeRef('Project', {
  id: { resolve: (project: Project) => project.databaseId, parse: parseNumericId },
  load: (ids: number[], ctx: Context) => loadVisibleProjects(ids, ctx),
});

export const DataTypeRef = builder.loadableNodeRef('DataType', {
  id: { resolve: (dataType: DataType) => dataType.databaseId, parse: parseNumericId },
  load: (ids: number[], ctx: Context) =>
    orNotFound(ctx.publicLoaders.dataTypeById.loadMany(ids), ids, (id) =>
      `No data type with databaseId ${id}.`,
    ),
});

export const UserRef = builder.loadableNodeRef('User', {
  id: { resolve: (user: PublicUser) => user.username, parse: (id: string) => id },
  load: async (usernames: string[], ctx: Context) => {
    const users = await orNotFound(ctx.publicLoaders.userByUsername.loadMany(usernames), usernames, (u) =>
      `No public member named "${u}".`,
    );
    // Exactly the username asked for: a loosely matched one would come back under another id.
    return users.map((user, i) =>
      user instanceof Error || user.username === usernames[i] ? user : notFound(`No public member named "${usernames[i]}".`),
    );
  },
});

export const DataFileConnection = connectionWithTotal(DataFileRef, 'DataFile', 'data files');
export const ProjectConnection = connectionWithTotal(ProjectRef, 'Project', 'projects');
export const DataTypeConnection = connectionWithTotal(DataTypeRef, 'DataType', 'data types');
export const UserConnection = connectionWithTotal(UserRef, 'User', 'public members');
