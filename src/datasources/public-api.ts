/**
 * The public Open Humans API (`/api/public/…`, docs/upstream.md §2.1, routes P1–P13): one
 * instance per GraphQL request, over the shared `OpenHumansHttp` and the shared `PublicCache`.
 *
 * Every call here is a token-free GET, so every response may go through the shared cache (raw
 * bodies, mapped on read). Projects and data types are small sets: each is held whole from one
 * cached list call and serves lookups by id, filtering and paging. Large lists (files, members)
 * are only ever fetched one window at a time.
 *
 * Production answers 500, not 404, for an unknown id on nested lists (P5, P8, P9, P12, P13).
 * Such a 500 is confirmed with the detail endpoint and becomes NOT_FOUND; it is not retried.
 */
import { notFound } from '../errors.js';
import { distinctFiles, MAX_TREE_ROWS, treeTooLarge } from './data-type-tree.js';
import type { DataFile, DataType, ListPage, Project, PublicUser, Window } from './models.js';
import type { OpenHumansHttp, QueryValue } from './open-humans-http.js';
import { isUpstreamError, toGatewayError } from './open-humans-http.js';
import type { PublicCache } from './response-cache.js';
import type { RouteId } from './routes.js';
import { toDataType, toListPage, toProject, toPublicDataFile, toPublicUser } from './wire.js';

/** Page size for the held-whole lists: one call holds all of them (≈40 projects, ≈25 types). */
const HELD_LIST_LIMIT = 1000;
/** A safety stop for held lists: past this many pages the set is not "small" any more. */
const HELD_LIST_MAX_PAGES = 5;
/** Open Humans usernames (§1.1); anything else cannot exist and must not reach a path. */
const USERNAME = /^[A-Za-z0-9_]{1,150}$/;

const byDatabaseId = (a: { databaseId: number }, b: { databaseId: number }): number =>
  a.databaseId - b.databaseId;

export const isValidUsername = (username: string): boolean => USERNAME.test(username);
const isValidId = (id: number): boolean => Number.isSafeInteger(id) && id > 0;

export interface PublicDataApiOptions {
  http: OpenHumansHttp;
  cache: PublicCache;
}

/** A held-whole list with its index by id. */
interface HeldSet<T> {
  list: readonly T[];
  byId: ReadonlyMap<number, T>;
}

interface GetSpec {
  route: RouteId;
  path: string;
  query?: Record<string, QueryValue>;
  /** Catalogue bodies (no download URLs) may be cached longer. */
  catalog?: boolean;
}

type NestedRoute = 'P5' | 'P8' | 'P9' | 'P12' | 'P13';

export class PublicDataApi {
  private readonly http: OpenHumansHttp;
  private readonly cache: PublicCache;
  private projects: Promise<HeldSet<Project>> | undefined;
  private dataTypes: Promise<HeldSet<DataType>> | undefined;
  /** The held sets once loaded, for answers that need no promise (`heldProject`, …). */
  private projectsHeld: HeldSet<Project> | undefined;
  private dataTypesHeld: HeldSet<DataType> | undefined;
  private readonly trees = new Map<number, Promise<readonly DataFile[]>>();

  constructor(options: PublicDataApiOptions) {
    this.http = options.http;
    this.cache = options.cache;
  }

  /** The base URL download links are rebased onto. */
  get baseUrl(): string {
    return this.http.baseUrl;
  }

  // ---- Held sets: projects (P10) and data types (P3) ------------------------------------

  /** Every approved project (P10), ordered by name as upstream orders them. */
  async allProjects(): Promise<readonly Project[]> {
    return (await this.projectSet()).list;
  }

  /** One approved project by id, or null (unknown or unapproved: not public). */
  async project(id: number): Promise<Project | null> {
    return (await this.projectSet()).byId.get(id) ?? null;
  }

  /** Every data type (P3), ordered by id (upstream has no order). */
  async allDataTypes(): Promise<readonly DataType[]> {
    return (await this.dataTypeSet()).list;
  }

  /** The data types with these ids, in the given order; unknown ids are left out. */
  async dataTypesByIds(ids: readonly number[]): Promise<DataType[]> {
    if (ids.length === 0) return [];
    const { byId } = await this.dataTypeSet();
    return ids.flatMap((id) => byId.get(id) ?? []);
  }

  /** One data type by id, or null. */
  async dataType(id: number): Promise<DataType | null> {
    return (await this.dataTypeSet()).byId.get(id) ?? null;
  }

  /**
   * One approved project by id, or null, when the project list is already held; `undefined`
   * while it is not (then `project` answers). Resolvers of a page's 100 rows answer without a
   * promise each: the executor then completes the whole page synchronously.
   */
  heldProject(id: number): Project | null | undefined {
    const held = this.projectsHeld;
    return held ? (held.byId.get(id) ?? null) : undefined;
  }

