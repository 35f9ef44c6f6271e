import type { Config } from '../config/index.js';
import type { EventStoreSettings } from './create-store.js';

/**
 * The event store's settings from the configuration. Replays are remembered as long as a
 * `timestamp` can pass the webhook's freshness check (tolerance either way) plus a minute, so a
 * replay is refused as stale or dropped as a duplicate: never kept twice.
 */
export function eventStoreSettings(config: Config): EventStoreSettings {
  const { eventCapacity, timestampToleranceMs, redisTimeoutMs } = config.deauthorization;
  return {
    redisUrl: config.redisUrl,
    projectId: config.openHumans.projectId,
    capacity: eventCapacity,
    dedupeTtlMs: 2 * timestampToleranceMs + 60_000,
    redisTimeoutMs,
  };
}
