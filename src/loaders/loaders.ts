/**
 * The one loader layer: how the schema reads. Built per request by `createContext` over that
 * request's data sources (the public API over the shared public cache, the token-bound
 * direct-sharing client); never shared between requests. Resolvers read objects by key through
 * the DataLoaders here (batched and deduplicated within the request) and lists a window at a
 * time through `lists`; they never see an HTTP client, a cache or the token.
 *
 * Two kinds of loader: the node loaders (`project`, `dataFile`, `member`) answer what the caller
 * may see anywhere in the graph, with NOT_FOUND for anything else (`node(id)` turns that into
 * null); the public ones (`publicProject`, `dataType`, `user`) answer null for what is not public.
 */
import DataLoader from 'dataloader';
import type { DirectSharingApi } from '../datasources/direct-sharing-api.js';
import type { MemberRecord, PrivateDataFile } from '../datasources/direct-sharing-wire.js';
import type { DataFile, DataType, Project, PublicUser } from '../datasources/models.js';
import type { PublicDataApi } from '../datasources/public-api.js';
import { type MemberSnapshot, memberSnapshot } from './member-snapshot.js';
import { loadMemberFiles, loadMembersForNode } from './members.js';
import {
  loadDataFilesById,
  loadDataTypesById,
  loadProjectsById,
  loadUsersByUsername,
} from './public.js';
import { loadVisibleDataFiles, loadVisibleProjects } from './visible-nodes.js';

/** Page sizes of every connection (config `DEFAULT_PAGE_SIZE`, `MAX_PAGE_SIZE`). */
export interface PageSizes {
  defaultPageSize: number;
  maxPageSize: number;
}

/** The public lists resolvers page through (one window per call, through the public cache). */
export type PublicLists = Pick<
  PublicDataApi,
  | 'allProjects'
  | 'allDataTypes'
  | 'dataFiles'
  | 'dataTypeFiles'
  | 'dataTypeTreeFiles'
  | 'userFiles'
  | 'projectFiles'
  | 'users'
  | 'userProjects'
  | 'projectMembers'
>;

export interface Loaders {
  /** A project the caller can see: approved, or the token's own (even unapproved). */
  project: DataLoader<number, Project>;
  /** An approved (public) project, or null. */
  publicProject: DataLoader<number, Project | null>;
  /** A data type, or null. */
  dataType: DataLoader<number, DataType | null>;
  /** A public member by exact username, or null. */
  user: DataLoader<string, PublicUser | null>;
  /** A file the caller can see: public, or private to this token's member(s). */
  dataFile: DataLoader<number, DataFile>;
  /** A project member this token may see (its project's master token, or its own). */
  member: DataLoader<string, MemberRecord>;
  /** Public lists, a window at a time. */
  lists: PublicLists;
  /** A page of a member's files (see `members.ts`). */
  memberFiles: (
    member: MemberRecord,
    range: { offset: number; limit: number },
    options?: { fresh?: boolean; snapshot?: MemberSnapshot },
  ) => Promise<{ items: PrivateDataFile[]; totalCount: number }>;
  /** The response's one snapshot of a member's file count (`member-snapshot.ts`). */
  memberSnapshot: (member: MemberRecord) => MemberSnapshot;
  /** Page sizes for connections. */
  pageSizes: PageSizes;
  /** The Open Humans origin download and profile links point at. */
  baseUrl: string;
  /**
   * Starts the catalogue loads (all data types, all projects: one held call each) beside a page
   * of files that will need them, so a cold page costs one round trip rather than two. The
   * loads are kept per request; their errors surface where the fields await them.
   */
  warmCatalogues(which: { dataTypes: boolean; projects: boolean }): Promise<void>;
  /**
   * A public project by id when the project list is already held (no promise), else
   * `undefined`: then ask `publicProject`, which answers the same.
   */
  heldPublicProject(id: number): Project | null | undefined;
  /**
   * The data types with these ids that exist when the data type list is already held (no
   * promise), else `undefined`: then `loadPresent(dataType, ids)` answers the same.
   */
  heldDataTypes(ids: readonly number[]): DataType[] | undefined;
}

/** Keys per fan-out batch (one detail call per key upstream): bounds one batch's burst. */
const FAN_OUT_BATCH = 50;

export interface LoaderSources {
  publicApi: PublicDataApi;
  directSharing: DirectSharingApi;
  pageSizes: PageSizes;
}

/** The request's loaders over its data sources. */
export function createLoaders({ publicApi, directSharing, pageSizes }: LoaderSources): Loaders {
  const publicProject = new DataLoader((ids: readonly number[]) =>
    loadProjectsById(publicApi, ids),
  );
  const publicFiles = new DataLoader(
    (ids: readonly number[]) => loadDataFilesById(publicApi, ids),
    {
      maxBatchSize: FAN_OUT_BATCH,
    },
  );
  return {
    project: new DataLoader((ids) => loadVisibleProjects(ids, directSharing, publicProject)),
    publicProject,
    dataType: new DataLoader((ids) => loadDataTypesById(publicApi, ids)),
    user: new DataLoader((names) => loadUsersByUsername(publicApi, names), {
      maxBatchSize: FAN_OUT_BATCH,
    }),
    dataFile: new DataLoader((ids) => loadVisibleDataFiles(ids, directSharing, publicFiles)),
    member: new DataLoader((ids) => loadMembersForNode(ids, directSharing)),
    lists: publicApi,
    memberFiles: (member, range, options) => loadMemberFiles(directSharing, member, range, options),
    memberSnapshot: (member) => memberSnapshot(directSharing, member),
    pageSizes,
    baseUrl: publicApi.baseUrl,
    warmCatalogues: async (which) => {
      // A failed catalogue fails only the fields that need it (through the loaders), not this.
      await Promise.all([
        which.dataTypes ? publicApi.allDataTypes().catch(() => {}) : undefined,
        which.projects ? publicApi.allProjects().catch(() => {}) : undefined,
      ]);
    },
    heldPublicProject: (id) => publicApi.heldProject(id),
    heldDataTypes: (ids) => publicApi.heldDataTypes(ids),
  };
}
