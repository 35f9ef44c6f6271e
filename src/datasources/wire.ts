/**
 * Wire shapes of the public API (docs/upstream.md §5.1–§5.4, §3), exactly as Open Humans
 * sends them, and ONE mapping function per shape into the camelCase models (`models.ts`).
 *
 * Validation is deliberately light but loud: a body without the fields the graph needs is an
 * UPSTREAM_ERROR, never an empty list. Links inside bodies (absolute on files, relative on
 * projects and data types) are only read for the ids in their paths; they are never followed.
 */
import { ErrorCode, GatewayError } from '../errors.js';
import type { DataFile, DataType, ListPage, Project, ProjectKind, PublicUser } from './models.js';
import { FileDates } from './wire-dates.js';

/** DRF limit/offset envelope (§3). `next`/`previous` are never followed. */
export interface WirePage<T> {
  count: number;
  next: string | null;
  previous: string | null;
  results: T[];
}

/** §5.1 PublicDataFile (P1, P2, P5, P8, P12). */
export interface WirePublicDataFile {
  id: number;
  basename: string;
  created: string;
  /** Absolute `https://www.openhumans.org/api/public/datatype/<id>/` links. */
  datatypes: string[];
  download_url: string;
  metadata: Record<string, unknown>;
  /** Absolute `https://www.openhumans.org/api/public/project/<id>/` link. */
  source_project: string;
  /** All null when the membership is hidden. */
  user: { id: number | null; name: string | null; username: string | null };
}

/** §5.2 Project (P9, P10, P11, D1). */
export interface WireProject {
  active: boolean;
  approved: boolean;
  authorized_members: number;
  badge_image: string | null;
  contact_email: string;
  id: number;
  id_label: string;
  info_url: string;
  is_academic_or_nonprofit: boolean;
  is_study: boolean;
  leader: string;
  long_description: string;
  name: string;
  organization: string;
  /** Relative `/api/public/datatype/<id>/` paths. */
  registered_datatypes: string[];
  /** Relative `/api/public/project/<id>/` paths. */
  requested_sources: string[];
  request_sources_access: string[];
  request_username_access: boolean;
  returned_data_description: string;
  short_description: string;
  slug: string;
  type: 'oauth2' | 'on-site' | null;
}

/** §5.3 DataType (P3, P4). */
export interface WireDataType {
  id: number;
  name: string;
  parent: number | null;
  children: number[];
  description: string;
  details: string;
  uploadable: boolean;
  /** Relative `/api/public/project/<id>/` paths (all registering projects). */
  source_projects: string[];
}

/** §5.4 PublicMember (P6, P7, P13). */
export interface WirePublicMember {
  name: string;
  profile_url: string;
  username: string;
}

export const badResponse = (what: string): GatewayError =>
  new GatewayError(ErrorCode.UPSTREAM_ERROR, `Open Humans sent an unexpected ${what}.`);

const isRecord = (v: unknown): v is Record<string, unknown> =>
  typeof v === 'object' && v !== null && !Array.isArray(v);

const str = (v: unknown, fallback = ''): string => (typeof v === 'string' ? v : fallback);
const bool = (v: unknown): boolean => v === true;
const strings = (v: unknown): string[] =>
  Array.isArray(v) ? v.filter((s): s is string => typeof s === 'string') : [];

