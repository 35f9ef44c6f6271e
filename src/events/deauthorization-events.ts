import type { DeauthorizationEventStore } from './deauthorization-event.js';

/** What the deauthorization fields of one request use (built per request by `createContext`). */
export interface DeauthorizationEvents {
  /** The kept events, and the live feed (memory, or Redis with REDIS_URL). */
  store: DeauthorizationEventStore;
  /** The project whose webhook the events come from (OPENHUMANS_PROJECT_ID); null when unset. */
  projectId: number | null;
  /** How often a live subscription proves its token again (SUBSCRIPTION_RECHECK_SECONDS). */
  recheckMs: number;
}
