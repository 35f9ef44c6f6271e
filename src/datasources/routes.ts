/**
 * Every upstream route the gateway calls, in one table (docs/upstream.md §2). A route's id
 * (`P1`…`P13`, `D1`…`D9`, `OAUTH_TOKEN`, `S3_PUT`) is what metrics (`route` label), logs, spans
 * and error extensions carry; its class names the circuit breaker that guards it; whether it is
 * retried and whether its 500 may mean "unknown id" are read from here, not decided by name.
 */

/** Which circuit breaker guards a route: one per upstream area, so a broken one spares the rest. */
export type RouteClass = 'public' | 'direct-sharing' | 'oauth' | 'storage';

export interface RouteSpec {
  /** A readable name for docs and dashboards' legends, e.g. `public.projects.list`. */
  readonly name: string;
  readonly method: 'GET' | 'POST' | 'PUT';
  /** Path below the base URL, `{id}`-style placeholders; `S3_PUT` goes to a pre-signed URL. */
  readonly path: string;
  readonly routeClass: RouteClass;
  /** Safe to send twice (an idempotent read): only these are retried. */
  readonly retriable: boolean;
  /**
   * A 500 here can mean "no such id" (docs/upstream.md §2.1, §2.3): not retried, not held against
   * the upstream.
   */
  readonly unknownId500: boolean;
}

const publicGet = (name: string, path: string, unknownId500 = false): RouteSpec => ({
  name,
  method: 'GET',
  path,
  routeClass: 'public',
  retriable: true,
  unknownId500,
});

const projectApi = (
  name: string,
  method: 'GET' | 'POST',
  path: string,
  unknownId500 = false,
): RouteSpec => ({
  name,
  method,
  path: `/api/direct-sharing/project/${path}`,
  routeClass: 'direct-sharing',
  // Writes are not idempotent upstream (a repeated upload is a second file).
  retriable: method === 'GET',
  unknownId500,
});

/** The route table (ids as in docs/upstream.md). */
export const ROUTES = {
  P1: publicGet('public.files.list', '/api/public/datafiles/'),
  P2: publicGet('public.files.get', '/api/public/datafile/{id}/'),
  P3: publicGet('public.dataTypes.list', '/api/public/datatypes/'),
  P4: publicGet('public.dataTypes.get', '/api/public/datatype/{id}/'),
  P5: publicGet('public.dataTypes.files', '/api/public/datatype/{id}/datafiles/', true),
  P6: publicGet('public.members.list', '/api/public/members/'),
  P7: publicGet('public.members.get', '/api/public/member/{username}/'),
  P8: publicGet('public.members.files', '/api/public/member/{username}/datafiles/', true),
  P9: publicGet('public.members.projects', '/api/public/member/{username}/projects/', true),
  P10: publicGet('public.projects.list', '/api/public/projects/'),
  P11: publicGet('public.projects.get', '/api/public/project/{id}/'),
  P12: publicGet('public.projects.files', '/api/public/project/{id}/datafiles/', true),
  P13: publicGet('public.projects.members', '/api/public/project/{id}/members/', true),
  D1: projectApi('project.get', 'GET', ''),
  D2: projectApi('project.members.list', 'GET', 'members/'),
  D3: projectApi('project.members.exchange', 'GET', 'exchange-member/', true),
  D4: projectApi('project.members.message', 'POST', 'message/'),
  D5: projectApi('project.members.remove', 'POST', 'remove-members/'),
  D6: projectApi('project.files.upload', 'POST', 'files/upload/'),
  D7: projectApi('project.files.uploadDirect', 'POST', 'files/upload/direct/'),
  D8: projectApi('project.files.uploadComplete', 'POST', 'files/upload/complete/', true),
  D9: projectApi('project.files.delete', 'POST', 'files/delete/'),
  OAUTH_TOKEN: {
    name: 'oauth.token',
    method: 'POST',
    path: '/oauth2/token/',
    routeClass: 'oauth',
    // A refresh rotates the token upstream: a second send would present a revoked one.
    retriable: false,
    unknownId500: false,
  },
  S3_PUT: {
    name: 'storage.put',
    method: 'PUT',
    path: '(pre-signed URL from D7)',
    routeClass: 'storage',
    retriable: false,
    unknownId500: false,
  },
} as const satisfies Record<string, RouteSpec>;

export type RouteId = keyof typeof ROUTES;

/** Every route id, in table order (docs, tests). */
export const ROUTE_IDS = Object.keys(ROUTES) as RouteId[];

/** Type guard for a route id that arrives as plain text (an error's `route`, a sandbox counter). */
export const isRouteId = (value: string): value is RouteId => Object.hasOwn(ROUTES, value);
