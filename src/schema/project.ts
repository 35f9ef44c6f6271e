/**
 * `Project` (Open Humans' project serializer, camelCased) with `Query.projects` and
 * `Query.project`. Approved projects are a small set, held whole from one cached list call (P10):
 * lookups by id, filters and pages are served from it. Unapproved projects are not public: only
 * the token's own one loads (through project info, `src/loaders/visible-nodes.ts`).
 */
import type { Project } from '../datasources/models.js';
import { builder } from './builder.js';
import { loadPresent, pageOf, pageOptions } from './connections.js';
import type { CursorKeys } from './cursor-keys.js';
import { resolveDataFiles } from './data-file.js';
import { resolveArrayPage } from './pagination.js';
import { KEYED_PAGING, POSITIONAL_PAGING } from './paging-notes.js';
import {
  DataFileConnection,
  DataFileRef,
  DataTypeRef,
  ProjectConnection,
  ProjectRef,
  UserConnection,
  UserRef,
} from './refs.js';
import { pinForResponse } from './response-snapshot.js';

export { ProjectConnection, ProjectRef };

export const ProjectTypeEnum = builder.enumType('ProjectType', {
  description: 'How members join a project.',
  values: {
    OAUTH2: {
      value: 'oauth2',
      description: 'An OAuth2 project: members authorize an external app.',
    },
    ON_SITE: { value: 'on-site', description: 'An on-site project: members join on Open Humans.' },
  } as const,
});

/** A URL value, or null when it is empty or not a URL (the URL scalar must not throw). */
const urlOrNull = (value: string | null): string | null => {
  if (!value) return null;
  return URL.canParse(value) ? value : null;
};

/** Open Humans orders projects by name: cursors carry the name (and the id, for equal names). */
const PROJECT_KEYS: CursorKeys<Project> = { keyOf: (p) => [p.name, p.databaseId] };

interface ProjectFilter {
  active?: boolean | null;
  nameContains?: string | null;
}

const ProjectFilterInput = builder.inputRef<ProjectFilter>('ProjectFilter').implement({
  description: 'Narrows `Query.projects` (served exactly: the public projects are held whole).',
  fields: (t) => ({
    active: t.boolean({ description: 'Only projects that are (true) or are not (false) active.' }),
    nameContains: t.string({
      description: 'Only projects whose name contains this text, ignoring case.',
    }),
  }),
});

function filterProjects(
  list: readonly Project[],
  filter: ProjectFilter | null | undefined,
): readonly Project[] {
  const needle = filter?.nameContains?.toLowerCase();
  return list.filter(
    (p) =>
      (filter?.active == null || p.active === filter.active) &&
      (needle === undefined || p.name.toLowerCase().includes(needle)),
  );
}