/** Compiled once: link parsing runs for every file of every page mapped. */
const LINK_ID: Readonly<Record<'datatype' | 'project', RegExp>> = {
  datatype: /\/api\/public\/datatype\/(\d+)\/?(?:[?#]|$)/,
  project: /\/api\/public\/project\/(\d+)\/?(?:[?#]|$)/,
};

/** The id in a link's path, absolute or relative: `…/api/public/project/142/` → 142. */
export function idFromLink(link: string, kind: 'datatype' | 'project'): number | null {
  const match = LINK_ID[kind].exec(link);
  const id = match?.[1] === undefined ? Number.NaN : Number(match[1]);
  return Number.isSafeInteger(id) ? id : null;
}

const idsFromLinks = (v: unknown, kind: 'datatype' | 'project'): number[] =>
  strings(v)
    .map((link) => idFromLink(link, kind))
    .filter((id): id is number => id !== null);

/**
 * A member's public profile page, on the configured Open Humans site. The one place it is built:
 * member lists send a `profile_url` but file listings embed users without one, so building it
 * from the username for both keeps one `User` at one URL within (and across) responses. Against
 * production this is exactly the URL Open Humans sends (`https://www.openhumans.org/member/<u>/`).
 */
export function profileUrlFor(username: string, baseUrl: string): string {
  return `${new URL(baseUrl).origin}/member/${encodeURIComponent(username)}/`;
}

/**
 * Rebases a download link onto the configured Open Humans origin: bodies always name
 * www.openhumans.org, so against the sandbox the link must point back at it (a no-op against
 * production). Only the origin changes; path and `key` stay.
 */
export function rebaseDownloadUrl(link: string, baseUrl: string): string {
  try {
    const url = new URL(link);
    const origin = originOf(baseUrl);
    if (url.origin === origin) return link;
    return `${origin}${url.pathname}${url.search}`;
  } catch {
    return link;
  }
}

/** The configured base's origin, parsed once: every file of every page is rebased onto it. */
let lastBase: { url: string; origin: string } | undefined;
function originOf(baseUrl: string): string {
  if (lastBase?.url !== baseUrl) lastBase = { url: baseUrl, origin: new URL(baseUrl).origin };
  return lastBase.origin;
}

/** §5.4 → PublicUser. */
export function toPublicUser(wire: unknown): PublicUser {
  if (!isRecord(wire) || typeof wire.username !== 'string' || wire.username === '') {
    throw badResponse('member');
  }
  return { username: wire.username, name: str(wire.name) };
}

/** The `user` of a public file: null when the membership is hidden (all fields null). */
function embeddedUser(wire: unknown): PublicUser | null {
  if (!isRecord(wire) || typeof wire.username !== 'string' || wire.username === '') return null;
  const { username } = wire;
  return { username, name: str(wire.name) };
}

/**
 * §5.1 → DataFile, or null for the `{}` placeholder production renders for a hidden member's
 * file under a `username` filter (§2.1; the gateway never sends that filter, but stays safe).
 */
export function toPublicDataFile(wire: unknown, baseUrl: string): DataFile | null {
  if (isRecord(wire) && Object.keys(wire).length === 0) return null;
  if (!isRecord(wire) || typeof wire.id !== 'number' || typeof wire.basename !== 'string') {
    throw badResponse('data file');
  }
  const created = str(wire.created);
  const metadata = isRecord(wire.metadata) ? wire.metadata : {};
  return {
    databaseId: wire.id,
    basename: wire.basename,
    created,
    dates: new FileDates(created, metadata),
    dataTypeIds: idsFromLinks(wire.datatypes, 'datatype'),
    downloadUrl: rebaseDownloadUrl(str(wire.download_url), baseUrl),
    metadata,
    sourceProjectId:
      typeof wire.source_project === 'string' ? idFromLink(wire.source_project, 'project') : null,
    user: embeddedUser(wire.user),
  };
}

const PROJECT_KINDS: readonly ProjectKind[] = ['oauth2', 'on-site'];

/** §5.2 → Project. Also used for D1 (the token's own project). */
export function toProject(wire: unknown): Project {
  if (!isRecord(wire) || typeof wire.id !== 'number' || typeof wire.name !== 'string') {
    throw badResponse('project');
  }
  const kind = PROJECT_KINDS.find((k) => k === wire.type) ?? null;
  return {
    databaseId: wire.id,
    active: bool(wire.active),
    approved: bool(wire.approved),
    authorizedMembers: typeof wire.authorized_members === 'number' ? wire.authorized_members : 0,
    badgeImage: typeof wire.badge_image === 'string' && wire.badge_image ? wire.badge_image : null,
    contactEmail: str(wire.contact_email),
    idLabel: str(wire.id_label, `direct-sharing-${wire.id}`),
    infoUrl: str(wire.info_url),
    isAcademicOrNonprofit: bool(wire.is_academic_or_nonprofit),
    isStudy: bool(wire.is_study),
    leader: str(wire.leader),
    longDescription: str(wire.long_description),
    name: wire.name,
    organization: str(wire.organization),
    registeredDataTypeIds: idsFromLinks(wire.registered_datatypes, 'datatype'),
    requestedSourceIds: idsFromLinks(wire.requested_sources, 'project'),
    requestSourcesAccess: strings(wire.request_sources_access),
    requestUsernameAccess: bool(wire.request_username_access),
    returnedDataDescription: str(wire.returned_data_description),
    shortDescription: str(wire.short_description),
    slug: str(wire.slug),
    type: kind,
  };
}

/** §5.3 → DataType. */
export function toDataType(wire: unknown): DataType {
  if (!isRecord(wire) || typeof wire.id !== 'number' || typeof wire.name !== 'string') {
    throw badResponse('data type');
  }
  return {
    databaseId: wire.id,
    name: wire.name,
    parentId: typeof wire.parent === 'number' ? wire.parent : null,
    childIds: Array.isArray(wire.children)
      ? wire.children.filter((c): c is number => typeof c === 'number')
      : [],
    description: str(wire.description),
    details: str(wire.details),
    uploadable: bool(wire.uploadable),
    sourceProjectIds: idsFromLinks(wire.source_projects, 'project'),
  };
}

/** The §3 envelope → a page of models; items mapped to null are dropped. */
export function toListPage<T>(wire: unknown, map: (item: unknown) => T | null): ListPage<T> {
  if (!isRecord(wire) || typeof wire.count !== 'number' || !Array.isArray(wire.results)) {
    throw badResponse('list');
  }
  const items = wire.results.map(map).filter((item): item is T => item !== null);
  return { items, totalCount: wire.count };
}
