/**
 * `DataFile` (one type for public and private files) with `Query.dataFiles` and
 * `Query.dataFile`. Metadata is loose upstream (any keys, any values): the typed readers below
 * never throw; they answer null when a value does not have the expected shape.
 */

import type { GraphQLResolveInfo } from 'graphql';
import type { Context } from '../context.js';
import { MAX_TREE_ROWS } from '../datasources/data-type-tree.js';
import type { DataFile, Window } from '../datasources/models.js';
import { isValidUsername } from '../datasources/public-api.js';
import { rebaseDownloadUrl } from '../datasources/wire.js';
import { badUserInput } from '../errors.js';
import { builder } from './builder.js';
import { loadPresent, pageOptions } from './connections.js';
import { selectsAnyField } from './lookahead.js';
import { MetadataDatesRef } from './metadata-date.js';
import { type ConnectionArgs, resolveOffsetPage } from './pagination.js';
import { POSITIONAL_PAGING } from './paging-notes.js';
import { DataFileConnection, DataFileRef, DataTypeRef, ProjectRef, UserRef } from './refs.js';

export { DataFileConnection, DataFileRef };

const metadataString = (file: DataFile, key: string): string | null => {
  const value = file.metadata[key];
  return typeof value === 'string' ? value : null;
};

/** The filter of `Query.dataFiles`: each routes to the upstream list that really filters. */
export interface DataFileFilter {
  projectId?: number | null;
  dataTypeId?: number | null;
  includeChildren?: boolean | null;
  username?: string | null;
}

/** What `includeChildren` promises (shared by `DataFileFilter` and `DataType.dataFiles`). */
export const INCLUDE_CHILDREN_DESCRIPTION =
  'With `dataTypeId`: also files of its descendant data types. Each file is listed once, even ' +
  'when several of its types match: pages are full while more files exist and `totalCount` ' +
  `counts files. The list is read whole from Open Humans (at most ${MAX_TREE_ROWS} rows; more ` +
  'is BAD_USER_INPUT).';

const DataFileFilterInput = builder.inputRef<DataFileFilter>('DataFileFilter').implement({
  description:
    'Narrows `Query.dataFiles` to one project, one data type or one member. At most one of ' +
    '`projectId`, `dataTypeId` and `username` may be given: Open Humans serves each of them ' +
    'from its own list and cannot combine them.',
  fields: (t) => ({
    projectId: t.int({ description: 'Only files from the project with this `databaseId`.' }),
    dataTypeId: t.int({ description: 'Only files of the data type with this `databaseId`.' }),
    includeChildren: t.boolean({
      description: INCLUDE_CHILDREN_DESCRIPTION,
    }),
    username: t.string({ description: 'Only the public files of the member with this username.' }),
  }),
});

/** Picks the upstream list for a filter, rejecting combinations no single list serves. */
function filesFetcher(ctx: Context, filter: DataFileFilter | null | undefined) {
  const api = ctx.loaders.lists;
  const keys = ['projectId', 'dataTypeId', 'username'] as const;
  const given = keys.filter((k) => filter?.[k] != null);
  if (given.length > 1) {
    throw badUserInput(
      `Filter by one of projectId, dataTypeId or username, not ${given.join(' and ')}: ` +
        'Open Humans cannot combine them.',
      { argumentName: 'filter' },
    );
  }
  if (filter?.includeChildren != null && filter.dataTypeId == null) {
    throw badUserInput('`includeChildren` only applies together with `dataTypeId`.', {
      argumentName: 'filter',
    });
  }
  const { projectId, dataTypeId, username } = filter ?? {};
  if (username != null && !isValidUsername(username)) {
    throw badUserInput('A username has only letters, digits and underscores.', {
      argumentName: 'filter',
    });
  }
  if (projectId != null) return (w: Window) => api.projectFiles(projectId, w);
  if (dataTypeId != null && filter?.includeChildren) {
    // Read whole and deduplicated: pages, counts and cursors count files, not upstream rows.
    return async (w: Window) => {
      const files = await api.dataTypeTreeFiles(dataTypeId);
      return { items: files.slice(w.offset, w.offset + w.limit), totalCount: files.length };
    };
  }
  if (dataTypeId != null) return (w: Window) => api.dataTypeFiles(dataTypeId, w);
  if (username != null) return (w: Window) => api.userFiles(username, w);
  return (w: Window) => api.dataFiles(w);
}

