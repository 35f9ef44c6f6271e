/**
 * Upstream failures on the direct-sharing routes reach clients as coded errors through the one
 * mapping, never as a crash, a hang or a leaked token, and are not cached for the next request.
 */
import { afterEach, describe, expect, it } from 'vitest';
import type { RouteId } from '../../sandbox/index.js';
import { errorOf, memberWithToken, privateSuite } from './support.js';

// Bare calls: this file maps ONE failed call to its code (retries are test/resilience's).
const suite = privateSuite({ resilience: 'none', env: { UPSTREAM_HEADERS_TIMEOUT_MS: '1000' } });
const { transcript } = suite;
afterEach(() => suite.stack.sandbox.clearFaults());

// Each case reads something no earlier case cached (the token cache would answer otherwise).
const list = (n: number) =>
  `{ viewer { project { members(first: ${n}) { edges { node { projectMemberId } } } } } }`;
const OWN = '{ viewer { member { projectMemberId } } }';
const memberToken = (n: number): string => memberWithToken(suite.stack.sandbox, n)[1];

describe('direct-sharing upstream faults', () => {
  const cases: [RouteId, 'status' | 'hang' | 'reset' | 'truncate', number | undefined, string][] = [
    ['D2', 'status', 500, 'UPSTREAM_ERROR'],
    ['D2', 'status', 503, 'UPSTREAM_UNAVAILABLE'],
    ['D3', 'status', 502, 'UPSTREAM_UNAVAILABLE'],
    // The sandbox cuts the connection mid-body: a transient failure, like a reset.
    ['D3', 'truncate', undefined, 'UPSTREAM_UNAVAILABLE'],
    ['D3', 'reset', undefined, 'UPSTREAM_UNAVAILABLE'],
    ['D2', 'hang', undefined, 'UPSTREAM_UNAVAILABLE'],
  ];

  for (const [n, [route, kind, status, code]] of cases.entries()) {
    it(`${route} ${kind}${status ? ` ${status}` : ''} → ${code}, then a clean retry succeeds`, async () => {
      const [query, token] =
        route === 'D2' ? [list(n + 1), suite.stack.sandbox.masterToken] : [OWN, memberToken(n)];
      suite.stack.sandbox.setFaults({ rules: [{ route, kind, status, times: 1 }] });
      const failed = transcript.record(await suite.stack.execute(query, {}, { token }));
      expect(errorOf(failed).extensions?.code).toBe(code);
      // The failure was not cached: the next request goes upstream again and succeeds.
      const retried = transcript.record(await suite.stack.execute(query, {}, { token }));
      expect(retried.errors, retried.text).toBeUndefined();
    });
  }
});
