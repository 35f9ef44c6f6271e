/**
 * Wire shapes of the direct-sharing API (docs/upstream.md §5.5, §5.6, §2.3 D2/D3) and their
 * mapping to the camelCase models the schema exposes. Kept apart from `wire.ts`/`models.ts`
 * (public API) because these shapes only ever arrive with a token.
 *
 * Links inside these bodies always name www.openhumans.org; ids are read from their paths and the
 * links are never followed. `exchange_member` carries the project's master token in its query
 * string: the mapping drops it, so it cannot reach a model, a cache or a log.
 */
import { ErrorCode, GatewayError } from '../errors.js';
import type { DataFile, Project } from './models.js';
import { idFromLink, rebaseDownloadUrl } from './wire.js';
import { FileDates } from './wire-dates.js';

/** §5.6 DataFile as listed in D2 `data[]` and D3 `data[]`. */
export interface WirePrivateDataFile {
  id: number;
  basename: string;
  created: string;
  datatypes: string[];
  download_url: string;
  metadata: Record<string, unknown> | null;
  source: string;
  source_project: string | null;
}

/** §5.5 ProjectMember, one item of D2 `results`. */
export interface WireProjectMember {
  created: string;
  project_member_id: string;
  file_count: number;
  /** Absolute URL carrying the master token: never followed, never logged, dropped on mapping. */
  exchange_member?: string;
  sources_shared: string[];
  /** Present only when the member shares their username. */
  username?: string;
  /** At most 10 files, in no particular order. */
  data: WirePrivateDataFile[];
}

/** DRF limit/offset envelope (§3). `next`/`previous` may carry a query token: never read them. */
export interface WirePage<T> {
  count: number;
  next: string | null;
  previous: string | null;
  results: T[];
}

/** D3 body: the envelope with `results` renamed `data`, plus the membership (§2.3 D3). */
export interface WireExchangeMember {
  count: number;
  next: string | null;
  previous: string | null;
  created: string;
  project_member_id: string;
  sources_shared: string[];
  username?: string;
  data: WirePrivateDataFile[];
}

/** A file of a member, as the direct-sharing API lists it: `source` set, no `user`. */
export type PrivateDataFile = DataFile & { source: string };

/** What the gateway knows of one project membership. */
export interface MemberRecord {
  projectMemberId: string;
  created: string;
  /** null unless the member shares their username with the project. */
  username: string | null;
  /** `direct-sharing-<id>` labels of the sources the member granted. */
  sourcesShared: string[];
  /** All of the member's files this token may see. */
  fileCount: number;
  /**
   * A window of the member's files in exchange-member order (source, then id), starting at
   * offset 0, or null when none is known. When `files.length === fileCount` it is all of them.
   */
  knownFiles: PrivateDataFile[] | null;
}

/** One exchange-member page: the membership, the total, and the files at `offset`. */
export interface MemberFilesPage {
  member: MemberRecord;
  offset: number;
  totalCount: number;
  files: PrivateDataFile[];
}

export interface Page<T> {
  totalCount: number;
  items: T[];
}

const bad = (what: string): GatewayError =>
  new GatewayError(ErrorCode.UPSTREAM_ERROR, `Open Humans sent an unexpected ${what}.`);

const isRecord = (v: unknown): v is Record<string, unknown> =>
  typeof v === 'object' && v !== null && !Array.isArray(v);

const stringArray = (v: unknown, what: string): string[] => {
  if (!Array.isArray(v) || !v.every((s) => typeof s === 'string')) throw bad(what);
  return v;
};

/** `direct-sharing-128` → 128; null for labels of another shape (legacy sources). */
export function projectIdFromLabel(label: string): number | null {
  const match = /^direct-sharing-(\d+)$/.exec(label);
  return match?.[1] ? Number(match[1]) : null;
}

/** exchange-member's order: by `source`, then by `id` (`order_by("source", "id")`). */
export function compareExchangeOrder(a: PrivateDataFile, b: PrivateDataFile): number {
  if (a.source !== b.source) return a.source < b.source ? -1 : 1;
  return a.databaseId - b.databaseId;
}

type CheckedFile = Record<string, unknown> & { id: number; basename: string; datatypes?: string[] };