ProjectRef.implement({
  description:
    'An Open Humans project (a data source or a study). Only approved projects are public.',
  fields: (t) => ({
    databaseId: t.exposeInt('databaseId', { description: 'The Open Humans id of the project.' }),
    name: t.exposeString('name', { description: 'The project name.' }),
    slug: t.exposeString('slug', { description: 'The URL slug of the project.' }),
    idLabel: t.exposeString('idLabel', {
      description: 'The source label of the project, `direct-sharing-<databaseId>`.',
    }),
    type: t.field({
      type: ProjectTypeEnum,
      nullable: true,
      description: 'How members join the project; null when Open Humans does not say.',
      resolve: (p) => p.type,
    }),
    active: t.exposeBoolean('active', { description: 'Whether the project accepts new members.' }),
    approved: t.exposeBoolean('approved', {
      description: 'Whether Open Humans approved the project.',
    }),
    authorizedMembers: t.int({
      description:
        'How many members have joined and authorized the project (hidden ones included). One ' +
        'value per response: every occurrence of the project repeats the first one resolved.',
      resolve: (p, _args, ctx) =>
        pinForResponse(ctx, `Project:${p.databaseId}:authorizedMembers`, p.authorizedMembers),
    }),
    badgeImage: t.field({
      type: 'URL',
      nullable: true,
      description: 'The project badge image; null when there is none.',
      resolve: (p) => urlOrNull(p.badgeImage),
    }),
    contactEmail: t.exposeString('contactEmail', {
      description: "The project's contact e-mail address.",
    }),
    infoUrl: t.exposeString('infoUrl', {
      description: 'A web page about the project (may be empty).',
    }),
    isAcademicOrNonprofit: t.exposeBoolean('isAcademicOrNonprofit', {
      description: 'Whether the project is run by an academic or non-profit organization.',
    }),
    isStudy: t.exposeBoolean('isStudy', {
      description: 'Whether the project is a research study.',
    }),
    leader: t.exposeString('leader', { description: 'The project leader.' }),
    organization: t.exposeString('organization', {
      description: 'The organization behind the project.',
    }),
    shortDescription: t.exposeString('shortDescription', {
      description: 'A short description (≤ 140 characters).',
    }),
    longDescription: t.exposeString('longDescription', {
      description: 'A long description (≤ 1000 characters).',
    }),
    returnedDataDescription: t.exposeString('returnedDataDescription', {
      description: 'What data the project returns to its members (≤ 140 characters).',
    }),
    requestUsernameAccess: t.exposeBoolean('requestUsernameAccess', {
      description: "Whether the project asks for its members' usernames.",
    }),
    requestSourcesAccess: t.exposeStringList('requestSourcesAccess', {
      description:
        'Labels (`direct-sharing-<id>`) of the sources the project asks for (legacy form of ' +
        '`requestedSources`).',
    }),
    registeredDataTypes: t.field({
      type: [DataTypeRef],
      description: 'The data types the project registered for its files.',
      resolve: (p, _args, ctx) => loadPresent(ctx.loaders.dataType, p.registeredDataTypeIds),
    }),
    requestedSources: t.field({
      type: [ProjectRef],
      description: 'The public projects whose data this project asks its members to share.',
      resolve: (p, _args, ctx) => loadPresent(ctx.loaders.publicProject, p.requestedSourceIds),
    }),
    dataFiles: t.connection(
      {
        type: DataFileRef,
        nullable: true,
        description:
          'The public files from this project, ordered by member username. Null (with an error) ' +
          'when Open Humans fails to list them; the rest of the response stands.' +
          POSITIONAL_PAGING,
        resolve: (p, args, ctx, info) =>
          resolveDataFiles(ctx, args, { projectId: p.databaseId }, info),
      },
      DataFileConnection,
    ),
    publicMembers: t.connection(
      {
        type: UserRef,
        nullable: true,
        description:
          'The members who joined this project publicly. Null (with an error) when Open Humans ' +
          'fails to list them; the rest of the response stands.' +
          POSITIONAL_PAGING,
        resolve: (p, args, ctx) =>
          pageOf(ctx, args, (w) => ctx.loaders.lists.projectMembers(p.databaseId, w)),
      },
      UserConnection,
    ),
  }),
});

builder.queryFields((t) => ({
  projects: t.connection(
    {
      type: ProjectRef,
      description: `The public (approved) projects, ordered by name.${KEYED_PAGING}`,
      args: { filter: t.arg({ type: ProjectFilterInput, description: 'Narrow the list.' }) },
      resolve: async (_root, args, ctx) =>
        resolveArrayPage(args, filterProjects(await ctx.loaders.lists.allProjects(), args.filter), {
          ...pageOptions(ctx),
          keys: PROJECT_KEYS,
        }),
    },
    ProjectConnection,
  ),
  project: t.field({
    type: ProjectRef,
    nullable: true,
    description:
      "One project by its Open Humans id: a public (approved) one, or the token's own project " +
      'even before approval. NOT_FOUND otherwise.',
    args: {
      databaseId: t.arg.int({ required: true, description: 'The Open Humans id of the project.' }),
    },
    resolve: (_root, args, ctx) => ctx.loaders.project.load(args.databaseId),
  }),
}));
