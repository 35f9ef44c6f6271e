import type { Plugin } from 'graphql-yoga';
import { Deadline, withRequestDeadline } from '../datasources/resilience/deadline.js';

/**
 * Upstream work stops this much before the request's deadline, so the answer (data so far,
 * errors for the rest, stale entries) is still written within it: 10% of the deadline, at
 * most 250 ms.
 */
export const responseReserveMs = (deadlineMs: number): number =>
  Math.min(250, Math.floor(deadlineMs / 10));

/**
 * Gives every request a deadline (`REQUEST_DEADLINE_MS`) in its async scope, so all its upstream
 * calls share one time budget, aborted early when the client goes away. Multipart requests
 * (streaming uploads) are left out: a large file takes as long as it takes, bounded by the
 * idle timeouts instead.
 */
export function useRequestDeadline(ms: number): Plugin {
  const budget = Math.max(1, ms - responseReserveMs(ms));
  return {
    instrumentation: {
      request: ({ request }, wrapped) => {
        const type = request.headers.get('content-type') ?? '';
        if (type.toLowerCase().startsWith('multipart/')) return wrapped();
        const deadline = Deadline.after(budget, request.signal);
        const done = withRequestDeadline(request, deadline, wrapped);
        // Released once answered (also on failure), so nothing of it outlives the request.
        if (isThenable(done)) return Promise.resolve(done).finally(() => deadline.end());
        deadline.end();
        return done;
      },
    },
  };
}

const isThenable = (value: unknown): value is PromiseLike<unknown> =>
  typeof (value as { then?: unknown } | null | undefined)?.then === 'function';
