import type { Context } from '../context.js';
import type { DirectSharingApi } from '../datasources/direct-sharing-api.js';
import { ErrorCode, GatewayError } from '../errors.js';
import { watchCredentials } from '../events/credential-watch.js';
import type {
  DeauthorizationEventStore,
  StoredDeauthorizationEvent,
} from '../events/deauthorization-event.js';
import type { DeauthorizationFeed } from '../events/live-feed.js';
import { RecheckCoalescer } from '../events/recheck-coalescer.js';
import { EventStoreUnavailableError } from '../events/redis-guard.js';

/**
 * Only the master token of the project the webhook belongs to (OPENHUMANS_PROJECT_ID) may read
 * its events: they say which members left. One D1 call (cached per token unless `api` is a
 * fresh uncached one) proves the project.
 */
export async function requireWebhookProjectMaster(
  ctx: Context,
  api: DirectSharingApi = ctx.directSharing,
): Promise<void> {
  const { projectId } = ctx.events;
  if (projectId === null) {
    throw new GatewayError(
      ErrorCode.FORBIDDEN,
      'Deauthorization events are not enabled on this gateway: its operator has not set OPENHUMANS_PROJECT_ID.',
    );
  }
  api.requireMasterToken('Reading deauthorization events');
  const project = await api.projectInfo();
  if (project.databaseId !== projectId) {
    throw new GatewayError(
      ErrorCode.FORBIDDEN,
      `Deauthorization events belong to project ${projectId}; this master token belongs to another project.`,
    );
  }
}

/** The event store (Redis) failing answers a coded, prompt error instead of a masked one. */
export async function fromEventStore<T>(call: () => Promise<T>): Promise<T> {
  try {
    return await call();
  } catch (err) {
    if (!(err instanceof EventStoreUnavailableError)) throw err;
    throw new GatewayError(
      ErrorCode.UPSTREAM_UNAVAILABLE,
      'The deauthorization event store is unavailable right now; try again shortly.',
      { extensions: { service: 'event-store' }, cause: err },
    );
  }
}

/** What a subscription's feed yields last when its credentials stop holding. */
export class FeedEnded {
  constructor(readonly error: GatewayError) {}
}

/**
 * Keeps a live subscription honest: its token is proven again every SUBSCRIPTION_RECHECK_SECONDS
 * (a fresh D1 call, no cache), and once it no longer holds (revoked, expired, another project)
 * the subscription gets that coded error as its last message and ends.
 */
export async function guardSubscription(
  ctx: Context,
  feed: DeauthorizationFeed,
): Promise<AsyncIterableIterator<StoredDeauthorizationEvent | FeedEnded>> {
  const intervalMs = ctx.events.recheckMs;
  const coalescer = coalescerFor(ctx.events.store, intervalMs);
  const key = ctx.directSharing.credentialKey();
  const watch = await watchCredentials((error) => feed.fail(error), {
    intervalMs,
    check: (signal) =>
      coalescer.run(key, () =>
        requireWebhookProjectMaster(ctx, ctx.directSharing.uncached(signal)),
      ),
    onCheckError: (err) =>
      ctx.logger.warn('subscription credential re-check failed; trying again later', {
        err: errorName(err),
      }),
  });
  feed.onClose(() => watch.stop());
  return endWithError(feed);
}

/** One coalescer per gateway (its event store is a per-gateway singleton), so tests stay apart. */
const coalescers = new WeakMap<DeauthorizationEventStore, RecheckCoalescer>();
function coalescerFor(store: DeauthorizationEventStore, intervalMs: number): RecheckCoalescer {
  let coalescer = coalescers.get(store);
  if (!coalescer) {
    coalescer = new RecheckCoalescer({ freshMs: intervalMs / 2 });
    coalescers.set(store, coalescer);
  }
  return coalescer;
}

const errorName = (err: unknown): string =>
  err instanceof GatewayError ? err.code : err instanceof Error ? err.name : 'error';

/** Turns the feed's closing GatewayError into one last item that the field's resolver throws. */
function endWithError(
  feed: DeauthorizationFeed,
): AsyncIterableIterator<StoredDeauthorizationEvent | FeedEnded> {
  let ended = false;
  const iterator: AsyncIterableIterator<StoredDeauthorizationEvent | FeedEnded> = {
    next: async () => {
      if (ended) return { value: undefined, done: true };
      try {
        return await feed.next();
      } catch (err) {
        if (!(err instanceof GatewayError)) throw err;
        ended = true;
        return { value: new FeedEnded(err), done: false };
      }
    },
    return: () => feed.return(),
    throw: (err?: unknown) => feed.throw(err),
    [Symbol.asyncIterator]: () => iterator,
  };
  return iterator;
}
