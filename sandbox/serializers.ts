// Wire shapes of docs/upstream.md §5, with production's key order and link styles: absolute
// www.openhumans.org URLs in file serializers, relative paths in Project and DataType.
import type { SandboxStore } from './data/store.js';
import {
  type DataFile,
  type DataType,
  type Project,
  PUBLIC_ORIGIN,
  type User,
} from './data/types.js';
import { mintDownloadKey } from './signing.js';
import type { SandboxState } from './state.js';

/** DRF DateTimeField: UTC ISO-8601 with microseconds and Z. */
export function drfDate(ms: number): string {
  return new Date(ms).toISOString().replace(
    /\.(\d{3})Z$/,
    (_m, frac: string) =>
      `.${frac}${String((ms % 7) * 137)
        .padStart(3, '0')
        .slice(0, 3)}Z`,
  );
}

export const idLabel = (projectId: number): string => `direct-sharing-${projectId}`;

export function downloadUrl(state: SandboxState, fileId: number): string {
  return `${PUBLIC_ORIGIN}/data-management/datafile-download/${fileId}/?key=${mintDownloadKey(state.secret, fileId, state.now())}`;
}

/** §5.2 Project (P9–P11, D1). */
export function serializeProject(store: SandboxStore, p: Project): Record<string, unknown> {
  return {
    active: p.active,
    approved: p.approved,
    authorized_members: store.activeMembers(p.id).length,
    badge_image: p.badgeImage,
    contact_email: p.contactEmail,
    id: p.id,
    id_label: idLabel(p.id),
    info_url: p.infoUrl,
    is_academic_or_nonprofit: p.isAcademicOrNonprofit,
    is_study: p.isStudy,
    leader: p.leader,
    long_description: p.longDescription,
    name: p.name,
    organization: p.organization,
    registered_datatypes: p.registeredDatatypes.map((id) => `/api/public/datatype/${id}/`),
    requested_sources: p.requestedSources.map((id) => `/api/public/project/${id}/`),
    request_sources_access: p.requestedSources.map(idLabel),
    request_username_access: p.requestUsernameAccess,
    returned_data_description: p.returnedDataDescription,
    short_description: p.shortDescription,
    slug: p.slug,
    type: p.type,
  };
}

/** §5.3 DataType (P3, P4). */
export function serializeDataType(store: SandboxStore, d: DataType): Record<string, unknown> {
  return {
    id: d.id,
    name: d.name,
    parent: d.parent,
    children: d.children,
    description: d.description,
    details: d.details,
    uploadable: d.uploadable,
    source_projects: store.projectsRegistering(d.id).map((p) => `/api/public/project/${p.id}/`),
  };
}

/** §5.4 PublicMember (P6, P7, P13). */
export function serializePublicMember(u: User): Record<string, unknown> {
  return {
    name: u.name,
    profile_url: `${PUBLIC_ORIGIN}/member/${u.username}/`,
    username: u.username,
  };
}

/**
 * §5.1 PublicDataFile. Hidden membership: user fields null; and when the raw `?username=` value
 * contains the owner's username, the whole item is `{}` (a Python substring test).
 */
export function serializePublicFile(
  state: SandboxState,
  f: DataFile,
  usernameParam: string | undefined,
): Record<string, unknown> {
  const { store } = state;
  const owner = store.user(f.userId);
  const hidden = store.membership(f.projectId, f.userId)?.visible === false;
  if (hidden && usernameParam !== undefined && owner && usernameParam.includes(owner.username))
    return {};
  return {
    id: f.id,
    basename: f.basename,
    created: drfDate(f.created),
    datatypes: f.datatypes.map((id) => `${PUBLIC_ORIGIN}/api/public/datatype/${id}/`),
    download_url: downloadUrl(state, f.id),
    metadata: f.metadata,
    source_project: `${PUBLIC_ORIGIN}/api/public/project/${f.projectId}/`,
    user:
      hidden || !owner
        ? { id: null, name: null, username: null }
        : { id: owner.id, name: owner.name, username: owner.username },
  };
}

const KEY_SLOT = '\u0000KEY\u0000';
const publicJsonCache = new WeakMap<DataFile, { version: number; head: string; tail: string }>();

/**
 * `serializePublicFile` as JSON text, fast: everything but the download key is cached per file
 * (until the next store mutation), so a page costs 100 key mints and string joins.
 */
export function publicFileJson(
  state: SandboxState,
  f: DataFile,
  usernameParam: string | undefined,
): string {
  const { store } = state;
  if (usernameParam !== undefined && store.membership(f.projectId, f.userId)?.visible === false) {
    const owner = store.user(f.userId);
    if (owner && usernameParam.includes(owner.username)) return '{}';
  }
  let cached = publicJsonCache.get(f);
  if (!cached || cached.version !== store.version) {
    const obj = serializePublicFile(state, f, undefined);
    obj.download_url = `${PUBLIC_ORIGIN}/data-management/datafile-download/${f.id}/?key=${KEY_SLOT}`;
    const [head = '', tail = ''] = JSON.stringify(obj).split(JSON.stringify(KEY_SLOT).slice(1, -1));
    cached = { version: store.version, head, tail };
    publicJsonCache.set(f, cached);
  }
  return cached.head + mintDownloadKey(state.secret, f.id, state.now()) + cached.tail;
}

/** §5.6 private DataFile (D2 and D3 `data[]`). */
export function serializePrivateFile(state: SandboxState, f: DataFile): Record<string, unknown> {
  return {
    id: f.id,
    basename: f.basename,
    created: drfDate(f.created),
    datatypes: f.datatypes.map((id) => `${PUBLIC_ORIGIN}/api/public/datatype/${id}/`),
    download_url: downloadUrl(state, f.id),
    metadata: f.metadata,
    source: idLabel(f.projectId),
    source_project: `${PUBLIC_ORIGIN}/api/public/project/${f.projectId}/`,
  };
}
