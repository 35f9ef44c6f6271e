import type { Plugin } from 'graphql-yoga';

/**
 * Yoga's own health check answers any URL whose text ends in its endpoint (even
 * `/graphql?returnTo=/health`), and yoga always installs it. It is given this endpoint, which
 * no request URL can end with (a space is never part of a request target), and `useHealth`
 * serves the real one by exact path.
 */
export const YOGA_HEALTH_CHECK_OFF = ' ';

/** `path` (e.g. `/health`) answers 200 with no body, any method, without touching the upstream. */
export function useHealth(path: string): Plugin {
  return {
    onRequest({ url, endResponse, fetchAPI }) {
      if (url.pathname === path) endResponse(new fetchAPI.Response(null, { status: 200 }));
    },
  };
}