const NEEDS_DATA_TYPES = new Set(['dataTypes']);
const NEEDS_PROJECTS = new Set(['sourceProject']);

/**
 * Starts the catalogue loads together with the file page when the selection will need them, so
 * a cold page costs one round trip, as a hand-written client would make it, instead of the page
 * first and the catalogues after it (`Loaders.warmCatalogues`). Settles once they are held (or
 * failed); null when the selection needs neither.
 */
function prefetchCatalogues(
  ctx: Context,
  info: GraphQLResolveInfo | undefined,
): Promise<void> | null {
  if (!info) return null;
  const dataTypes = selectsAnyField(info, NEEDS_DATA_TYPES);
  const projects = selectsAnyField(info, NEEDS_PROJECTS);
  if (!dataTypes && !projects) return null;
  return ctx.loaders.warmCatalogues({ dataTypes, projects });
}

/**
 * Pages public files with a filter (shared by `Query.dataFiles` and the nested lists). With the
 * catalogues prefetched, the page is answered once they are held too (the answer waits for them
 * anyway): each row's `dataTypes` and `sourceProject` then resolve without a promise, and the
 * executor completes the page's rows synchronously instead of one promise chain per row.
 */
export function resolveDataFiles(
  ctx: Context,
  args: ConnectionArgs,
  filter?: DataFileFilter | null,
  info?: GraphQLResolveInfo,
) {
  const catalogues = prefetchCatalogues(ctx, info);
  const page = resolveOffsetPage(args, filesFetcher(ctx, filter), pageOptions(ctx));
  if (!catalogues) return page;
  return Promise.all([page, catalogues]).then(([connection]) => connection);
}