/** The checks of `toPrivateDataFile`, on their own for files that are checked but not kept. */
function checkPrivateDataFile(wire: unknown): asserts wire is CheckedFile {
  if (!isRecord(wire) || typeof wire.id !== 'number' || typeof wire.basename !== 'string') {
    throw bad('data file');
  }
  stringArray(wire.datatypes ?? [], 'data file');
}

/** §5.6 → DataFile; the download link is rebased onto the configured Open Humans origin. */
export function toPrivateDataFile(wire: unknown, baseUrl: string): PrivateDataFile {
  checkPrivateDataFile(wire);
  const dataTypeIds = (wire.datatypes ?? [])
    .map((link) => idFromLink(link, 'datatype'))
    .filter((id): id is number => id !== null);
  const created = String(wire.created ?? '');
  const metadata = isRecord(wire.metadata) ? wire.metadata : {};
  return {
    databaseId: wire.id,
    basename: wire.basename,
    created,
    dates: new FileDates(created, metadata),
    dataTypeIds,
    downloadUrl: rebaseDownloadUrl(String(wire.download_url ?? ''), baseUrl),
    metadata,
    source: String(wire.source ?? ''),
    sourceProjectId:
      typeof wire.source_project === 'string' ? idFromLink(wire.source_project, 'project') : null,
  };
}

type Membership = Omit<MemberRecord, 'fileCount' | 'knownFiles'>;

function membership(wire: Record<string, unknown>, what: string): Membership {
  if (typeof wire.project_member_id !== 'string' || typeof wire.created !== 'string') {
    throw bad(what);
  }
  return {
    projectMemberId: wire.project_member_id,
    created: wire.created,
    username: typeof wire.username === 'string' ? wire.username : null,
    sourcesShared: stringArray(wire.sources_shared ?? [], what),
  };
}

/**
 * One D2 member. Its embedded files (≤ 10, unordered) are kept only when they are all of the
 * member's files, sorted as exchange-member would list them; otherwise they say nothing exact.
 */
export function toMemberFromList(wire: unknown, baseUrl: string): MemberRecord {
  if (!isRecord(wire) || typeof wire.file_count !== 'number' || !Array.isArray(wire.data)) {
    throw bad('project member');
  }
  const complete = wire.data.length === wire.file_count;
  // A partial list is dropped: its files are only checked (a bad one still fails the page as it
  // always did), not built; about a quarter of a page's members, ten files each.
  if (!complete) for (const f of wire.data) checkPrivateDataFile(f);
  return {
    ...membership(wire, 'project member'),
    fileCount: wire.file_count,
    knownFiles: complete
      ? wire.data.map((f) => toPrivateDataFile(f, baseUrl)).sort(compareExchangeOrder)
      : null,
  };
}

export function toMemberPage(wire: unknown, baseUrl: string): Page<MemberRecord> {
  if (!isRecord(wire) || typeof wire.count !== 'number' || !Array.isArray(wire.results)) {
    throw bad('member list');
  }
  return { totalCount: wire.count, items: wire.results.map((m) => toMemberFromList(m, baseUrl)) };
}

/** A D3 page fetched at `offset`; it seeds `knownFiles` only when it starts at 0. */
export function toMemberFilesPage(wire: unknown, offset: number, baseUrl: string): MemberFilesPage {
  if (!isRecord(wire) || typeof wire.count !== 'number' || !Array.isArray(wire.data)) {
    throw bad('exchange-member answer');
  }
  const files = wire.data.map((f) => toPrivateDataFile(f, baseUrl));
  return {
    member: {
      ...membership(wire, 'exchange-member answer'),
      fileCount: wire.count,
      knownFiles: offset === 0 ? files : null,
    },
    offset,
    totalCount: wire.count,
    files,
  };
}

/** Data of no project: `ownProjectPlaceholder` objects are only used for their identity. */
export const PROJECT_PLACEHOLDER: Project = Object.freeze({
  databaseId: 0,
  active: false,
  approved: false,
  authorizedMembers: 0,
  badgeImage: null,
  contactEmail: '',
  idLabel: '',
  infoUrl: '',
  isAcademicOrNonprofit: false,
  isStudy: false,
  leader: '',
  longDescription: '',
  name: '',
  organization: '',
  registeredDataTypeIds: [],
  requestedSourceIds: [],
  requestSourcesAccess: [],
  requestUsernameAccess: false,
  returnedDataDescription: '',
  shortDescription: '',
  slug: '',
  type: null,
});
