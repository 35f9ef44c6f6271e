/**
 * The floor: what an expert writes by hand against the REST API to produce the same response as
 * the benchmark's GraphQL queries — the fewest upstream calls, all independent calls in parallel,
 * nothing cached across requests. Large lists are never fetched whole (the rule the gateway
 * follows too); the small catalogues (projects, data types) are one list call each.
 * Each function returns exactly the `data` object of the matching GraphQL response.
 */
import { Pool } from 'undici';

type Query = Record<string, string | number>;

export interface WirePage<T> {
  count: number;
  results: T[];
}

interface WireFile {
  id: number;
  basename: string;
  datatypes: string[];
  source_project: string;
  source?: string;
  user?: { username: string | null };
}

interface WireNamed {
  id: number;
  name: string;
}

interface WireMember {
  project_member_id: string;
  file_count: number;
  data: WireFile[];
}

export class FloorClient {
  private readonly pool: Pool;

  constructor(private readonly baseUrl: string) {
    this.pool = new Pool(new URL(baseUrl).origin, { connections: 128, keepAliveTimeout: 60_000 });
  }

  close(): Promise<void> {
    return this.pool.close();
  }

  private async get<T>(path: string, query: Query = {}, token?: string): Promise<T> {
    const search = new URLSearchParams(
      Object.entries(query).map(([k, v]) => [k, String(v)]),
    ).toString();
    const prefix = new URL(this.baseUrl).pathname.replace(/\/$/, '');
    const res = await this.pool.request({
      path: `${prefix}${path}${search ? `?${search}` : ''}`,
      method: 'GET',
      headers: token ? { authorization: `Bearer ${token}` } : {},
    });
    const text = await res.body.text();
    if (res.statusCode === 404) return null as T;
    if (res.statusCode !== 200) throw new Error(`upstream ${res.statusCode} on ${path}`);
    return JSON.parse(text) as T;
  }

  /** (a) 100 public files with their data types, source project and user: 3 parallel calls. */
  async explorerPage(): Promise<unknown> {
    const [page, types, projects] = await Promise.all([
      this.get<WirePage<WireFile>>('/api/public/datafiles/', { limit: 100, offset: 0 }),
      this.catalog('/api/public/datatypes/'),
      this.catalog('/api/public/projects/'),
    ]);
    return {
      dataFiles: {
        totalCount: page.count,
        pageInfo: {
          hasNextPage: page.results.length < page.count,
          endCursor: cursorFor(page.results.length - 1),
        },
        edges: page.results.map((f) => ({
          node: {
            id: globalId('DataFile', f.id),
            databaseId: f.id,
            basename: f.basename,
            dataTypes: f.datatypes.flatMap((url) => named(types.get(idFromUrl(url)))),
            sourceProject: named(projects.get(idFromUrl(f.source_project)))[0] ?? null,
            user: f.user?.username ? { username: f.user.username } : null,
          },
        })),
      },
    };
  }

  /** (b) `last: 10` of the whole list: the count, then the last page (2 calls in sequence). */
  async lastPage(): Promise<unknown> {
    const { count } = await this.get<WirePage<WireFile>>('/api/public/datafiles/', { limit: 1 });
    const offset = Math.max(0, count - 10);
    const page = await this.get<WirePage<WireFile>>('/api/public/datafiles/', {
      limit: count - offset,
      offset,
    });
    return {
      dataFiles: {
        totalCount: page.count,
        pageInfo: { hasPreviousPage: offset > 0, hasNextPage: false },
        edges: page.results.map((f, i) => ({ cursor: cursorFor(offset + i), node: fileNode(f) })),
      },
    };
  }

  /** (b) `first: 50` after the item at `afterOffset`: one call. */
  async deepPage(afterOffset: number): Promise<unknown> {
    const offset = afterOffset + 1;
    const page = await this.get<WirePage<WireFile>>('/api/public/datafiles/', {
      limit: 50,
      offset,
    });
    return {
      dataFiles: {
        totalCount: page.count,
        pageInfo: { hasNextPage: offset + page.results.length < page.count },
        edges: page.results.map((f, i) => ({ cursor: cursorFor(offset + i), node: fileNode(f) })),
      },
    };
  }

