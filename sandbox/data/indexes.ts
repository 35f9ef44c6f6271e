// Precomputed, sorted views of the public files so a page request costs O(page), not O(files).
// Rebuilt lazily after any mutation (uploads and deletes are rare next to reads).
import type { DataFile, Membership, Project, User } from './types.js';

export interface IndexSource {
  files: Iterable<DataFile>;
  user(id: number): User | undefined;
  project(id: number): Project | undefined;
  membership(projectId: number, userId: number): Membership | undefined;
  descendants(dataTypeId: number): number[];
}

/** Production orders public file lists by username only; the sandbox adds id (docs/design.md). */
export function compareByUsernameThenId(src: IndexSource) {
  return (a: DataFile, b: DataFile): number => {
    const ua = src.user(a.userId)?.username ?? '';
    const ub = src.user(b.userId)?.username ?? '';
    if (ua !== ub) return ua < ub ? -1 : 1;
    return a.id - b.id;
  };
}

/**
 * `ProjectDataFile.objects.public()`: completed, member made it public, project allows public data.
 */
export function isPublicFile(src: IndexSource, f: DataFile): boolean {
  if (!f.completed) return false;
  const project = src.project(f.projectId);
  if (!project || project.noPublicData) return false;
  return src.membership(f.projectId, f.userId)?.publicData === true;
}

/** P8 extra rule: membership visible, joined, authorized and the project approved. */
export function isListedForMember(src: IndexSource, f: DataFile): boolean {
  const m = src.membership(f.projectId, f.userId);
  const p = src.project(f.projectId);
  return !!m && m.visible && m.joined && m.authorized && !!p && p.approved;
}

export class PublicIndexes {
  readonly all: DataFile[];
  private readonly byProject = new Map<number, DataFile[]>();
  private readonly byUser = new Map<number, DataFile[]>();
  private readonly byDataType = new Map<number, DataFile[]>();
  private readonly byDataTypeTree = new Map<number, DataFile[]>();

  constructor(private readonly src: IndexSource) {
    const cmp = compareByUsernameThenId(src);
    this.all = [...src.files].filter((f) => isPublicFile(src, f)).sort(cmp);
    for (const f of this.all) {
      push(this.byProject, f.projectId, f);
      if (isListedForMember(src, f)) push(this.byUser, f.userId, f);
      for (const dt of f.datatypes) push(this.byDataType, dt, f);
    }
  }

  ofProject(projectId: number): DataFile[] {
    return this.byProject.get(projectId) ?? [];
  }

  /** P8 list: the user's public files in visible, active memberships of approved projects. */
  ofUser(userId: number): DataFile[] {
    return this.byUser.get(userId) ?? [];
  }

  /**
   * P5: files tagged with the datatype, or (includeChildren) with it or any descendant. Like the
   * upstream join without `distinct`, a file tagged with several of those types appears once per
   * matching type (adjacent, since the sort is by username then id).
   */
  ofDataType(dataTypeId: number, includeChildren: boolean): DataFile[] {
    if (!includeChildren) return this.byDataType.get(dataTypeId) ?? [];
    const cached = this.byDataTypeTree.get(dataTypeId);
    if (cached) return cached;
    const ids = [dataTypeId, ...this.src.descendants(dataTypeId)];
    const rows: DataFile[] = [];
    for (const id of ids) rows.push(...(this.byDataType.get(id) ?? []));
    rows.sort(compareByUsernameThenId(this.src));
    this.byDataTypeTree.set(dataTypeId, rows);
    return rows;
  }
}

function push<K, V>(map: Map<K, V[]>, key: K, value: V): void {
  const list = map.get(key);
  if (list) list.push(value);
  else map.set(key, [value]);
}
