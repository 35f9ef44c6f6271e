/**
 * Deauthorization events: what the Open Humans webhook tells a project when a member leaves it
 * (docs/deauthorization-webhook.md), as the gateway keeps and publishes them.
 */

/** One accepted webhook call, parsed. */
export interface DeauthorizationEvent {
  /**
   * The Open Humans project the webhook belongs to (the gateway's OPENHUMANS_PROJECT_ID). Stores
   * keep and show only their own project's events, so deployments sharing a Redis stay apart.
   */
  projectId: number;
  /** The member's id in the project (8 digits upstream; kept as a string). */
  projectMemberId: string;
  /** True when the member asked the project to erase their data. */
  erasureRequested: boolean;
  /** The upstream's `timestamp` (time of the erasure request, or of the deauthorization). */
  timestamp: Date;
  /** When this gateway accepted the webhook call. */
  receivedAt: Date;
}

/** An event as kept by a store: `id` orders events and is the position a consumer resumes from. */
export interface StoredDeauthorizationEvent extends DeauthorizationEvent {
  /** `<milliseconds>-<sequence>`, strictly increasing within one store (Redis stream id format). */
  id: string;
}

/** What `append` did: kept a new event, or recognised a replay of one it already keeps. */
export interface AppendOutcome {
  /** The kept event's id (the earlier one's for a duplicate). */
  id: string;
  /** True when the same (member, timestamp) was already accepted: nothing was kept or published. */
  duplicate: boolean;
}

/**
 * Identity of an event for deduplication: Open Humans sends one call per deauthorization, with
 * the member and the time it happened; a call with both equal is a replay or a retry of it.
 */
export function dedupeKey(
  event: Pick<DeauthorizationEvent, 'projectMemberId' | 'timestamp'>,
): string {
  return `${event.projectMemberId}@${event.timestamp.getTime()}`;
}

export type DeauthorizationListener = (event: StoredDeauthorizationEvent) => void;

export interface EventPage {
  events: StoredDeauthorizationEvent[];
  /** More events exist after the last one returned. */
  hasMore: boolean;
}

/**
 * Where accepted events are kept (bounded) and how they reach live subscribers. The in-memory
 * store serves one instance; the Redis store is shared by every instance using the same Redis.
 * A store belongs to one project: it keeps, lists and delivers only that project's events.
 * Failures to reach a shared store reject with `EventStoreUnavailableError`.
 */
export interface DeauthorizationEventStore {
  /**
   * Keeps the event and publishes it to every subscriber (on every instance, for Redis), unless
   * an event with the same `dedupeKey` was accepted within the dedupe window: then nothing is
   * kept or published again. Resolves only once the event is kept; on a rejection it was not
   * kept and will not be kept or published later.
   */
  append(event: DeauthorizationEvent): Promise<AppendOutcome>;
  /** Events strictly after `afterId` (from the oldest kept when null), oldest first. */
  listAfter(afterId: string | null, limit: number): Promise<EventPage>;
  /** Resolves once the listener is live; returns the function that removes it. */
  subscribe(listener: DeauthorizationListener): Promise<() => void>;
  close(): Promise<void>;
}

const EVENT_ID = /^(\d{1,15})-(\d{1,15})$/;

export function isEventId(value: string): boolean {
  return EVENT_ID.test(value);
}

/** Orders two event ids (negative when `a` comes first). */
export function compareEventIds(a: string, b: string): number {
  const [, am = '0', as = '0'] = EVENT_ID.exec(a) ?? [];
  const [, bm = '0', bs = '0'] = EVENT_ID.exec(b) ?? [];
  return Number(am) - Number(bm) || Number(as) - Number(bs);
}

/** The JSON kept in a store and sent over pub/sub. */
export interface SerializedEvent {
  projectId: number;
  projectMemberId: string;
  erasureRequested: boolean;
  timestamp: string;
  receivedAt: string;
}

export function serializeEvent(event: DeauthorizationEvent): SerializedEvent {
  return {
    projectId: event.projectId,
    projectMemberId: event.projectMemberId,
    erasureRequested: event.erasureRequested,
    timestamp: event.timestamp.toISOString(),
    receivedAt: event.receivedAt.toISOString(),
  };
}

/**
 * Reads back what `serializeEvent` wrote; null for anything else (never trusts the wire blindly).
 */
export function deserializeEvent(id: string, json: string): StoredDeauthorizationEvent | null {
  let value: unknown;
  try {
    value = JSON.parse(json);
  } catch {
    return null;
  }
  if (typeof value !== 'object' || value === null) return null;
  const v = value as Partial<Record<keyof SerializedEvent, unknown>>;
  if (typeof v.projectId !== 'number' || !Number.isSafeInteger(v.projectId)) return null;
  if (typeof v.projectMemberId !== 'string' || typeof v.erasureRequested !== 'boolean') return null;
  if (typeof v.timestamp !== 'string' || typeof v.receivedAt !== 'string') return null;
  const timestamp = new Date(v.timestamp);
  const receivedAt = new Date(v.receivedAt);
  if (Number.isNaN(timestamp.getTime()) || Number.isNaN(receivedAt.getTime())) return null;
  return {
    id,
    projectId: v.projectId,
    projectMemberId: v.projectMemberId,
    erasureRequested: v.erasureRequested,
    timestamp,
    receivedAt,
  };
}
