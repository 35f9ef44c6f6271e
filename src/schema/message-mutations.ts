/** Talking to members and removing them: `sendMessage`, `removeMembers`. Never retried. */
import { InputError } from '../datasources/writes/errors.js';
import { removeMembers, sendMessage } from '../datasources/writes/member-messages.js';
import { builder } from './builder.js';
import './user-error-mutations.js';

const SendMessageInput = builder.inputType('SendMessageInput', {
  description: 'Input of `sendMessage`: either `projectMemberIds` or `allMembers: true`.',
  fields: (t) => ({
    subject: t.string({
      description: 'Subject; Open Humans prefixes it with "[Open Humans Project Message]".',
    }),
    message: t.string({
      required: true,
      description: 'The text. `{{ PROJECT_MEMBER_ID }}` is replaced per member.',
    }),
    projectMemberIds: t.stringList({ description: 'Recipients (8-digit project member ids).' }),
    allMembers: t.boolean({
      description: 'Every active member of the project (master token only).',
    }),
  }),
});

const SendMessagePayload = builder
  .objectRef<{ recipients: string[] | null }>('SendMessagePayload')
  .implement({
    description: 'The message was accepted; Open Humans sends the e-mails asynchronously.',
    fields: (t) => ({
      projectMemberIds: t.stringList({
        nullable: true,
        description: 'The recipients; null when sent to all members.',
        resolve: (p) => p.recipients,
      }),
      allMembers: t.boolean({
        description: 'Whether it went to every active member.',
        resolve: (p) => p.recipients === null,
      }),
    }),
  });

builder.mutationField('sendMessage', (t) =>
  t.field({
    // Nullable: a failure leaves the results of the request's other mutations standing.
    nullable: true,
    description:
      'E-mails project members. A member token may message only its own member. Never retried.',
    type: SendMessagePayload,
    errors: {
      types: [InputError],
      directResult: true,
      union: { name: 'SendMessageResult', description: 'Accepted, or why not.' },
    },
    args: {
      input: t.arg({
        type: SendMessageInput,
        required: true,
        description: 'What to send, to whom.',
      }),
    },
    resolve: (_root, { input }, ctx) => sendMessage(ctx.directSharing, input),
  }),
);

const RemoveMembersInput = builder.inputType('RemoveMembersInput', {
  description: 'Input of `removeMembers`.',
  fields: (t) => ({
    projectMemberIds: t.stringList({
      required: true,
      description: 'Members to remove (a member token: only itself).',
    }),
  }),
});

const RemoveMembersPayload = builder
  .objectRef<{ ids: string[] }>('RemoveMembersPayload')
  .implement({
    description:
      'The members were removed: their authorization is revoked and the project is notified by webhook.',
    fields: (t) => ({
      removedProjectMemberIds: t.stringList({
        description: 'The removed members.',
        resolve: (p) => p.ids,
      }),
    }),
  });

builder.mutationField('removeMembers', (t) =>
  t.field({
    // Nullable: a failure leaves the results of the request's other mutations standing.
    nullable: true,
    description: 'Removes members from the project (revokes their authorization). Never retried.',
    type: RemoveMembersPayload,
    errors: {
      types: [InputError],
      directResult: true,
      union: { name: 'RemoveMembersResult', description: 'Removed, or why not.' },
    },
    args: {
      input: t.arg({ type: RemoveMembersInput, required: true, description: 'Whom to remove.' }),
    },
    resolve: async (_root, { input }, ctx) => ({
      ids: await removeMembers(ctx.directSharing, input.projectMemberIds),
    }),
  }),
);
