// The sandbox's in-memory Open Humans. Both sandbox parts query and mutate it only through this
// class, so indexes stay consistent. Mutations bump `version` and drop the lazy public indexes.
import { createHash } from 'node:crypto';
import { seededBytes } from './bytes.js';
import { isPublicFile, PublicIndexes } from './indexes.js';
import type {
  AccessToken,
  DataFile,
  DataType,
  Membership,
  Project,
  RefreshToken,
  User,
} from './types.js';

export interface StoreData {
  seed: number;
  dataTypes: DataType[];
  projects: Project[];
  users: User[];
  memberships: Membership[];
  files: DataFile[];
  accessTokens: AccessToken[];
  refreshTokens: RefreshToken[];
}

export class SandboxStore {
  readonly seed: number;
  /** Bumped on every mutation. */
  version = 0;
  private readonly dataTypes = new Map<number, DataType>();
  private readonly projects = new Map<number, Project>();
  private readonly users = new Map<number, User>();
  private readonly usersByName = new Map<string, User>();
  private readonly memberships = new Map<string, Membership>();
  private readonly membershipsByPmi = new Map<string, Membership>();
  private readonly membershipsOfProject = new Map<number, Membership[]>();
  private readonly membershipsOfUser = new Map<number, Membership[]>();
  private readonly files = new Map<number, DataFile>();
  private readonly filesOfUser = new Map<number, Set<DataFile>>();
  private readonly filesByS3Key = new Map<string, DataFile>();
  private readonly projectsByMasterToken = new Map<string, Project>();
  private readonly accessTokens = new Map<string, AccessToken>();
  private readonly refreshTokens = new Map<string, RefreshToken>();
  private readonly md5Cache = new Map<number, string>();
  private publicIdx: PublicIndexes | null = null;
  private publicMembersCache: { version: number; list: User[] } | null = null;
  private nextFileId = 1;

  constructor(data: StoreData) {
    this.seed = data.seed;
    for (const d of data.dataTypes) this.dataTypes.set(d.id, d);
    for (const p of data.projects) this.addProject(p);
    for (const u of data.users) this.addUser(u);
    for (const m of data.memberships) this.addMembership(m);
    for (const f of data.files) this.addFile(f);
    for (const t of data.accessTokens) this.accessTokens.set(t.token, t);
    for (const t of data.refreshTokens) this.refreshTokens.set(t.token, t);
  }

  // ---- data types ----
  /** All datatypes, ascending id. */
  listDataTypes(): DataType[] {
    return [...this.dataTypes.values()].sort((a, b) => a.id - b.id);
  }
  dataType(id: number): DataType | undefined {
    return this.dataTypes.get(id);
  }
  /** All descendant ids (children, grandchildren, ...). */
  descendants(id: number): number[] {
    const out: number[] = [];
    const stack = [...(this.dataTypes.get(id)?.children ?? [])];
    while (stack.length > 0) {
      const next = stack.pop() as number;
      out.push(next);
      stack.push(...(this.dataTypes.get(next)?.children ?? []));
    }
    return out;
  }
  /** Projects that registered the datatype (all of them, approved or not, like upstream). */
  projectsRegistering(dataTypeId: number): Project[] {
    return this.listProjects().filter((p) => p.registeredDatatypes.includes(dataTypeId));
  }

  // ---- projects ----
  addProject(p: Project): void {
    this.projects.set(p.id, p);
    this.projectsByMasterToken.set(p.masterToken, p);
  }
  project(id: number): Project | undefined {
    return this.projects.get(id);
  }
  /** All projects, ascending id. */
  listProjects(): Project[] {
    return [...this.projects.values()].sort((a, b) => a.id - b.id);
  }
  /** P10: approved projects ordered by name (model Meta.ordering), then id. */
  approvedProjects(): Project[] {
    return this.listProjects()
      .filter((p) => p.approved)
      .sort((a, b) => (a.name === b.name ? a.id - b.id : a.name < b.name ? -1 : 1));
  }
  projectByMasterToken(token: string): Project | undefined {
    return this.projectsByMasterToken.get(token);
  }
  /** `refresh_token()`: a new master token, valid 24 h from `now`. */
  setMasterToken(projectId: number, token: string, expires: number): void {
    const p = this.projects.get(projectId);
    if (!p) return;
    this.projectsByMasterToken.delete(p.masterToken);
    p.masterToken = token;
    p.masterTokenExpires = expires;
    this.projectsByMasterToken.set(token, p);
  }

