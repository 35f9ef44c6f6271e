import { AsyncLocalStorage } from 'node:async_hooks';
import { randomUUID } from 'node:crypto';

/**
 * Per-request async scope, so that every log line written while a request is handled (including
 * yoga's own lines, which know nothing about our context) carries the request id.
 */
export interface RequestScope {
  readonly requestId: string;
}

export const requestScope = new AsyncLocalStorage<RequestScope>();

export const currentRequestId = (): string | undefined => requestScope.getStore()?.requestId;

/** Accepted `x-request-id` values: short, printable, no separators that could forge log fields. */
const REQUEST_ID_PATTERN = /^[A-Za-z0-9._:@-]{1,128}$/;

/** The caller's `x-request-id` when it is well-formed, else a fresh UUID. */
export function requestIdFrom(header: string | null | undefined): string {
  const candidate = header?.trim();
  return candidate && REQUEST_ID_PATTERN.test(candidate) ? candidate : randomUUID();
}
