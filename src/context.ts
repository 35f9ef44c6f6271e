/**
 * Per-request context. Built fresh for every GraphQL request by `createContext` (src/gateway.ts);
 * process-wide singletons (undici dispatcher, shared caches, logger) are passed in, never imported.
 */
export interface Context {
  /** Request id (x-request-id, accepted or generated); appears in every log line. */
  requestId: string;
  /** The caller's Open Humans token from `Authorization: Bearer …`, or null. Never log it. */
  token: string | null;
}
