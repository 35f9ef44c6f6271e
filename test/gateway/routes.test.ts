/**
 * The route table (src/datasources/routes.ts) against docs/upstream.md, which it transcribes:
 * every documented route id with its method and path, and "500 means unknown id" exactly where
 * the docs say so. Also: the resilience layer reads breaker classes and retries from the table.
 */
import { readFileSync } from 'node:fs';
import { describe, expect, it } from 'vitest';
import { Resilience } from '../../src/datasources/resilience/index.js';
import { isRouteId, ROUTE_IDS, ROUTES, type RouteId } from '../../src/datasources/routes.js';
import { UpstreamError, type UpstreamFailure } from '../../src/datasources/upstream-error.js';

const docs = readFileSync(new URL('../../docs/upstream.md', import.meta.url), 'utf8');
const readme = readFileSync(new URL('../../README.md', import.meta.url), 'utf8');

interface Documented {
  method: string;
  path: string;
  unknownId500: boolean;
}

/** P rows of the public table and D bullets of §2.3 (`…/project/` abbreviates the mount). */
function documentedRoutes(): Map<string, Documented> {
  const found = new Map<string, Documented>();
  for (const m of docs.matchAll(/^\| (P\d+) \| `(GET|POST) ([^`]+)` \|(.*)$/gm)) {
    found.set(m[1] ?? '', {
      method: m[2] ?? '',
      path: m[3] ?? '',
      unknownId500: (m[4] ?? '').includes('**500**'),
    });
  }
  for (const block of docs.split(/\n- /)) {
    const m = /^\*\*(D\d+)\*\* `(GET|POST) ([^`]+)`/.exec(block);
    if (!m) continue;
    const path = (m[3] ?? '').replace('…/project/', '/api/direct-sharing/project/');
    found.set(m[1] ?? '', { method: m[2] ?? '', path, unknownId500: block.includes('**500**') });
  }
  return found;
}

describe('route table', () => {
  const documented = documentedRoutes();

  it('holds every route docs/upstream.md names (P1…P13, D1…D9), with its method and path', () => {
    expect(documented.size).toBe(22);
    for (const [id, doc] of documented) {
      expect(isRouteId(id), id).toBe(true);
      const spec = ROUTES[id as RouteId];
      expect({ id, method: spec.method, path: spec.path }).toEqual({
        id,
        method: doc.method,
        path: doc.path,
      });
    }
  });

  it('marks "500 means unknown id" exactly where the docs say a 500 answers an unknown id', () => {
    const marked = ROUTE_IDS.filter((id) => ROUTES[id].unknownId500);
    const inDocs = [...documented].filter(([, doc]) => doc.unknownId500).map(([id]) => id);
    expect(marked.sort()).toEqual(inDocs.sort());
    expect(marked).toEqual(expect.arrayContaining(['P5', 'P8', 'P9', 'P12', 'P13', 'D3', 'D8']));
  });

  it("is README's route legend (id, † for unknown-id 500s, name), row for row", () => {
    const legend = readme.slice(readme.indexOf('Route legend'), readme.indexOf('Tracing: see'));
    const rows = [...legend.matchAll(/^\| `([A-Z0-9_]+)`( †)? \| `([^`]+)` \|/gm)].map((m) => [
      m[1],
      Boolean(m[2]),
      m[3],
    ]);
    expect(rows).toEqual(ROUTE_IDS.map((id) => [id, ROUTES[id].unknownId500, ROUTES[id].name]));
  });

  it('retries only GETs, and has unique readable names', () => {
    for (const id of ROUTE_IDS) expect(ROUTES[id].retriable, id).toBe(ROUTES[id].method === 'GET');
    const names = ROUTE_IDS.map((id) => ROUTES[id].name);
    expect(new Set(names).size).toBe(names.length);
    for (const name of names) expect(name).toMatch(/^[a-z]+(\.[a-zA-Z]+)+$/);
  });
});

describe('resilience reads the table', () => {
  const fail = (route: RouteId) => (kind: UpstreamFailure, detail: string) =>
    new UpstreamError(kind, { route, method: 'GET', url: '/x', hadToken: false, detail });
  const status = (route: RouteId, code: number) =>
    new UpstreamError('status', { route, method: 'GET', url: '/x', hadToken: false, status: code });
  const retry = { maxAttempts: 3, baseDelayMs: 0, maxDelayMs: 0 };
  const breaker = { windowSize: 2, minimumCalls: 2, failureRatio: 0.5, openMs: 60_000 };

  it('shares one breaker per route class, named after it', async () => {
    const changes: string[] = [];
    const resilience = new Resilience({
      retry,
      breaker,
      concurrency: { max: 10 },
      onBreakerChange: (c, s) => changes.push(`${c}:${s}`),
    });
    for (const route of ['P1', 'P10'] as const) {
      await expect(
        resilience.run(
          { route, method: 'GET' },
          () => Promise.reject(status(route, 503)),
          fail(route),
        ),
      ).rejects.toThrow();
    }
    expect(changes).toEqual(['public:open']);
    expect(resilience.breakerFor('P13')).toBe(resilience.breakerFor('P1'));
    expect(resilience.breakerFor('D1').name).toBe('direct-sharing');
    expect(resilience.breakerStates()).toMatchObject({
      public: 'open',
      'direct-sharing': 'closed',
    });
  });

  it('retries a retriable route, and neither retries nor counts an unknown-id 500', async () => {
    const resilience = new Resilience({
      retry,
      breaker: { ...breaker, minimumCalls: 100 },
      concurrency: { max: 10 },
    });
    let attempts = 0;
    const failing = (route: RouteId, code: number) => () => {
      attempts += 1;
      return Promise.reject(status(route, code));
    };
    await expect(
      resilience.run({ route: 'P10', method: 'GET' }, failing('P10', 500), fail('P10')),
    ).rejects.toThrow();
    expect(attempts).toBe(3);
    attempts = 0;
    await expect(
      resilience.run({ route: 'P8', method: 'GET' }, failing('P8', 500), fail('P8')),
    ).rejects.toThrow();
    expect(attempts).toBe(1);
    attempts = 0;
    await expect(
      resilience.run({ route: 'D4', method: 'POST' }, failing('D4', 503), fail('D4')),
    ).rejects.toThrow();
    expect(attempts).toBe(1);
  });
});
