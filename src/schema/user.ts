/**
 * `User`: a public Open Humans member, keyed by `username` (the public serializers carry no
 * member id: docs/design.md). With `Query.users` (P6) and `Query.user` (P7).
 */

import type { PublicUser } from '../datasources/models.js';
import { isValidUsername } from '../datasources/public-api.js';
import { profileUrlFor } from '../datasources/wire.js';
import { badUserInput } from '../errors.js';
import { builder } from './builder.js';
import { pageOf, pageOptions } from './connections.js';
import type { CursorKeys } from './cursor-keys.js';
import { resolveDataFiles } from './data-file.js';
import { resolveOffsetPage } from './pagination.js';
import { KEYED_PAGING, POSITIONAL_PAGING } from './paging-notes.js';
import {
  DataFileConnection,
  DataFileRef,
  ProjectConnection,
  ProjectRef,
  UserConnection,
  UserRef,
  userNode,
} from './refs.js';

export { UserConnection, UserRef };

/** Open Humans orders public members by username (unique): cursors carry it. */
const USER_KEYS: CursorKeys<PublicUser> = { keyOf: (u) => [u.username] };

UserRef.implement({
  description: 'A public Open Humans member.',
  fields: (t) => ({
    username: t.exposeString('username', {
      description: 'The member username (letters, digits and `_`).',
    }),
    name: t.exposeString('name', {
      description: 'The display name the member chose (may be empty).',
    }),
    profileUrl: t.field({
      type: 'URL',
      description:
        "The member's public profile page on the configured Open Humans site " +
        '(`<origin>/member/<username>/`): the same for a member however it was reached.',
      resolve: (u, _args, ctx) => profileUrlFor(u.username, ctx.loaders.baseUrl),
    }),
    dataFiles: t.connection(
      {
        type: DataFileRef,
        nullable: true,
        description:
          "The member's public files (from projects where the membership is visible), " +
          'ordered as Open Humans lists them. Null (with an error) when Open Humans fails to ' +
          'list them; the rest of the response stands.' +
          POSITIONAL_PAGING,
        resolve: (u, args, ctx, info) =>
          resolveDataFiles(ctx, args, { username: u.username }, info),
      },
      DataFileConnection,
    ),
    projects: t.connection(
      {
        type: ProjectRef,
        nullable: true,
        description:
          'The public projects the member joined visibly. Null (with an error) when Open Humans ' +
          'fails to list them; the rest of the response stands.' +
          POSITIONAL_PAGING,
        resolve: (u, args, ctx) =>
          pageOf(ctx, args, (w) => ctx.loaders.lists.userProjects(u.username, w)),
      },
      ProjectConnection,
    ),
  }),
});

builder.queryFields((t) => ({
  users: t.connection(
    {
      type: UserRef,
      description: `All public members, ordered by username.${KEYED_PAGING}`,
      resolve: (_root, args, ctx) =>
        resolveOffsetPage(args, (w) => ctx.loaders.lists.users(w), {
          ...pageOptions(ctx),
          keys: USER_KEYS,
        }),
    },
    UserConnection,
  ),
  user: t.field({
    type: UserRef,
    nullable: true,
    description: 'One public member by username. NOT_FOUND when there is no such public member.',
    args: { username: t.arg.string({ required: true, description: 'The exact username.' }) },
    resolve: (_root, args, ctx) => {
      if (!isValidUsername(args.username)) {
        throw badUserInput('A username has only letters, digits and underscores.', {
          argumentName: 'username',
        });
      }
      return userNode(ctx.loaders.user, args.username);
    },
  }),
}));
