import { createHash, timingSafeEqual } from 'node:crypto';

/**
 * Compares a presented secret with the configured one in constant time: both are hashed first,
 * so neither their contents nor their lengths leak through timing.
 */
export function secretMatches(presented: string | null | undefined, expected: string): boolean {
  if (presented === null || presented === undefined) return false;
  const a = createHash('sha256').update(presented, 'utf8').digest();
  const b = createHash('sha256').update(expected, 'utf8').digest();
  return timingSafeEqual(a, b);
}

/** The token of `Authorization: Bearer <token>` (any case), or null. */
export function bearerOf(request: Request): string | null {
  const match = /^Bearer +(\S+)\s*$/i.exec(request.headers.get('authorization')?.trim() ?? '');
  return match?.[1] ?? null;
}

/** A small JSON error response in the GraphQL error shape (coded like every other error). */
export function errorResponse(
  fetchAPI: { Response: typeof Response },
  status: number,
  code: string,
  message: string,
  headers: Record<string, string> = {},
): Response {
  const body = JSON.stringify({ errors: [{ message, extensions: { code } }] });
  return new fetchAPI.Response(body, {
    status,
    headers: {
      'content-type': 'application/json; charset=utf-8',
      'cache-control': 'no-store',
      ...headers,
    },
  });
}
