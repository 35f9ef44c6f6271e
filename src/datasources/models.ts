import type { FileDates } from './wire-dates.js';

/**
 * The camelCase backing models of the public graph. The schema exposes these; the wire shapes
 * (snake_case, `wire.ts`) never leave the data sources. Models are plain data, shared read-only
 * between requests through the public cache: never mutate one.
 */

/**
 * A public member (§5.4). Keyed by `username`: the public serializers carry no member id. The
 * profile URL is not kept: `profileUrlFor` builds it, the same way for every listing.
 */
export interface PublicUser {
  username: string;
  name: string;
}

/**
 * A data file, public (§5.1) or private (§5.6): one `DataFile` type serves both (docs/design.md).
 * Public listings set `user`; private listings set `source`. The direct-sharing models are
 * structurally compatible (they lack `user`).
 */
export interface DataFile {
  databaseId: number;
  basename: string;
  /** ISO-8601 as sent upstream. */
  created: string;
  /** `created` and the metadata's dates, read as Open Humans reads them (`wire-dates.ts`). */
  dates: FileDates;
  /** Ids read from the `/api/public/datatype/<id>/` links. */
  dataTypeIds: number[];
  downloadUrl: string;
  /** The metadata object as uploaded (loose: see the typed readers in the schema). */
  metadata: Record<string, unknown>;
  /** From the `/api/public/project/<id>/` link; that project may not be public. */
  sourceProjectId: number | null;
  /** Public listings: the owner, or null when the membership is hidden. Absent on private ones. */
  user?: PublicUser | null;
  /** Private listings: the `direct-sharing-<id>` label of the source. Absent on public ones. */
  source?: string | null;
}

/** `type` of a project (§5.2). */
export type ProjectKind = 'oauth2' | 'on-site';

/** A project (§5.2), camelCased. `databaseId` is the Open Humans id. */
export interface Project {
  databaseId: number;
  active: boolean;
  approved: boolean;
  authorizedMembers: number;
  badgeImage: string | null;
  contactEmail: string;
  idLabel: string;
  infoUrl: string;
  isAcademicOrNonprofit: boolean;
  isStudy: boolean;
  leader: string;
  longDescription: string;
  name: string;
  organization: string;
  /** Ids read from the relative `/api/public/datatype/<id>/` paths. */
  registeredDataTypeIds: number[];
  /** Ids read from the relative `/api/public/project/<id>/` paths. */
  requestedSourceIds: number[];
  /** Legacy duplicate of `requestedSources`: `direct-sharing-<id>` labels. */
  requestSourcesAccess: string[];
  requestUsernameAccess: boolean;
  returnedDataDescription: string;
  shortDescription: string;
  slug: string;
  type: ProjectKind | null;
}

/** A data type (§5.3). */
export interface DataType {
  databaseId: number;
  name: string;
  parentId: number | null;
  childIds: number[];
  description: string;
  details: string;
  uploadable: boolean;
  /** Every registering project (public or not), from the relative project paths. */
  sourceProjectIds: number[];
}

/** One window of an offset-paged upstream list. */
export interface ListPage<T> {
  items: T[];
  totalCount: number;
}

/** A `limit`/`offset` window, as the pagination helper asks for it. */
export interface Window {
  offset: number;
  limit: number;
}
