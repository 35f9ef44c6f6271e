import type { DeauthorizationEventStore } from './deauthorization-event.js';
import { MemoryDeauthorizationEventStore } from './memory-store.js';
import { RedisDeauthorizationEventStore } from './redis-store.js';

export interface EventStoreSettings {
  /** `REDIS_URL`: shared store when set, in-memory otherwise. */
  redisUrl?: string | null;
  /** `OPENHUMANS_PROJECT_ID`: the only project whose events the store keeps and shows. */
  projectId: number | null;
  capacity?: number;
  /** How long an accepted (member, timestamp) is remembered, to drop replays and retries. */
  dedupeTtlMs?: number;
  /** Redis only: the time budget of one call before the store fails fast for a while. */
  redisTimeoutMs?: number;
  keyPrefix?: string;
  onError?: (message: string) => void;
}

/** Built once per gateway (`createGateway`, unless one is passed in); never a global import. */
export function createDeauthorizationEventStore(
  settings: EventStoreSettings,
): DeauthorizationEventStore {
  const { projectId, capacity, dedupeTtlMs } = settings;
  if (settings.redisUrl) {
    return new RedisDeauthorizationEventStore({
      url: settings.redisUrl,
      projectId,
      capacity,
      dedupeTtlMs,
      commandTimeoutMs: settings.redisTimeoutMs,
      keyPrefix: settings.keyPrefix,
      onError: settings.onError,
    });
  }
  return new MemoryDeauthorizationEventStore({ projectId, capacity, dedupeTtlMs });
}