  /**
   * (c) 100 members with their first 5 files: the members page, whose up to 10 embedded files are
   * all of a member's files when `file_count` ≤ 10, plus exchange-member for each other member.
   */
  async coordinatorView(masterToken: string): Promise<unknown> {
    const page = await this.get<WirePage<WireMember>>('/api/direct-sharing/project/members/', {
      access_token: masterToken,
      limit: 100,
    });
    const members = await Promise.all(
      page.results.map(async (m) => {
        const files =
          m.file_count <= 10
            ? [...m.data].sort(bySourceThenId).slice(0, 5)
            : (
                await this.get<{ data: WireFile[] }>(
                  '/api/direct-sharing/project/exchange-member/',
                  { project_member_id: m.project_member_id, limit: 5 },
                  masterToken,
                )
              ).data;
        return {
          node: {
            id: globalId('Member', m.project_member_id),
            projectMemberId: m.project_member_id,
            fileCount: m.file_count,
            dataFiles: {
              edges: files.map((f) => ({
                node: {
                  id: globalId('DataFile', f.id),
                  databaseId: f.id,
                  basename: f.basename,
                  source: f.source ?? null,
                },
              })),
            },
          },
        };
      }),
    );
    return { viewer: { project: { members: { totalCount: page.count, edges: members } } } };
  }

  /**
   * (d) `nodes` of mixed ids: one detail call per file and per user (large sets), one list call
   * for all projects and one for all data types, all in parallel.
   */
  async nodes(ids: readonly string[]): Promise<unknown> {
    const decoded = ids.map(fromGlobalId);
    const needs = (type: string): boolean => decoded.some((d) => d.type === type);
    const [types, projects] = await Promise.all([
      needs('DataType') ? this.catalog('/api/public/datatypes/') : new Map<string, WireNamed>(),
      needs('Project') ? this.catalog('/api/public/projects/') : new Map<string, WireNamed>(),
    ]);
    const nodes = await Promise.all(
      decoded.map(async ({ type, key }, i) => {
        const id = ids[i];
        switch (type) {
          case 'DataFile': {
            const f = await this.get<WireFile | null>(
              `/api/public/datafile/${encodeURIComponent(key)}/`,
            );
            return f && { __typename: 'DataFile', id, databaseId: f.id, basename: f.basename };
          }
          case 'User': {
            const u = await this.get<{ username: string; name: string } | null>(
              `/api/public/member/${encodeURIComponent(key)}/`,
            );
            return u && { __typename: 'User', id, username: u.username, name: u.name };
          }
          case 'Project':
          case 'DataType': {
            const item = (type === 'Project' ? projects : types).get(key);
            return item ? { __typename: type, id, databaseId: item.id, name: item.name } : null;
          }
          default:
            return null;
        }
      }),
    );
    return { nodes };
  }

  /** A whole small catalogue in one call, by id. */
  private async catalog(path: string): Promise<Map<string, WireNamed>> {
    const page = await this.get<WirePage<WireNamed>>(path, { limit: 1000 });
    return new Map(page.results.map((item) => [String(item.id), item]));
  }
}

function fileNode(f: WireFile) {
  return { id: globalId('DataFile', f.id), databaseId: f.id, basename: f.basename };
}

const named = (item: WireNamed | undefined) =>
  item ? [{ databaseId: item.id, name: item.name }] : [];

/** exchange-member's order (docs/upstream.md §2.3 D3). */
function bySourceThenId(a: WireFile, b: WireFile): number {
  const sa = a.source ?? '';
  const sb = b.source ?? '';
  return sa < sb ? -1 : sa > sb ? 1 : a.id - b.id;
}

export const globalId = (type: string, key: string | number): string =>
  Buffer.from(`${type}:${key}`).toString('base64');

export function fromGlobalId(id: string): { type: string; key: string } {
  const decoded = Buffer.from(id, 'base64').toString('utf8');
  const colon = decoded.indexOf(':');
  return { type: decoded.slice(0, colon), key: decoded.slice(colon + 1) };
}

const cursorFor = (offset: number): string => Buffer.from(`offset:${offset}`).toString('base64');

const idFromUrl = (url: string): string => /\/(\d+)\/?$/.exec(url)?.[1] ?? '';