  /**
   * The data types with these ids that exist, in the given order (duplicates kept, like
   * `DataLoader.loadMany`), when the data type list is already held; `undefined` while it is
   * not.
   */
  heldDataTypes(ids: readonly number[]): DataType[] | undefined {
    const held = this.dataTypesHeld;
    if (!held) return undefined;
    const found: DataType[] = [];
    for (const id of ids) {
      const type = held.byId.get(id);
      if (type) found.push(type);
    }
    return found;
  }

  private projectSet(): Promise<HeldSet<Project>> {
    this.projects ??= this.holdWhole('P10', '/api/public/projects/', toProject).then((set) => {
      this.projectsHeld = set;
      return set;
    });
    return this.projects;
  }

  private dataTypeSet(): Promise<HeldSet<DataType>> {
    this.dataTypes ??= this.holdWhole(
      'P3',
      '/api/public/datatypes/',
      toDataType,
      byDatabaseId,
    ).then((set) => {
      this.dataTypesHeld = set;
      return set;
    });
    return this.dataTypes;
  }

  /**
   * A held list, in upstream order or sorted by `order`. The usual case, one page holding the
   * whole set, is built once per cached body (`PublicCache.mapped`), not on every request.
   */
  private async holdWhole<T extends { databaseId: number }>(
    route: RouteId,
    path: string,
    map: (wire: unknown) => T,
    order?: (a: T, b: T) => number,
  ): Promise<HeldSet<T>> {
    const held = (list: T[]): HeldSet<T> => {
      if (order) list.sort(order);
      return { list, byId: new Map(list.map((item) => [item.databaseId, item])) };
    };
    const list: T[] = [];
    for (let page = 0; page < HELD_LIST_MAX_PAGES; page += 1) {
      const query = { limit: HELD_LIST_LIMIT, offset: page * HELD_LIST_LIMIT };
      const wire = await this.get({ route, path, query, catalog: true });
      const { items, totalCount } = this.page(wire, route, map);
      if (page === 0 && (items.length === 0 || items.length >= totalCount)) {
        return this.cache.mapped(wire, `held:${route}`, () => held([...items]));
      }
      list.push(...items);
      if (items.length === 0 || list.length >= totalCount) break;
    }
    return held(list);
  }

  /** A list body mapped to a page of models, once per cached body (`tag` names `map`). */
  private page<T>(wire: unknown, tag: string, map: (item: unknown) => T | null): ListPage<T> {
    return this.cache.mapped(wire, `page:${tag}`, (body) => toListPage(body, map));
  }

  // ---- Files ------------------------------------------------------------------------------

  /** P1: a window of all public files (production orders them by username only). */
  async dataFiles(window: Window): Promise<ListPage<DataFile>> {
    const path = '/api/public/datafiles/';
    return this.filesPage(await this.get({ route: 'P1', path, query: { ...window } }));
  }

  /** P2: one public file, or null when it does not exist or is not public. */
  async dataFile(id: number): Promise<DataFile | null> {
    if (!isValidId(id)) return null;
    const wire = await this.getOrNull({ route: 'P2', path: `/api/public/datafile/${id}/` });
    if (wire === null) return null;
    return this.cache.mapped(wire, `file:${this.baseUrl}`, (w) =>
      toPublicDataFile(w, this.baseUrl),
    );
  }

  /** P5: a window of a data type's own public files (see `dataTypeTreeFiles` for descendants). */
  async dataTypeFiles(id: number, window: Window): Promise<ListPage<DataFile>> {
    const path = `/api/public/datatype/${id}/datafiles/`;
    return this.filesPage(await this.nested('P5', id, { route: 'P5', path, query: { ...window } }));
  }

  /**
   * P5 with `include_children`: every public file of a data type and its descendants, each
   * once, in upstream order. Upstream joins without `distinct`, so a file with several matching
   * types is listed once per type; its counts and windows count rows, not files, and a row can
   * shift between two windows. So the list is read whole in one call (one consistent snapshot,
   * cached like any public answer) and deduplicated: pages, counts and cursors then count files.
   * Lists longer than MAX_TREE_ROWS rows (about 7 MB of JSON) are refused: the answer is bounded.
   */
  dataTypeTreeFiles(id: number): Promise<readonly DataFile[]> {
    let tree = this.trees.get(id);
    if (!tree) {
      tree = this.readTree(id);
      this.trees.set(id, tree);
      // A failed read is not kept: a retry in the same request may succeed.
      tree.catch(() => this.trees.delete(id));
    }
    return tree;
  }

  private async readTree(id: number): Promise<readonly DataFile[]> {
    const path = `/api/public/datatype/${id}/datafiles/`;
    // One call for the whole list: rows shift between two windows of an unstable order.
    const query = { limit: MAX_TREE_ROWS, offset: 0, include_children: 'true' };
    const wire = await this.nested('P5', id, { route: 'P5', path, query });
    const page = this.filesPage(wire);
    if (page.totalCount > MAX_TREE_ROWS) throw treeTooLarge(id, page.totalCount);
    return this.cache.mapped(wire, `tree:${this.baseUrl}`, () => distinctFiles(page.items));
  }

