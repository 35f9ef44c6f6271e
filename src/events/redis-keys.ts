/**
 * Every Redis key and channel of the deauthorization events, built in one place so a deployment
 * prefix applies to all of them. The project id is part of each name: two deployments of
 * different projects sharing one Redis never read, trim or deduplicate each other's events.
 */

/** The fixed prefix used when none is configured. */
export const DEFAULT_EVENTS_KEY_PREFIX = 'openhumans-graphql:';

export interface EventKeys {
  /** The capped stream of kept events. */
  stream: string;
  /** The pub/sub channel live events go out on. */
  channel: string;
  /** The marker that an event (member, timestamp) was already accepted. */
  dedupe(dedupeKey: string): string;
}

export function deauthorizationEventKeys(prefix: string, projectId: number | null): EventKeys {
  const base = `${prefix}deauthorization-events:${projectId ?? 'none'}`;
  return {
    stream: base,
    channel: `${base}:live`,
    dedupe: (key) => `${base}:seen:${key}`,
  };
}