DataFileRef.implement({
  description:
    'A file a member shared in Open Humans. Public listings set `user`; private (token-scoped) ' +
    'listings set `source`.',
  fields: (t) => ({
    databaseId: t.exposeInt('databaseId', { description: 'The Open Humans id of the file.' }),
    basename: t.exposeString('basename', { description: 'The file name, without any folder.' }),
    created: t.field({
      type: 'DateTime',
      nullable: true,
      description:
        'When the file was uploaded, to the microsecond (null only if Open Humans sent no valid date).',
      resolve: (file) => file.dates.createdAt,
    }),
    downloadUrl: t.field({
      type: 'URL',
      description:
        'A download link (a redirect to storage). Open Humans makes a new key each time it lists ' +
        'the file; a key is valid for one hour.',
      resolve: (file, _args, ctx) => rebaseDownloadUrl(file.downloadUrl, ctx.loaders.baseUrl),
    }),
    metadata: t.field({
      type: 'JSONObject',
      description: 'The metadata object exactly as uploaded (loose: any keys, any values).',
      resolve: (file) => file.metadata,
    }),
    description: t.string({
      nullable: true,
      description: 'Metadata `description`; null when absent or not a string.',
      resolve: (file) => metadataString(file, 'description'),
    }),
    tags: t.stringList({
      nullable: true,
      description: 'Metadata `tags` (its string items); null when absent or not a list.',
      resolve: (file) => {
        const tags = file.metadata.tags;
        if (!Array.isArray(tags)) return null;
        return tags.filter((tag): tag is string => typeof tag === 'string');
      },
    }),
    md5: t.string({
      nullable: true,
      description: 'Metadata `md5` as given (upstream never checks it); null when absent.',
      resolve: (file) => metadataString(file, 'md5'),
    }),
    creationDate: t.field({
      type: 'DateTime',
      nullable: true,
      description:
        'The instant Open Humans reads from metadata `creation_date` (UTC when it gives no offset; the ' +
        'start of the period for a partial date such as `2019-01`); null when absent or not a date ' +
        'Open Humans accepts. `metadataDates` has the value exactly as set.',
      resolve: (file) => file.dates.metadataDates.creation?.instant ?? null,
    }),
    startDate: t.field({
      type: 'DateTime',
      nullable: true,
      description:
        'The instant Open Humans reads from metadata `start_date` (UTC when it gives no offset; the ' +
        'start of the period for a partial date such as `2019-01`); null when absent or not a date ' +
        'Open Humans accepts. `metadataDates` has the value exactly as set.',
      resolve: (file) => file.dates.metadataDates.start?.instant ?? null,
    }),
    endDate: t.field({
      type: 'DateTime',
      nullable: true,
      description:
        'The instant Open Humans reads from metadata `end_date` (UTC when it gives no offset; the ' +
        'start of the period for a partial date such as `2019-01`); null when absent or not a date ' +
        'Open Humans accepts. `metadataDates` has the value exactly as set.',
      resolve: (file) => file.dates.metadataDates.end?.instant ?? null,
    }),
    metadataDates: t.field({
      type: MetadataDatesRef,
      description:
        'The metadata dates exactly as set (partial dates, offsets and all), each beside its instant.',
      resolve: (file) => file.dates.metadataDates,
    }),
    dataTypes: t.field({
      type: [DataTypeRef],
      description: 'The data types of the file.',
      // Batched over the whole page: one held list (one cached P3 call per request).
      resolve: (file, _args, ctx) =>
        ctx.loaders.heldDataTypes(file.dataTypeIds) ??
        loadPresent(ctx.loaders.dataType, file.dataTypeIds),
    }),
    sourceProject: t.field({
      type: ProjectRef,
      nullable: true,
      description: 'The project the file came from; null when that project is not public.',
      resolve: (file, _args, ctx) => {
        const id = file.sourceProjectId;
        if (id === null) return null;
        const held = ctx.loaders.heldPublicProject(id);
        return held === undefined ? ctx.loaders.publicProject.load(id) : held;
      },
    }),
    user: t.field({
      type: UserRef,
      nullable: true,
      description:
        'The member who shared the file (public listings); null when their membership in the ' +
        'source project is hidden, and on private listings.',
      resolve: (file) => file.user ?? null,
    }),
    source: t.string({
      nullable: true,
      description:
        'The `direct-sharing-<id>` label of the source project, on private (token-scoped) ' +
        'listings; null on public ones.',
      resolve: (file) => file.source ?? null,
    }),
  }),
});

builder.queryFields((t) => ({
  dataFiles: t.connection(
    {
      type: DataFileRef,
      description:
        'Public data files, ordered by member username (Open Humans does not order files of ' +
        'one member: they may move between pages). `filter` narrows to one project, data type ' +
        'or member.' +
        POSITIONAL_PAGING,
      args: {
        filter: t.arg({
          type: DataFileFilterInput,
          description: 'Narrow to one project, data type or member.',
        }),
      },
      resolve: (_root, args, ctx, info) => resolveDataFiles(ctx, args, args.filter, info),
    },
    DataFileConnection,
  ),
  dataFile: t.field({
    type: DataFileRef,
    nullable: true,
    description:
      'One data file by its Open Humans id: a public one, or a private one the token can list (a ' +
      "member token: its own files; a master token: its members' files). NOT_FOUND otherwise.",
    args: {
      databaseId: t.arg.int({ required: true, description: 'The Open Humans id of the file.' }),
    },
    resolve: (_root, args, ctx) => ctx.loaders.dataFile.load(args.databaseId),
  }),
}));
