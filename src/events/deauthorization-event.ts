/**
 * Deauthorization events: what the Open Humans webhook tells a project when a member leaves it
 * (openhumans-api.md §2.6), as the gateway keeps and publishes them.
 */

/** One accepted webhook call, parsed. */
export interface DeauthorizationEvent {
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

export type DeauthorizationListener = (event: StoredDeauthorizationEvent) => void;

export interface EventPage {
  events: StoredDeauthorizationEvent[];
  /** More events exist after the last one returned. */
  hasMore: boolean;
}

/**
 * Where accepted events are kept (bounded) and how they reach live subscribers. The in-memory
 * store serves one instance; the Redis store is shared by every instance using the same Redis.
 */
export interface DeauthorizationEventStore {
  /** Keeps the event and publishes it to every subscriber (on every instance, for Redis). */
  append(event: DeauthorizationEvent): Promise<StoredDeauthorizationEvent>;
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
  projectMemberId: string;
  erasureRequested: boolean;
  timestamp: string;
  receivedAt: string;
}

export function serializeEvent(event: DeauthorizationEvent): SerializedEvent {
  return {
    projectMemberId: event.projectMemberId,
    erasureRequested: event.erasureRequested,
    timestamp: event.timestamp.toISOString(),
    receivedAt: event.receivedAt.toISOString(),
  };
}

/** Reads back what `serializeEvent` wrote; null for anything else (never trusts the wire blindly). */
export function deserializeEvent(id: string, json: string): StoredDeauthorizationEvent | null {
  let value: unknown;
  try {
    value = JSON.parse(json);
  } catch {
    return null;
  }
  if (typeof value !== 'object' || value === null) return null;
  const v = value as Partial<Record<keyof SerializedEvent, unknown>>;
  if (typeof v.projectMemberId !== 'string' || typeof v.erasureRequested !== 'boolean') return null;
  if (typeof v.timestamp !== 'string' || typeof v.receivedAt !== 'string') return null;
  const timestamp = new Date(v.timestamp);
  const receivedAt = new Date(v.receivedAt);
  if (Number.isNaN(timestamp.getTime()) || Number.isNaN(receivedAt.getTime())) return null;
  return { id, projectMemberId: v.projectMemberId, erasureRequested: v.erasureRequested, timestamp, receivedAt };
}
