import type { Plugin } from 'graphql-yoga';
import { Deadline, withDeadline } from './deadline.js';

/**
 * Gives every request a deadline (`REQUEST_DEADLINE_MS`) in its async scope, so all its upstream
 * calls share one time budget, aborted early when the client goes away. Multipart requests
 * (streaming uploads) are left out: a large file takes as long as it takes, bounded by the
 * idle timeouts instead.
 */
export function useRequestDeadline(ms: number): Plugin {
  return {
    instrumentation: {
      request: ({ request }, wrapped) => {
        const type = request.headers.get('content-type') ?? '';
        if (type.toLowerCase().startsWith('multipart/')) return wrapped();
        return withDeadline(Deadline.after(ms, request.signal), wrapped);
      },
    },
  };
}
