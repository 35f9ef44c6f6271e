/**
 * The security settings (TRUST_PROXY, closed /metrics and /subgraph, per-request upstream limits):
 * parsed once, defaults safe, bad values named; client-address resolution by CIDR.
 */
import { describe, expect, it } from 'vitest';
import { ConfigError, loadConfig } from '../../src/config/index.js';
import { ClientAddressResolver } from '../../src/http/client-address.js';

const load = (env: Record<string, string>) =>
  loadConfig({ OPENHUMANS_BASE_URL: 'http://sandbox.test', ...env });
const peer = (address: string) => ({ req: { socket: { remoteAddress: address } } });

describe('security settings', () => {
  it('default to the safe side', () => {
    const { security } = load({});
    expect(security).toMatchObject({
      trustProxy: { kind: 'none' },
      rateLimitExempt: [],
      maxListItems: 100,
      maxUpstreamCallsPerRequest: 300,
      // A request alone may use the whole upstream budget (docs/upstream-budget.md).
      upstreamConcurrencyPerRequest: 32,
      subgraphSecret: null,
      metricsToken: null,
      metricsPort: null,
    });
  });

  it('give one request the whole upstream budget unless UPSTREAM_CONCURRENCY_PER_REQUEST is set', () => {
    expect(load({ UPSTREAM_CONCURRENCY: '8' }).security.upstreamConcurrencyPerRequest).toBe(8);
    expect(
      load({ UPSTREAM_CONCURRENCY: '8', UPSTREAM_CONCURRENCY_PER_REQUEST: '3' }).security
        .upstreamConcurrencyPerRequest,
    ).toBe(3);
  });

  it('read TRUST_PROXY as off, a hop count or CIDR blocks (true = one hop)', () => {
    expect(load({ TRUST_PROXY: 'false' }).security.trustProxy).toEqual({ kind: 'none' });
    expect(load({ TRUST_PROXY: 'true' }).security.trustProxy).toEqual({ kind: 'hops', hops: 1 });
    expect(load({ TRUST_PROXY: '2' }).security.trustProxy).toEqual({ kind: 'hops', hops: 2 });
    expect(load({ TRUST_PROXY: '10.0.0.0/8, fd00::/8,192.0.2.1' }).security.trustProxy).toEqual({
      kind: 'cidrs',
      cidrs: ['10.0.0.0/8', 'fd00::/8', '192.0.2.1'],
    });
  });

  it('name every bad value at once', () => {
    const bad = {
      TRUST_PROXY: '10.0.0.0/33',
      RATE_LIMIT_EXEMPT: 'localhost',
      SUBGRAPH_SECRET: 'short',
      METRICS_PORT: '70000',
    };
    try {
      load(bad);
      expect.unreachable();
    } catch (err) {
      expect(err).toBeInstanceOf(ConfigError);
      const text = (err as ConfigError).message;
      for (const name of Object.keys(bad)) expect(text).toContain(name);
    }
  });
});

describe('client address with TRUST_PROXY as CIDR blocks', () => {
  const resolver = new ClientAddressResolver({ kind: 'cidrs', cidrs: ['10.0.0.0/8', '127.0.0.1'] });
  const req = (xff: string) =>
    new Request('http://gw/graphql', { headers: { 'x-forwarded-for': xff } });

  it('skips trusted hops from the right and stops at the first untrusted one', () => {
    expect(resolver.resolve(req('192.0.2.9, 198.51.100.4, 10.1.1.1'), peer('127.0.0.1'))).toBe(
      '198.51.100.4',
    );
    expect(resolver.resolve(req('192.0.2.9'), peer('::ffff:10.2.2.2'))).toBe('192.0.2.9');
  });

  it('never believes X-Forwarded-For from an untrusted peer, nor garbage in it', () => {
    expect(resolver.resolve(req('192.0.2.9'), peer('203.0.113.1'))).toBe('203.0.113.1');
    expect(resolver.resolve(req('192.0.2.9, not-an-ip'), peer('127.0.0.1'))).toBe('127.0.0.1');
    expect(resolver.resolve(req('10.0.0.1, 10.0.0.2'), peer('127.0.0.1'))).toBe('10.0.0.1');
  });
});