  /** P8: a window of a member's public files (visible, approved memberships only). */
  async userFiles(username: string, window: Window): Promise<ListPage<DataFile>> {
    const path = `/api/public/member/${username}/datafiles/`;
    const query = { ...window };
    return this.filesPage(await this.nested('P8', username, { route: 'P8', path, query }));
  }

  /** P12: a window of a project's public files. */
  async projectFiles(id: number, window: Window): Promise<ListPage<DataFile>> {
    const path = `/api/public/project/${id}/datafiles/`;
    const query = { ...window };
    return this.filesPage(await this.nested('P12', id, { route: 'P12', path, query }));
  }

  private filesPage(wire: unknown): ListPage<DataFile> {
    return this.page(wire, `files:${this.baseUrl}`, (item) => toPublicDataFile(item, this.baseUrl));
  }

  // ---- Members ----------------------------------------------------------------------------

  /** P6: a window of all public members, ordered by username. */
  async users(window: Window): Promise<ListPage<PublicUser>> {
    const path = '/api/public/members/';
    const wire = await this.get({ route: 'P6', path, query: { ...window } });
    return this.page(wire, 'users', toPublicUser);
  }

  /** P7: one public member, or null. */
  async user(username: string): Promise<PublicUser | null> {
    if (!isValidUsername(username)) return null;
    const wire = await this.getOrNull({ route: 'P7', path: `/api/public/member/${username}/` });
    return wire === null ? null : this.cache.mapped(wire, 'user', toPublicUser);
  }

  /** P9: a window of the projects a member publicly joined. */
  async userProjects(username: string, window: Window): Promise<ListPage<Project>> {
    const path = `/api/public/member/${username}/projects/`;
    const wire = await this.nested('P9', username, { route: 'P9', path, query: { ...window } });
    return this.page(wire, 'projects', toProject);
  }

  /** P13: a window of a project's public members. */
  async projectMembers(id: number, window: Window): Promise<ListPage<PublicUser>> {
    const path = `/api/public/project/${id}/members/`;
    const wire = await this.nested('P13', id, { route: 'P13', path, query: { ...window } });
    return this.page(wire, 'users', toPublicUser);
  }

  // ---- Calls ------------------------------------------------------------------------------

  /**
   * A cached token-free GET; failures leave as GatewayErrors (the one mapping in
   * open-humans-http.ts).
   */
  private async get(spec: GetSpec): Promise<unknown> {
    try {
      return await this.cache.fetch<unknown>(
        this.http,
        { route: spec.route, path: spec.path, query: spec.query },
        { catalog: spec.catalog },
      );
    } catch (err) {
      throw toGatewayError(err);
    }
  }

  /** A detail GET whose 404 means "no such public object". */
  private async getOrNull(spec: GetSpec): Promise<unknown> {
    try {
      return await this.cache.fetch<unknown>(this.http, spec, { catalog: spec.catalog });
    } catch (err) {
      if (isUpstreamError(err) && err.status === 404) return null;
      throw toGatewayError(err);
    }
  }

  /**
   * A nested list whose parent may not exist. Invalid ids never reach the upstream; a 500 is
   * confirmed with the parent's detail endpoint and answered NOT_FOUND when the parent is gone.
   */
  private async nested(
    route: NestedRoute,
    parent: number | string,
    spec: GetSpec,
  ): Promise<unknown> {
    const valid = typeof parent === 'number' ? isValidId(parent) : isValidUsername(parent);
    if (!valid) throw this.parentNotFound(route, parent);
    try {
      return await this.cache.fetch<unknown>(this.http, spec);
    } catch (err) {
      if (isUpstreamError(err) && err.status === 500 && !(await this.parentExists(route, parent))) {
        throw this.parentNotFound(route, parent);
      }
      throw toGatewayError(err);
    }
  }

  private async parentExists(route: NestedRoute, parent: number | string): Promise<boolean> {
    const detail: GetSpec =
      route === 'P5'
        ? { route: 'P4', path: `/api/public/datatype/${parent}/`, catalog: true }
        : route === 'P8' || route === 'P9'
          ? { route: 'P7', path: `/api/public/member/${parent}/` }
          : { route: 'P11', path: `/api/public/project/${parent}/`, catalog: true };
    return (await this.getOrNull(detail)) !== null;
  }

  private parentNotFound(route: NestedRoute, parent: number | string): Error {
    if (route === 'P5') return notFound(`No data type with databaseId ${parent}.`);
    if (route === 'P8' || route === 'P9') return notFound(`No public member named "${parent}".`);
    return notFound(`No public project with databaseId ${parent}.`);
  }
}
