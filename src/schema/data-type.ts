/**
 * `DataType` (docs/upstream.md §5.3) with `Query.dataTypes` and `Query.dataType`. Data types are
 * a small set, held whole from one cached list call (P3): lookups, the tree (`parent`,
 * `children`), filters and pages are served from it.
 */
import type { DataType } from '../datasources/models.js';
import { builder } from './builder.js';
import { loadPresent, pageOfList } from './connections.js';
import { INCLUDE_CHILDREN_DESCRIPTION, resolveDataFiles } from './data-file.js';
import { POSITIONAL_PAGING } from './paging-notes.js';
import {
  DataFileConnection,
  DataFileRef,
  DataTypeConnection,
  DataTypeRef,
  dataTypeNode,
  ProjectRef,
} from './refs.js';

export { DataTypeConnection, DataTypeRef };

interface DataTypeFilter {
  uploadable?: boolean | null;
  sourceProjectId?: number | null;
}

const DataTypeFilterInput = builder.inputRef<DataTypeFilter>('DataTypeFilter').implement({
  description: 'Narrows `Query.dataTypes` (served exactly: the data types are held whole).',
  fields: (t) => ({
    uploadable: t.boolean({
      description: 'Only data types that can (true) or cannot (false) be uploaded to.',
    }),
    sourceProjectId: t.int({
      description: 'Only data types registered by the project with this `databaseId`.',
    }),
  }),
});

function filterDataTypes(
  list: readonly DataType[],
  filter: DataTypeFilter | null | undefined,
): readonly DataType[] {
  return list.filter(
    (d) =>
      (filter?.uploadable == null || d.uploadable === filter.uploadable) &&
      (filter?.sourceProjectId == null || d.sourceProjectIds.includes(filter.sourceProjectId)),
  );
}

DataTypeRef.implement({
  description: 'A kind of data in Open Humans (e.g. "Genome"), arranged in a tree.',
  fields: (t) => ({
    databaseId: t.exposeInt('databaseId', { description: 'The Open Humans id of the data type.' }),
    name: t.exposeString('name', { description: 'The unique name of the data type.' }),
    description: t.exposeString('description', {
      description: 'A short description (≤ 100 characters).',
    }),
    details: t.exposeString('details', { description: 'A longer explanation (may be empty).' }),
    uploadable: t.exposeBoolean('uploadable', {
      description: 'Whether projects may upload files of this type.',
    }),
    parent: t.field({
      type: DataTypeRef,
      nullable: true,
      description: 'The broader data type this one refines; null at the top of the tree.',
      resolve: (d, _args, ctx) =>
        d.parentId === null ? null : ctx.loaders.dataType.load(d.parentId),
    }),
    children: t.field({
      type: [DataTypeRef],
      description: 'The data types that refine this one.',
      resolve: (d, _args, ctx) => loadPresent(ctx.loaders.dataType, d.childIds),
    }),
    sourceProjects: t.field({
      type: [ProjectRef],
      description:
        'The public projects that registered this data type (unapproved ones are left out).',
      resolve: (d, _args, ctx) => loadPresent(ctx.loaders.publicProject, d.sourceProjectIds),
    }),
    dataFiles: t.connection(
      {
        type: DataFileRef,
        nullable: true,
        description:
          'The public files of this data type, ordered by member username. Null (with an error) ' +
          'when Open Humans fails to list them; the rest of the response stands.' +
          POSITIONAL_PAGING,
        args: {
          includeChildren: t.arg.boolean({
            defaultValue: false,
            description: INCLUDE_CHILDREN_DESCRIPTION,
          }),
        },
        resolve: (d, args, ctx, info) =>
          resolveDataFiles(
            ctx,
            args,
            { dataTypeId: d.databaseId, includeChildren: args.includeChildren },
            info,
          ),
      },
      DataFileConnection,
    ),
  }),
});

builder.queryFields((t) => ({
  dataTypes: t.connection(
    {
      type: DataTypeRef,
      description: 'All data types, ordered by `databaseId`.',
      args: { filter: t.arg({ type: DataTypeFilterInput, description: 'Narrow the list.' }) },
      resolve: async (_root, args, ctx) =>
        pageOfList(ctx, args, filterDataTypes(await ctx.loaders.lists.allDataTypes(), args.filter)),
    },
    DataTypeConnection,
  ),
  dataType: t.field({
    type: DataTypeRef,
    nullable: true,
    description: 'One data type by its Open Humans id. NOT_FOUND when it is unknown.',
    args: {
      databaseId: t.arg.int({
        required: true,
        description: 'The Open Humans id of the data type.',
      }),
    },
    resolve: (_root, args, ctx) => dataTypeNode(ctx.loaders.dataType, args.databaseId),
  }),
}));
