import type { Context } from '../context.js';
import type { MemberRecord, PrivateDataFile } from '../datasources/direct-sharing-wire.js';
import { builder } from './builder.js';
import { connectionWithTotal, pageOptions } from './connections.js';
import type { CursorKeys } from './cursor-keys.js';
import { type ConnectionArgs, resolveOffsetPage } from './pagination.js';
import { KEYED_PAGING, POSITIONAL_PAGING } from './paging-notes.js';
import { DataFileConnection, DataFileRef, nodeResults, ProjectRef, UserRef } from './refs.js';
import { SharedSourceRef, toSharedSources } from './shared-source.js';

/** Exchange-member lists a member's files by (source, id): cursors carry both. */
const MEMBER_FILE_KEYS: CursorKeys<PrivateDataFile> = {
  keyOf: (file) => [file.source ?? '', file.databaseId],
};

/**
 * A page of the member's files that agrees with the response's count for the member: built
 * from what is known, then, if a fresher read in this response saw another count, read again
 * straight from upstream (see `member-snapshot.ts`).
 */
async function resolveMemberFiles(ctx: Context, member: MemberRecord, args: ConnectionArgs) {
  const { loaders } = ctx;
  const snapshot = loaders.memberSnapshot(member);
  const page = (fresh: boolean) =>
    snapshot.track(
      resolveOffsetPage(
        args,
        (range) => loaders.memberFiles(member, range, { fresh, snapshot }),
        // The count already known places a `last` page without an extra call.
        {
          ...pageOptions(ctx),
          totalCount: fresh ? undefined : snapshot.fileCount,
          keys: MEMBER_FILE_KEYS,
        },
      ),
    );
  const first = await page(false);
  if (first.totalCount === (await snapshot.settled())) return first;
  return page(true);
}

/**
 * Members for `node(id)` through the `member` loader: a member only for a token allowed to see
 * it (its project's master token or its own access token); anyone else gets NOT_FOUND, which
 * `node` turns into null, so the answer does not tell whether the id exists.
 */
export const MemberRef = builder.nodeRef<MemberRecord, string>('Member', {
  id: { resolve: (member: MemberRecord) => member.projectMemberId, parse: (id: string) => id },
  loadManyWithoutCache: (ids, ctx) => nodeResults(ctx.loaders.member.loadMany(ids)),
});

export const MemberConnection = connectionWithTotal(MemberRef, 'Member', 'members');

MemberRef.implement({
  description:
    "A member of a project, as the project sees them: visible with the project's master token, " +
    "or with the member's own access token.",
  fields: (t) => ({
    projectMemberId: t.exposeString('projectMemberId', {
      description: "The member's id in this project (8 digits); other projects see other ids.",
    }),
    created: t.field({
      type: 'DateTime',
      description: 'When the member joined the project.',
      resolve: (member) => member.created,
    }),
    username: t.exposeString('username', {
      nullable: true,
      description: 'The Open Humans username; null unless the member shares it with the project.',
    }),
    user: t.field({
      type: UserRef,
      nullable: true,
      description: 'The public member behind this membership, when the username is shared.',
      resolve: (member, _args, ctx) =>
        member.username ? ctx.loaders.user.load(member.username) : null,
    }),
    sourcesShared: t.field({
      type: [SharedSourceRef],
      description: 'The sources (other projects) whose data the member shares with this project.',
      resolve: (member) => toSharedSources(member.sourcesShared),
    }),
    fileCount: t.int({
      description:
        "How many of the member's files this token can read (all pages of `dataFiles`). Agrees " +
        'with every `dataFiles.totalCount` of this member in the same response.',
      resolve: (member, _args, ctx) => ctx.loaders.memberSnapshot(member).settled(),
    }),
    dataFiles: t.connection(
      {
        type: DataFileRef,
        description:
          'The files the project can read for this member (each with its `source`), ordered by ' +
          'source, then id, as Open Humans lists them. Within one response, every page agrees ' +
          'with `fileCount`.' +
          KEYED_PAGING,
        resolve: (member, args, ctx) => resolveMemberFiles(ctx, member, args),
      },
      DataFileConnection,
    ),
  }),
});

builder.objectFields(ProjectRef, (t) => ({
  members: t.connection(
    {
      type: MemberRef,
      description:
        "The project's active members (joined, authorized, not revoked). Needs this project's " +
        'master token.' +
        POSITIONAL_PAGING,
      resolve: async (project, args, ctx) => {
        await ctx.directSharing.requireOwnProject(project, 'Listing project members');
        const fetchPage = (range: { offset: number; limit: number }) =>
          ctx.directSharing.listMembers(range);
        return resolveOffsetPage(args, fetchPage, pageOptions(ctx));
      },
    },
    MemberConnection,
  ),
  member: t.field({
    type: MemberRef,
    nullable: true,
    description:
      "One member of the project by projectMemberId. Needs this project's master token. " +
      'Open Humans also answers for members who left or revoked access, so such a member is ' +
      'shown too, with the files it still lists; an id that never belonged to the project is ' +
      'NOT_FOUND.',
    args: {
      projectMemberId: t.arg.string({
        required: true,
        description: "The member's id in this project.",
      }),
    },
    resolve: async (project, args, ctx) => {
      await ctx.directSharing.requireOwnProject(project, 'Reading a project member');
      return ctx.directSharing.projectMember(args.projectMemberId);
    },
  }),
}));
