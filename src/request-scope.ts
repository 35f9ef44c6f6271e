import { AsyncLocalStorage } from 'node:async_hooks';
import { randomUUID } from 'node:crypto';

/**
 * The one async scope of a request: every value that follows a request's work through its
 * promises (the request id of its log lines, its deadline, its upstream budget) is a slot of it.
 * One AsyncLocalStorage rather than one per value, because on Node 20 every promise created
 * while any is in use pays one propagation step per storage (promise hooks); with one slot per
 * value a request's hundreds of promises paid it three times.
 */
interface Frame {
  /** What the frame was opened for (the request), so the request's own plugins fill it in. */
  readonly owner: object | undefined;
  readonly values: Map<ScopeSlot<unknown>, unknown>;
}

const storage = new AsyncLocalStorage<Frame>();

/** One named value of the request scope (`RequestId`, the deadline, the upstream budget). */
export class ScopeSlot<T> {
  constructor(readonly name: string) {}

  /** The value in the current scope, if any. */
  get(): T | undefined {
    return storage.getStore()?.values.get(this) as T | undefined;
  }

  /** Runs `fn` (and everything it starts) with this slot set to `value`, the rest inherited. */
  run<R>(value: T, fn: () => R): R {
    const current = storage.getStore();
    const values = new Map(current?.values);
    values.set(this, value);
    return storage.run({ owner: current?.owner, values }, fn);
  }

  /**
   * Like `run`, for a value belonging to the whole of `owner` (a request): when the current
   * scope was already opened for `owner` (by another of its plugins), the slot is set in it and
   * no new scope is entered; otherwise a scope is opened for `owner`.
   */
  runFor<R>(owner: object, value: T, fn: () => R): R {
    const current = storage.getStore();
    if (current !== undefined && current.owner === owner) {
      current.values.set(this, value);
      return fn();
    }
    const values = new Map(current?.values);
    values.set(this, value);
    return storage.run({ owner, values }, fn);
  }
}

const requestIdSlot = new ScopeSlot<string>('requestId');

/**
 * Per-request log scope: every log line written while a request is handled (including yoga's
 * own lines, which know nothing about our context) carries the request id.
 */
export const currentRequestId = (): string | undefined => requestIdSlot.get();

/** Runs `fn` (and everything it starts) with `requestId` as the current request id. */
export const withRequestId = <T>(requestId: string, fn: () => T): T =>
  requestIdSlot.run(requestId, fn);

/** Runs the handling of `request` (and everything it starts) with its request id. */
export const withRequestIdFor = <T>(request: object, requestId: string, fn: () => T): T =>
  requestIdSlot.runFor(request, requestId, fn);

/** Accepted `x-request-id` values: short, printable, no separators that could forge log fields. */
const REQUEST_ID_PATTERN = /^[A-Za-z0-9._:@-]{1,128}$/;

/** The caller's `x-request-id` when it is well-formed, else a fresh UUID. */
export function requestIdFrom(header: string | null | undefined): string {
  const candidate = header?.trim();
  return candidate && REQUEST_ID_PATTERN.test(candidate) ? candidate : randomUUID();
}
