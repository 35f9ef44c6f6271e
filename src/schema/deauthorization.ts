import { badUserInput } from '../errors.js';
import type { StoredDeauthorizationEvent } from '../events/deauthorization-event.js';
import { isEventId } from '../events/deauthorization-event.js';
import { openDeauthorizationFeed } from '../events/live-feed.js';
import { builder } from './builder.js';
import {
  FeedEnded,
  fromEventStore,
  guardSubscription,
  requireWebhookProjectMaster,
} from './deauthorization-access.js';

const CURSOR_PREFIX = 'DeauthorizationEvent:';

/** Opaque cursor of a kept event (base64 of its store position). */
export const eventCursor = (event: StoredDeauthorizationEvent): string =>
  Buffer.from(`${CURSOR_PREFIX}${event.id}`).toString('base64');

function parseEventCursor(cursor: string | null | undefined): string | null {
  if (cursor === null || cursor === undefined) return null;
  const decoded = Buffer.from(cursor, 'base64').toString('utf8');
  const id = decoded.startsWith(CURSOR_PREFIX) ? decoded.slice(CURSOR_PREFIX.length) : '';
  if (!isEventId(id))
    throw badUserInput('`after` is not a cursor of a deauthorization event.', {
      argument: 'after',
    });
  return id;
}

export const DeauthorizationEventRef = builder
  .objectRef<StoredDeauthorizationEvent>('DeauthorizationEvent')
  .implement({
    description:
      'A member left the project or was removed from it (the Open Humans deauthorization webhook). ' +
      'Their access tokens no longer work; when `erasureRequested` is true, delete their data.',
    fields: (t) => ({
      projectMemberId: t.exposeString('projectMemberId', {
        description: "The member's id in the project.",
      }),
      erasureRequested: t.exposeBoolean('erasureRequested', {
        description:
          'True when the member asked the project to erase the data it holds about them.',
      }),
      timestamp: t.field({
        type: 'DateTime',
        description:
          'When Open Humans says it happened (the erasure request, or the deauthorization).',
        resolve: (event) => event.timestamp,
      }),
      receivedAt: t.field({
        type: 'DateTime',
        description: 'When this gateway accepted the webhook call.',
        resolve: (event) => event.receivedAt,
      }),
      cursor: t.string({
        description: 'Where this event sits: pass it as `after` to resume from here without a gap.',
        resolve: eventCursor,
      }),
    }),
  });

const DeauthorizationEventConnectionRef = builder.connectionObject(
  {
    type: DeauthorizationEventRef,
    name: 'DeauthorizationEventConnection',
    description: 'Kept deauthorization events, oldest first.',
  },
  { name: 'DeauthorizationEventEdge', description: 'A deauthorization event, with its cursor.' },
);

builder.queryField('deauthorizationEvents', (t) =>
  t.field({
    type: DeauthorizationEventConnectionRef,
    description:
      'Deauthorization events the gateway received, oldest first, so a consumer that was offline ' +
      'catches up: pass the `cursor` of the last event it handled as `after`. The gateway keeps ' +
      'a bounded number of recent events (DEAUTH_EVENTS_MAX). Needs the master token of the ' +
      "gateway's project (OPENHUMANS_PROJECT_ID).",
    args: {
      first: t.arg.int({
        required: false,
        description: 'How many events (default 20, at most MAX_PAGE_SIZE).',
      }),
      after: t.arg.string({ required: false, description: 'Only events after this cursor.' }),
    },
    resolve: async (_root, args, ctx) => {
      const { defaultPageSize, maxPageSize } = ctx.loaders.pageSizes;
      const first = args.first ?? defaultPageSize;
      if (first < 0 || first > maxPageSize) {
        throw badUserInput(`\`first\` must be between 0 and ${maxPageSize}.`, {
          argument: 'first',
        });
      }
      const after = parseEventCursor(args.after);
      await requireWebhookProjectMaster(ctx);
      const page = await fromEventStore(() => ctx.events.store.listAfter(after, first));
      const edges = page.events.map((node) => ({ cursor: eventCursor(node), node }));
      return {
        edges,
        pageInfo: {
          hasNextPage: page.hasMore,
          hasPreviousPage: after !== null,
          startCursor: edges[0]?.cursor ?? null,
          endCursor: edges.at(-1)?.cursor ?? null,
        },
      };
    },
  }),
);

builder.subscriptionField('memberDeauthorized', (t) =>
  t.field({
    type: DeauthorizationEventRef,
    description:
      'Each deauthorization event as the gateway receives it (from any gateway instance sharing ' +
      'REDIS_URL). With `after`, first replays the kept events after that cursor, then continues ' +
      "live without a gap. Needs the master token of the gateway's project (OPENHUMANS_PROJECT_ID); " +
      'the token is proven again every SUBSCRIPTION_RECHECK_SECONDS, and the subscription ends with ' +
      'an UNAUTHENTICATED or FORBIDDEN error once it no longer holds.',
    args: {
      after: t.arg.string({
        required: false,
        description: 'Replay the kept events after this cursor first.',
      }),
    },
    subscribe: async (_root, args, ctx) => {
      const after = parseEventCursor(args.after);
      await requireWebhookProjectMaster(ctx);
      const feed = await fromEventStore(() => openDeauthorizationFeed(ctx.events.store, after));
      return guardSubscription(ctx, feed);
    },
    resolve: (item) => {
      if (item instanceof FeedEnded) throw item.error;
      return item;
    },
  }),
);
