import { type GraphQLResolveInfo, Kind, type SelectionSetNode } from 'graphql';
import { TokenKind } from '../auth/token.js';
import type { Project } from '../datasources/models.js';
import { builder } from './builder.js';
import { MemberRef } from './member.js';
import { ProjectRef } from './refs.js';

export const TokenKindEnum = builder.enumType('TokenKind', {
  description: 'The kind of Open Humans token a request carries.',
  values: {
    MASTER: {
      value: TokenKind.MASTER,
      description: "A project's master token (64 letters and digits): the whole project.",
    },
    MEMBER: {
      value: TokenKind.MEMBER,
      description: "A member's OAuth2 access token for a project: that member only.",
    },
  },
});

/** The request's token, seen from the graph. */
export interface Viewer {
  tokenKind: TokenKind;
}

/**
 * Fields of `Project` that the token itself scopes (they check ownership themselves, without
 * the project's data): selecting only these on `viewer.project` costs no project-info call.
 */
const TOKEN_SCOPED_PROJECT_FIELDS = new Set(['members', 'member', '__typename']);

/** Every field name selected under the current field, through fragments (directives ignored). */
function selectedFieldNames(info: GraphQLResolveInfo): Set<string> {
  const names = new Set<string>();
  const visit = (set: SelectionSetNode | undefined): void => {
    for (const selection of set?.selections ?? []) {
      if (selection.kind === Kind.FIELD) names.add(selection.name.value);
      else if (selection.kind === Kind.INLINE_FRAGMENT) visit(selection.selectionSet);
      else visit(info.fragments[selection.name.value]?.selectionSet);
    }
  };
  for (const node of info.fieldNodes) visit(node.selectionSet);
  return names;
}

export const ViewerRef = builder.objectRef<Viewer>('Viewer').implement({
  description:
    "Who the request's token speaks for: a project (master token) or one member of a project " +
    '(member access token).',
  fields: (t) => ({
    tokenKind: t.field({
      type: TokenKindEnum,
      description:
        'Whether the token is a project master token or a member access token, told from the ' +
        "token's shape (master tokens are 64 letters and digits) without calling Open Humans: an " +
        'unknown token is only refused by the fields that reach Open Humans.',
      resolve: (viewer) => viewer.tokenKind,
    }),
    project: t.field({
      type: ProjectRef,
      description:
        'The project the token belongs to, approved or not. Fetched only when one of its own ' +
        'fields is asked for: `members` and `member` alone cost no project call.',
      resolve: (_viewer, _args, ctx, info): Project | Promise<Project> => {
        const names = selectedFieldNames(info);
        const onlyScoped = [...names].every((name) => TOKEN_SCOPED_PROJECT_FIELDS.has(name));
        const api = ctx.directSharing;
        return onlyScoped ? api.ownProjectPlaceholder() : api.projectInfo();
      },
    }),
    member: t.field({
      type: MemberRef,
      nullable: true,
      description:
        "The token's own membership (a member access token); null for a project master token.",
      resolve: (_viewer, _args, ctx) => ctx.directSharing.viewerMember(),
    }),
  }),
});

builder.queryField('viewer', (t) =>
  t.field({
    type: ViewerRef,
    nullable: true,
    description:
      "The project or member the request's token stands for. Needs a token " +
      '(`Authorization: Bearer …`); costs no upstream call by itself.',
    resolve: (_root, _args, ctx): Viewer => ({
      tokenKind: ctx.directSharing.requireTokenKind(),
    }),
  }),
);