  // ---- users ----
  addUser(u: User): void {
    this.users.set(u.id, u);
    this.usersByName.set(u.username, u);
    this.touch();
  }
  user(id: number): User | undefined {
    return this.users.get(id);
  }
  userByUsername(username: string): User | undefined {
    return this.usersByName.get(username);
  }
  /** P6: active users except api-administrator, by username. */
  publicMembers(): User[] {
    if (this.publicMembersCache?.version !== this.version) {
      const list = [...this.users.values()]
        .filter((u) => u.active && u.username !== 'api-administrator')
        .sort((a, b) => (a.username < b.username ? -1 : a.username > b.username ? 1 : 0));
      this.publicMembersCache = { version: this.version, list };
    }
    return this.publicMembersCache.list;
  }

  // ---- memberships ----
  addMembership(m: Membership): void {
    this.memberships.set(key(m.projectId, m.userId), m);
    this.membershipsByPmi.set(m.projectMemberId, m);
    pushTo(this.membershipsOfProject, m.projectId, m);
    pushTo(this.membershipsOfUser, m.userId, m);
    this.touch();
  }
  membership(projectId: number, userId: number): Membership | undefined {
    return this.memberships.get(key(projectId, userId));
  }
  membershipByProjectMemberId(projectMemberId: string): Membership | undefined {
    return this.membershipsByPmi.get(projectMemberId);
  }
  /** Every membership row of a project, in creation order. */
  membershipsOf(projectId: number): Membership[] {
    return this.membershipsOfProject.get(projectId) ?? [];
  }
  /** `filter_active()`: joined, authorized, not revoked, user active (hidden ones included). */
  activeMembers(projectId: number): Membership[] {
    return this.membershipsOf(projectId).filter((m) => this.isActive(m));
  }
  isActive(m: Membership): boolean {
    return m.joined && m.authorized && !m.revoked && this.users.get(m.userId)?.active === true;
  }
  /** P13: visible, joined, authorized memberships of active users, by username. */
  visibleMembers(projectId: number): User[] {
    return this.membershipsOf(projectId)
      .filter((m) => m.visible && m.joined && m.authorized)
      .map((m) => this.users.get(m.userId))
      .filter((u): u is User => u?.active === true)
      .sort((a, b) => (a.username < b.username ? -1 : a.username > b.username ? 1 : 0));
  }
  /** P9: approved projects with a visible, joined, authorized membership of the user, by name. */
  projectsOfUser(userId: number): Project[] {
    return (this.membershipsOfUser.get(userId) ?? [])
      .filter((m) => m.visible && m.joined && m.authorized)
      .map((m) => this.projects.get(m.projectId))
      .filter((p): p is Project => p?.approved === true)
      .sort((a, b) => (a.name === b.name ? a.id - b.id : a.name < b.name ? -1 : 1));
  }
  /**
   * Mark data changed (call after editing a membership, project or file in place). Bumps
   * `version` (drops cached serializations); `affectsPublic: false` keeps the public indexes.
   */
  touch(affectsPublic = true): void {
    this.version++;
    if (affectsPublic) this.publicIdx = null;
  }
  /** Could this file be in a public list (now or once completed)? */
  private mayBePublic(f: DataFile): boolean {
    const p = this.projects.get(f.projectId);
    return !!p && !p.noPublicData && this.membership(f.projectId, f.userId)?.publicData === true;
  }

