import type { Plugin } from 'graphql-yoga';
import { ErrorCode } from '../errors.js';

/** The GET parameters yoga parses as JSON. */
const JSON_PARAMS = ['variables', 'extensions'] as const;

function badParam(search: URLSearchParams): string | null {
  for (const name of JSON_PARAMS) {
    const raw = search.get(name);
    if (raw === null || raw === '') continue;
    try {
      const value: unknown = JSON.parse(raw);
      if (value !== null && (typeof value !== 'object' || Array.isArray(value))) return name;
    } catch {
      return name;
    }
  }
  return null;
}

/**
 * GET requests whose `variables` or `extensions` parameter is not a JSON object get a 400 with
 * BAD_USER_INPUT. Yoga's GET parser lets the JSON.parse error escape, which masking turns into
 * a 500 "Unexpected error." (found by the bad-input soak).
 */
export function useGetParamsCheck(paths: readonly string[]): Plugin {
  const watched = new Set(paths);
  return {
    onRequest({ request, url, endResponse, fetchAPI }) {
      if (request.method !== 'GET' || !watched.has(url.pathname)) return;
      const name = badParam(url.searchParams);
      if (name === null) return;
      const body = {
        errors: [
          {
            message: `The \`${name}\` parameter must be a JSON object.`,
            extensions: { code: ErrorCode.BAD_USER_INPUT },
          },
        ],
      };
      endResponse(
        new fetchAPI.Response(JSON.stringify(body), {
          status: 400,
          headers: { 'content-type': 'application/json; charset=utf-8' },
        }),
      );
    },
  };
}
