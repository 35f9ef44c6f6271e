/**
 * Batch functions of the public graph, for the request's DataLoaders (`loaders.ts`). Each
 * returns one result per key, in key order: the object, `null` when it does not exist (or is
 * not public), or an `Error` for that key alone.
 *
 * Projects and data types come from the one cached list call of each held set, so any number of
 * ids costs at most one upstream call. Open Humans has no multi-id endpoint for members or files,
 * so those fan out one detail call per distinct key (deduplicated here, cached in PublicCache).
 */
import type { DataFile, DataType, Project, PublicUser } from '../datasources/models.js';
import type { PublicDataApi } from '../datasources/public-api.js';

const asError = (err: unknown): Error => (err instanceof Error ? err : new Error(String(err)));

/** Projects by id from the held project list (one cached P10 call). */
export async function loadProjectsById(
  api: PublicDataApi,
  ids: readonly number[],
): Promise<(Project | null)[]> {
  await api.allProjects();
  return Promise.all(ids.map((id) => api.project(id)));
}

/** Data types by id from the held data type list (one cached P3 call). */
export async function loadDataTypesById(
  api: PublicDataApi,
  ids: readonly number[],
): Promise<(DataType | null)[]> {
  await api.allDataTypes();
  return Promise.all(ids.map((id) => api.dataType(id)));
}

/** Public members by username: one P7 call per distinct username. */
export function loadUsersByUsername(
  api: PublicDataApi,
  usernames: readonly string[],
): Promise<(PublicUser | Error | null)[]> {
  return Promise.all(usernames.map((u) => api.user(u).catch(asError)));
}

/** Public files by id: one P2 call per distinct id. */
export function loadDataFilesById(
  api: PublicDataApi,
  ids: readonly number[],
): Promise<(DataFile | Error | null)[]> {
  return Promise.all(ids.map((id) => api.dataFile(id).catch(asError)));
}
