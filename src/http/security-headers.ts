import type { DocumentNode } from 'graphql';
import { Kind, visit } from 'graphql';
import type { Plugin } from 'graphql-yoga';

/** Root fields whose answers carry tokens or a sign-in state: never stored by any cache. */
const OAUTH_FIELDS = new Set(['oauthAuthorizeUrl', 'exchangeOAuthCode', 'refreshOAuthToken']);

export interface SecurityHeaderOptions {
  /** The session cookie's name in session mode, else null. */
  sessionCookie: string | null;
  /** Sign-in, callback and sign-out paths (every response no-store). */
  oauthPaths: readonly string[];
  /** CORS_ORIGINS is set: every answer may differ by `Origin`. */
  varyOrigin: boolean;
}

function mentionsOAuth(document: DocumentNode): boolean {
  let found = false;
  visit(document, {
    [Kind.FIELD]: (node) => {
      if (OAUTH_FIELDS.has(node.name.value)) found = true;
    },
  });
  return found;
}

/**
 * `Cache-Control: no-store` on every response to a request that carried a token or a session
 * cookie, and on every OAuth answer (sign-in routes and the OAuth operations, whose bodies hold
 * tokens); `Vary: Origin` wherever the CORS answer depends on the request's `Origin`.
 */
export function useSecurityHeaders(options: SecurityHeaderOptions): Plugin {
  const oauthPaths = new Set(options.oauthPaths);
  const oauthOperations = new WeakSet<Request>();
  const credentialed = (request: Request): boolean => {
    if (request.headers.has('authorization')) return true;
    const cookie = request.headers.get('cookie');
    return options.sessionCookie !== null && cookie?.includes(`${options.sessionCookie}=`) === true;
  };
  return {
    onExecute({ args }) {
      const request = (args.contextValue as { request?: Request } | undefined)?.request;
      if (request && mentionsOAuth(args.document)) oauthOperations.add(request);
    },
    onResponse({ request, response }) {
      const path = new URL(request.url).pathname;
      if (credentialed(request) || oauthOperations.has(request) || oauthPaths.has(path)) {
        response.headers.set('cache-control', 'no-store');
      }
      if (options.varyOrigin) {
        const vary = response.headers.get('vary') ?? '';
        if (!vary.split(',').some((v) => v.trim().toLowerCase() === 'origin' || v.trim() === '*')) {
          response.headers.set('vary', vary ? `${vary}, Origin` : 'Origin');
        }
      }
    },
  };
}
