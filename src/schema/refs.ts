/**
 * Refs of the public graph, declared before any type is implemented so that the type files can
 * reference each other without import cycles (each `src/schema/<type>.ts` implements its ref).
 *
 * The refs are Relay nodes loaded through the request's loaders (`src/loaders/loaders.ts`, the
 * one loader layer): `node(id)`, `nodes(ids)` and `_entities` batch through the same DataLoaders
 * as every resolver. An id that does not exist loads as NOT_FOUND; `node(id)` turns that into
 * null (node-lookup.ts). `DataFile` and `Project` also load what the token itself can see
 * (private files, its own unapproved project), so every object the graph shows can be fetched
 * again by its id.
 */
import type DataLoader from 'dataloader';
import type { DataFile, DataType, Project, PublicUser } from '../datasources/models.js';
import { notFound } from '../errors.js';
import { builder } from './builder.js';
import { connectionWithTotal } from './connections.js';

/**
 * Node loads for the Relay plugin: one value per key, an `Error` kept as that key's value (not
 * thrown), so one failing id fails only its own entry of `nodes(ids)`; node-lookup.ts turns
 * NOT_FOUND into null and throws the rest. The plugin hands loaded values through untouched;
 * its typings only speak of objects, hence the one assertion. The refs use the plugin's
 * `loadManyWithoutCache`: the request's DataLoaders already deduplicate, and the plugin's own
 * cache would hand `node` a value still pending in `nodes` before it is branded with its type.
 */
export function nodeResults<V>(loads: Promise<readonly (V | Error)[]>): Promise<readonly V[]> {
  return loads as Promise<readonly V[]>;
}

/** Public loads with a NOT_FOUND error for each missing key. */
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

export const DataFileRef = builder.nodeRef<DataFile, number>('DataFile', {
  id: { resolve: (file: DataFile) => file.databaseId, parse: parseNumericId },
  loadManyWithoutCache: (ids, ctx) => nodeResults(ctx.loaders.dataFile.loadMany(ids)),
});

export const ProjectRef = builder.nodeRef<Project, number>('Project', {
  id: { resolve: (project: Project) => project.databaseId, parse: parseNumericId },
  loadManyWithoutCache: (ids, ctx) => nodeResults(ctx.loaders.project.loadMany(ids)),
});

/** Data types by id for `node`: NOT_FOUND for an id that names none. */
export async function loadDataTypeNodes(
  loader: DataLoader<number, DataType | null>,
  ids: readonly number[],
): Promise<(DataType | Error)[]> {
  return orNotFound(loader.loadMany(ids), ids, (id) => `No data type with databaseId ${id}.`);
}

export const DataTypeRef = builder.nodeRef<DataType, number>('DataType', {
  id: { resolve: (dataType: DataType) => dataType.databaseId, parse: parseNumericId },
  loadManyWithoutCache: (ids, ctx) => nodeResults(loadDataTypeNodes(ctx.loaders.dataType, ids)),
});

/** Public members by exact username for `node`: NOT_FOUND for one that is not public. */
export async function loadUserNodes(
  loader: DataLoader<string, PublicUser | null>,
  usernames: readonly string[],
): Promise<(PublicUser | Error)[]> {
  const users = await orNotFound(
    loader.loadMany(usernames),
    usernames,
    (u) => `No public member named "${u}".`,
  );
  // Exactly the username asked for: a loosely matched one would come back under another id.
  return users.map((user, i) =>
    user instanceof Error || user.username === usernames[i]
      ? user
      : notFound(`No public member named "${usernames[i]}".`),
  );
}

/** One node's load: its value, or its error thrown (for fields that take a key). */
async function single<V>(loads: Promise<readonly (V | Error)[]>): Promise<V> {
  const [value] = await loads;
  if (value === undefined || value instanceof Error)
    throw value ?? new Error('Nothing was loaded.');
  return value;
}

/** A data type by id, or NOT_FOUND (`Query.dataType`). */
export const dataTypeNode = (
  loader: DataLoader<number, DataType | null>,
  id: number,
): Promise<DataType> => single(loadDataTypeNodes(loader, [id]));

/** A public member by exact username, or NOT_FOUND (`Query.user`). */
export const userNode = (
  loader: DataLoader<string, PublicUser | null>,
  username: string,
): Promise<PublicUser> => single(loadUserNodes(loader, [username]));

export const UserRef = builder.nodeRef<PublicUser, string>('User', {
  id: { resolve: (user: PublicUser) => user.username, parse: (id: string) => id },
  loadManyWithoutCache: (usernames, ctx) => nodeResults(loadUserNodes(ctx.loaders.user, usernames)),
});

export const DataFileConnection = connectionWithTotal(DataFileRef, 'DataFile', 'data files');
export const ProjectConnection = connectionWithTotal(ProjectRef, 'Project', 'projects');
export const DataTypeConnection = connectionWithTotal(DataTypeRef, 'DataType', 'data types');
export const UserConnection = connectionWithTotal(UserRef, 'User', 'public members');
