import { createServer, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { Sandbox } from '../../sandbox/index.js';
import { startSandbox } from '../../sandbox/index.js';
import { ConfigError, loadConfig } from '../../src/config/index.js';
import { createGateway } from '../../src/gateway.js';
import { clientFacingOrigin, trustedHop } from '../../src/http/trusted-proxy.js';
import { createLogger } from '../../src/logger.js';

const CLIENT = {
  OPENHUMANS_CLIENT_ID: 'fake-id',
  OPENHUMANS_CLIENT_SECRET: 'fake-secret-0123456789',
};

const problemsOf = (env: Record<string, string>): string[] => {
  try {
    loadConfig(env);
    return [];
  } catch (err) {
    if (err instanceof ConfigError) return [...err.problems];
    throw err;
  }
};

describe('session settings', () => {
  it('defaults: Secure cookies, 30 min idle, 8 h absolute, refresh grace off', () => {
    const config = loadConfig({ ...CLIENT, OAUTH_SESSIONS: 'true' });
    expect(config.oauth.sessions).toMatchObject({
      enabled: true,
      secureCookies: true,
      idleMs: 1_800_000,
      absoluteMs: 28_800_000,
    });
    expect(config.oauth.refreshGraceMs).toBe(0);
  });

  it('in production, requires the https:// callback URL and refuses non-Secure cookies', () => {
    const prod = { ...CLIENT, NODE_ENV: 'production', OAUTH_SESSIONS: 'true' };
    expect(problemsOf(prod).join('\n')).toMatch(/OAUTH_SESSION_REDIRECT_URI/);
    expect(
      problemsOf({
        ...prod,
        OAUTH_SESSION_REDIRECT_URI: 'http://gw.example.org/auth/openhumans/callback',
      }).join('\n'),
    ).toMatch(/https:\/\//);
    const ok = {
      ...prod,
      OAUTH_SESSION_REDIRECT_URI: 'https://gw.example.org/auth/openhumans/callback',
    };
    expect(problemsOf(ok)).toEqual([]);
    expect(problemsOf({ ...ok, OAUTH_SESSION_COOKIE_SECURE: 'false' }).join('\n')).toMatch(
      /OAUTH_SESSION_COOKIE_SECURE=false/,
    );
    // Outside production the development setting is allowed (the demo on http://localhost).
    expect(
      problemsOf({ ...CLIENT, OAUTH_SESSIONS: 'true', OAUTH_SESSION_COOKIE_SECURE: 'false' }),
    ).toEqual([]);
  });

  it('refuses lifetimes out of range or an idle lifetime longer than the absolute one', () => {
    expect(problemsOf({ OAUTH_SESSION_IDLE_SECONDS: '10' }).join('\n')).toMatch(
      /OAUTH_SESSION_IDLE_SECONDS/,
    );
    expect(
      problemsOf({
        OAUTH_SESSION_IDLE_SECONDS: '7200',
        OAUTH_SESSION_ABSOLUTE_SECONDS: '3600',
      }).join('\n'),
    ).toMatch(/must not exceed/);
    expect(problemsOf({ OAUTH_SESSION_COOKIE_SECURE: 'auto' }).join('\n')).toMatch(
      /OAUTH_SESSION_COOKIE_SECURE/,
    );
  });
});

describe('trusted hops (TRUST_PROXY)', () => {
  it('trusts nobody, everybody, or the listed addresses and ranges', () => {
    expect(trustedHop(false)('127.0.0.1')).toBe(false);
    expect(trustedHop(true)('203.0.113.9')).toBe(true);
    const listed = trustedHop(['loopback', '10.0.0.0/8', '192.0.2.7']);
    expect(['127.0.0.1', '::1', '::ffff:127.0.0.1', '10.200.3.4', '192.0.2.7'].map(listed)).toEqual(
      [true, true, true, true, true],
    );
    expect(['11.0.0.1', '192.0.2.8', '203.0.113.9', '', null].map(listed)).toEqual([
      false,
      false,
      false,
      false,
      false,
    ]);
    const priv = trustedHop(['private']);
    expect(
      ['172.16.0.1', '172.31.255.255', '192.168.1.1', 'fd00::1', '172.32.0.1'].map(priv),
    ).toEqual([true, true, true, true, false]);
  });

  it('reads X-Forwarded-Proto/-Host only from a trusted hop', () => {
    const request = new Request('http://10.0.0.5:4000/graphql', {
      headers: { 'x-forwarded-proto': 'https', 'x-forwarded-host': 'gw.example.org' },
    });
    const from = (address: string) => ({ req: { socket: { remoteAddress: address } } });
    expect(clientFacingOrigin(request, from('203.0.113.9'), trustedHop(['10.0.0.0/8']))).toBe(
      'http://10.0.0.5:4000',
    );
    expect(clientFacingOrigin(request, from('10.0.0.1'), trustedHop(['10.0.0.0/8']))).toBe(
      'https://gw.example.org',
    );
    const forged = new Request('http://10.0.0.5:4000/graphql', {
      headers: { 'x-forwarded-proto': 'javascript', 'x-forwarded-host': 'evil/x' },
    });
    expect(clientFacingOrigin(forged, from('10.0.0.1'), trustedHop(true))).toBe(
      'http://10.0.0.5:4000',
    );
  });

  describe('in session mode without a configured callback (development)', () => {
    let sandbox: Sandbox;
    const servers: Server[] = [];
    beforeAll(async () => {
      sandbox = await startSandbox({ port: 0 });
    });
    afterAll(async () => {
      for (const s of servers) s.closeAllConnections();
      await Promise.all(
        servers.map((s) => new Promise<void>((resolve) => s.close(() => resolve()))),
      );
      await sandbox?.close();
    });

    async function callbackFor(trustProxy: string): Promise<string> {
      const config = loadConfig({
        OPENHUMANS_BASE_URL: sandbox.url,
        OPENHUMANS_CLIENT_ID: sandbox.clientId,
        OPENHUMANS_CLIENT_SECRET: sandbox.clientSecret,
        OAUTH_SESSIONS: 'true',
        TRUST_PROXY: trustProxy,
        LOG_LEVEL: 'silent',
      });
      const gateway = createGateway({ config, logger: createLogger({ level: 'silent' }) });
      const server = createServer(gateway);
      servers.push(server);
      await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
      const base = `http://127.0.0.1:${(server.address() as AddressInfo).port}`;
      const res = await fetch(`${base}/auth/openhumans/login`, {
        redirect: 'manual',
        headers: { 'x-forwarded-proto': 'https', 'x-forwarded-host': 'gw.example.org' },
      });
      await gateway.dispose();
      return new URL(res.headers.get('location') ?? '').searchParams.get('redirect_uri') ?? '';
    }

    it('builds the callback from forwarded headers only when the peer is trusted', async () => {
      expect(await callbackFor('false')).toMatch(
        /^http:\/\/127\.0\.0\.1:\d+\/auth\/openhumans\/callback$/,
      );
      expect(await callbackFor('true')).toBe('https://gw.example.org/auth/openhumans/callback');
    });
  });
});