  // ---- files ----
  allocateFileId(): number {
    return this.nextFileId++;
  }
  addFile(f: DataFile): void {
    this.files.set(f.id, f);
    this.filesByS3Key.set(f.s3Key, f);
    let set = this.filesOfUser.get(f.userId);
    if (!set) {
      set = new Set();
      this.filesOfUser.set(f.userId, set);
    }
    set.add(f);
    if (f.id >= this.nextFileId) this.nextFileId = f.id + 1;
    this.touch(this.mayBePublic(f));
  }
  removeFile(id: number): DataFile | undefined {
    const f = this.files.get(id);
    if (!f) return undefined;
    this.files.delete(id);
    this.filesByS3Key.delete(f.s3Key);
    this.filesOfUser.get(f.userId)?.delete(f);
    this.md5Cache.delete(id);
    this.touch(this.mayBePublic(f));
    return f;
  }
  /** Call after changing a file in place (completion, size, content). */
  updateFile(f: DataFile): void {
    this.md5Cache.delete(f.id);
    this.touch(this.mayBePublic(f));
  }
  file(id: number): DataFile | undefined {
    return this.files.get(id);
  }
  fileByS3Key(s3Key: string): DataFile | undefined {
    return this.filesByS3Key.get(s3Key);
  }
  fileCount(): number {
    return this.files.size;
  }
  /** Every file of a user (any project, any state), ascending id. */
  filesOfUserAll(userId: number): DataFile[] {
    return [...(this.filesOfUser.get(userId) ?? [])].sort((a, b) => a.id - b.id);
  }
  isPublic(f: DataFile): boolean {
    return isPublicFile(this.indexSource(), f);
  }
  /** Public-file indexes (P1, P5, P8, P12), rebuilt after mutations. */
  publicIndexes(): PublicIndexes {
    if (!this.publicIdx) this.publicIdx = new PublicIndexes(this.indexSource());
    return this.publicIdx;
  }
  /**
   * D2/D3 rules: the member's completed project files; unless all sources are shared, only those
   * from granted sources and this project; ordered by source label (a string), then id.
   */
  memberFilesForProject(m: Membership): DataFile[] {
    const project = this.projects.get(m.projectId);
    if (!project) return [];
    const allowed = new Set([m.projectId, ...m.grantedSources]);
    return this.filesOfUserAll(m.userId)
      .filter((f) => f.completed && (m.allSourcesShared || allowed.has(f.projectId)))
      .sort((a, b) => {
        const la = `direct-sharing-${a.projectId}`;
        const lb = `direct-sharing-${b.projectId}`;
        return la === lb ? a.id - b.id : la < lb ? -1 : 1;
      });
  }
  /** The file's bytes, or null when only its hash was kept / nothing was uploaded yet. */
  bytesOf(f: DataFile): Buffer | null {
    switch (f.content.kind) {
      case 'seeded':
        return seededBytes(f.content.seed, f.id, f.size ?? 0);
      case 'stored':
        return f.content.bytes;
      case 'chunks':
        return Buffer.concat(f.content.chunks);
      default:
        return null;
    }
  }
  md5Of(f: DataFile): string | null {
    if (f.md5) return f.md5;
    const cached = this.md5Cache.get(f.id);
    if (cached) return cached;
    const bytes = this.bytesOf(f);
    if (!bytes) return null;
    const md5 = createHash('md5').update(bytes).digest('hex');
    this.md5Cache.set(f.id, md5);
    return md5;
  }

  // ---- OAuth2 tokens ----
  accessToken(token: string): AccessToken | undefined {
    return this.accessTokens.get(token);
  }
  refreshToken(token: string): RefreshToken | undefined {
    return this.refreshTokens.get(token);
  }
  addTokens(access: AccessToken, refresh: RefreshToken): void {
    this.accessTokens.set(access.token, access);
    this.refreshTokens.set(refresh.token, refresh);
  }
  removeAccessToken(token: string): void {
    this.accessTokens.delete(token);
  }
  /** What leave_project does: delete the user's access and refresh tokens for the project's app. */
  removeTokensOf(projectId: number, userId: number): void {
    for (const [t, a] of this.accessTokens)
      if (a.projectId === projectId && a.userId === userId) this.accessTokens.delete(t);
    for (const [t, r] of this.refreshTokens)
      if (r.projectId === projectId && r.userId === userId) this.refreshTokens.delete(t);
  }
  /** Access tokens of a project (any state), e.g. to hand out member tokens. */
  accessTokensOf(projectId: number): AccessToken[] {
    return [...this.accessTokens.values()].filter((a) => a.projectId === projectId);
  }

  private indexSource() {
    return {
      files: this.files.values(),
      user: (id: number) => this.users.get(id),
      project: (id: number) => this.projects.get(id),
      membership: (p: number, u: number) => this.membership(p, u),
      descendants: (id: number) => this.descendants(id),
    };
  }
}

function key(projectId: number, userId: number): string {
  return `${projectId}:${userId}`;
}

function pushTo<K, V>(map: Map<K, V[]>, k: K, v: V): void {
  const list = map.get(k);
  if (list) list.push(v);
  else map.set(k, [v]);
}
