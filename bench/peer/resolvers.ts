/**
 * The peer's resolvers, written the way a team would with Apollo Server + RESTDataSource:
 * each field fetches what it needs through the per-request data source, whose GET
 * deduplication is the only sharing between fields. No DataLoader, no hand-rolled batching.
 */
import { GraphQLError } from 'graphql';
import type { OpenHumansAPI, WireFile, WireMember, WireProject } from './open-humans-api.js';

export interface PeerContext {
  dataSources: { oh: OpenHumansAPI };
}

type Typed<T> = T & { __typename: string };

interface ConnectionArgs {
  first?: number | null;
  after?: string | null;
  last?: number | null;
  before?: string | null;
}

const globalId = (type: string, key: string | number): string =>
  Buffer.from(`${type}:${key}`).toString('base64');

function fromGlobalId(id: string): { type: string; key: string } {
  const decoded = Buffer.from(id, 'base64').toString('utf8');
  const colon = decoded.indexOf(':');
  return { type: decoded.slice(0, colon), key: decoded.slice(colon + 1) };
}

const cursorFor = (offset: number): string => Buffer.from(`offset:${offset}`).toString('base64');

function offsetOf(cursor: string): number {
  const match = /^offset:(\d+)$/.exec(Buffer.from(cursor, 'base64').toString('utf8'));
  if (!match?.[1])
    throw new GraphQLError('Invalid cursor', { extensions: { code: 'BAD_USER_INPUT' } });
  return Number(match[1]);
}

/** The id at the end of an upstream link such as `https://…/api/public/datatype/3/`. */
const idFromUrl = (url: string): string => /\/(\d+)\/?$/.exec(url)?.[1] ?? '';

function connection<T>(items: T[], offset: number, total: number) {
  return {
    edges: items.map((node, i) => ({ cursor: cursorFor(offset + i), node })),
    pageInfo: {
      hasPreviousPage: offset > 0,
      hasNextPage: offset + items.length < total,
      startCursor: items.length ? cursorFor(offset) : null,
      endCursor: items.length ? cursorFor(offset + items.length - 1) : null,
    },
    totalCount: total,
  };
}

/** Resolves a Relay window over an offset list; `last` without `before` needs the count first. */
async function offsetWindow(
  args: ConnectionArgs,
  count: () => Promise<number>,
): Promise<{ offset: number; limit: number }> {
  if (args.last != null) {
    const end = args.before ? offsetOf(args.before) : await count();
    const offset = Math.max(0, end - args.last);
    return { offset, limit: end - offset };
  }
  const offset = args.after ? offsetOf(args.after) + 1 : 0;
  return { offset, limit: args.first ?? 20 };
}

const OWN_PROJECT = { ownProject: true } as const;
type ProjectParent = WireProject | typeof OWN_PROJECT;

/** The project behind a parent value: itself, or the token's own project via D1. */
async function project(p: ProjectParent, { dataSources }: PeerContext): Promise<WireProject> {
  return 'ownProject' in p ? dataSources.oh.getOwnProject() : p;
}

const publicFile = (f: WireFile): Typed<WireFile> => ({ ...f, __typename: 'DataFile' });

export const resolvers = {
  Node: {
    __resolveType: (obj: { __typename: string }) => obj.__typename,
  },
  Query: {
    node: (_: unknown, { id }: { id: string }, ctx: PeerContext) => loadNode(id, ctx),
    nodes: (_: unknown, { ids }: { ids: string[] }, ctx: PeerContext) =>
      ids.map((id) => loadNode(id, ctx)),
    dataFiles: async (_: unknown, args: ConnectionArgs, { dataSources }: PeerContext) => {
      const { offset, limit } = await offsetWindow(
        args,
        async () => (await dataSources.oh.listDataFiles(0, 1)).count,
      );
      const page = limit > 0 ? await dataSources.oh.listDataFiles(offset, limit) : null;
      const total = page?.count ?? (await dataSources.oh.listDataFiles(0, 1)).count;
      return connection((page?.results ?? []).map(publicFile), offset, total);
    },
    viewer: () => ({}),
  },
  Viewer: {
    // The token's own project. Its fields load project info (D1) only when asked for; members
    // need no lookup, because the members endpoint is already scoped to the token's project.
    project: () => OWN_PROJECT,
  },
  DataFile: {
    id: (f: WireFile) => globalId('DataFile', f.id),
    databaseId: (f: WireFile) => f.id,
    dataTypes: async (f: WireFile, _: unknown, { dataSources }: PeerContext) => {
      const types = await Promise.all(
        f.datatypes.map((url) => dataSources.oh.getDataType(idFromUrl(url))),
      );
      return types.filter((t) => t !== null);
    },
    sourceProject: (f: WireFile, _: unknown, { dataSources }: PeerContext) =>
      dataSources.oh.getProject(idFromUrl(f.source_project)),
    user: (f: WireFile) =>
      f.user?.username ? { username: f.user.username, name: f.user.name } : null,
  },
  DataType: {
    id: (t: { id: number }) => globalId('DataType', t.id),
    databaseId: (t: { id: number }) => t.id,
  },
  Project: {
    id: async (p: ProjectParent, _: unknown, ctx: PeerContext) =>
      globalId('Project', (await project(p, ctx)).id),
    databaseId: async (p: ProjectParent, _: unknown, ctx: PeerContext) =>
      (await project(p, ctx)).id,
    name: async (p: ProjectParent, _: unknown, ctx: PeerContext) => (await project(p, ctx)).name,
    members: async (_: unknown, args: ConnectionArgs, { dataSources }: PeerContext) => {
      const { offset, limit } = await offsetWindow({ first: args.first, after: args.after }, () =>
        Promise.resolve(0),
      );
      const page = await dataSources.oh.listMembers(offset, limit);
      return connection(page.results, offset, page.count);
    },
  },
  User: {
    id: (u: { username: string }) => globalId('User', u.username),
  },
  Member: {
    id: (m: WireMember) => globalId('Member', m.project_member_id),
    projectMemberId: (m: WireMember) => m.project_member_id,
    fileCount: (m: WireMember) => m.file_count,
    dataFiles: async (m: WireMember, args: ConnectionArgs, { dataSources }: PeerContext) => {
      const { offset, limit } = await offsetWindow({ first: args.first, after: args.after }, () =>
        Promise.resolve(0),
      );
      const page = await dataSources.oh.memberFiles(m.project_member_id, offset, limit);
      return connection(page.data, offset, page.count);
    },
  },
};

async function loadNode(id: string, { dataSources }: PeerContext): Promise<Typed<object> | null> {
  const { type, key } = fromGlobalId(id);
  const tag = <T extends object>(value: T | null, typename: string): Typed<T> | null =>
    value === null ? null : { ...value, __typename: typename };
  switch (type) {
    case 'DataFile':
      return tag(await dataSources.oh.getDataFile(key), 'DataFile');
    case 'DataType':
      return tag(await dataSources.oh.getDataType(key), 'DataType');
    case 'Project':
      return tag(await dataSources.oh.getProject(key), 'Project');
    case 'User':
      return tag(await dataSources.oh.getUser(key), 'User');
    default:
      return null;
  }
}
