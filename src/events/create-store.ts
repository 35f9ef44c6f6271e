import type { DeauthorizationEventStore } from './deauthorization-event.js';
import { MemoryDeauthorizationEventStore } from './memory-store.js';
import { RedisDeauthorizationEventStore } from './redis-store.js';

export interface EventStoreSettings {
  /** `REDIS_URL`: shared store when set, in-memory otherwise. */
  redisUrl?: string | null;
  capacity?: number;
  keyPrefix?: string;
  onError?: (message: string) => void;
}

/** Built once per process (in main or createGateway) and passed in, never imported as a global. */
export function createDeauthorizationEventStore(settings: EventStoreSettings): DeauthorizationEventStore {
  if (settings.redisUrl) {
    return new RedisDeauthorizationEventStore({
      url: settings.redisUrl,
      capacity: settings.capacity,
      keyPrefix: settings.keyPrefix,
      onError: settings.onError,
    });
  }
  return new MemoryDeauthorizationEventStore(settings.capacity);
}
