import { randomBytes } from 'node:crypto';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { Sandbox } from '../../sandbox/index.js';
import { startSandbox } from '../../sandbox/index.js';
import { configureOAuthApp } from '../../sandbox/routes/direct-sharing-controls.js';
import { key, MemoryOAuthStore, RedisOAuthStore } from '../../src/oauth/oauth-store.js';
import { challengeOf } from '../../src/oauth/pkce.js';
import { hashOf } from '../../src/oauth/session-cookie.js';
import { sessionCookieNames } from '../../src/oauth/sessions.js';
import { SharedRedis } from '../../src/redis/shared-redis.js';
import { type RedisServer, redisAvailable, startRedis } from '../helpers/redis.js';
import { sessionEnv } from '../helpers/session-stack.js';
import { type Stack, startStack } from '../helpers/stack.js';

const SESSION = sessionCookieNames(true).session;
const VIEWER = '{ viewer { member { projectMemberId } } }';

describe('sign-in store in memory', () => {
  it('claims once, expires, and refuses new entries when full instead of forgetting used states', async () => {
    let now = 0;
    const store = new MemoryOAuthStore({ maxEntries: 2, now: () => now });
    expect(await store.claimOnce('oauth-state', 'a', 1_000)).toBe(true);
    expect(await store.claimOnce('oauth-state', 'a', 1_000)).toBe(false);
    expect(await store.claimOnce('oauth-state', 'b', 5_000)).toBe(true);
    await expect(store.claimOnce('oauth-state', 'c', 1_000)).rejects.toMatchObject({
      extensions: { code: 'UPSTREAM_UNAVAILABLE' },
    });
    expect(await store.claimOnce('oauth-state', 'b', 1_000)).toBe(false); // still remembered
    now = 2_000; // 'a' expired: room again
    expect(await store.claimOnce('oauth-state', 'c', 1_000)).toBe(true);
    expect(key('session', 'x')).toBe('openhumans-graphql:session:x');
  });
});

describe('sign-in store on an unreachable Redis', () => {
  it('fails closed at once with UPSTREAM_UNAVAILABLE, never as a used or an unused state', async () => {
    // Nothing listens on port 1: the shared connection never becomes ready.
    const shared = new SharedRedis({
      url: 'redis://127.0.0.1:1',
      commandTimeoutMs: 100,
      breakerOpenMs: 1_000,
    });
    const store = new RedisOAuthStore(shared, 'unreachable-test:');
    try {
      for (const attempt of [
        store.claimOnce('oauth-state', 'a', 1_000),
        store.get('session', 'a'),
        store.put('session', 'a', 'v', 1_000),
        store.delete('session', 'a'),
      ])
        await expect(attempt).rejects.toMatchObject({
          extensions: { code: 'UPSTREAM_UNAVAILABLE' },
        });
      expect(shared.stats.sent).toBe(0);
    } finally {
      await store.close();
      await shared.close();
    }
  });
});

describe.skipIf(!redisAvailable())(
  'sign-in store shared through Redis (two gateway instances)',
  () => {
    let redis: RedisServer;
    let sandbox: Sandbox;
    let a: Stack;
    let b: Stack;
    let baseA: string;
    let baseB: string;

    beforeAll(async () => {
      redis = await startRedis();
      sandbox = await startSandbox({ port: 0 });
      const env = sessionEnv(sandbox, {
        REDIS_URL: redis.url,
        REDIS_KEY_PREFIX: 'sessions-test:',
      });
      a = await startStack({ sandbox, env });
      b = await startStack({ sandbox, env });
      baseA = await a.listen();
      baseB = await b.listen();
    }, 30_000);
    afterAll(async () => {
      await a?.close();
      await b?.close();
      await sandbox?.close();
      await redis?.stop();
    });

    async function signInOn(base: string, pmi: string): Promise<string> {
      configureOAuthApp(sandbox.state, { redirectUrl: `${base}/auth/openhumans/callback` });
      const login = await fetch(`${base}/auth/openhumans/login`, { redirect: 'manual' });
      const signin = (login.headers.getSetCookie()[0] ?? '').split(';')[0] ?? '';
      const authorize = new URL(login.headers.get('location') ?? '');
      const form = new URLSearchParams(authorize.searchParams);
      form.set('project_member_id', pmi);
      form.set('allow', 'Authorize');
      const callback =
        (await fetch(authorize, { method: 'POST', body: form, redirect: 'manual' })).headers.get(
          'location',
        ) ?? '';
      const done = await fetch(callback, { redirect: 'manual', headers: { cookie: signin } });
      const cookie = done.headers.getSetCookie().find((c) => c.startsWith(`${SESSION}=`)) ?? '';
      return cookie.split(';')[0] ?? '';
    }

    const viewerOn = async (base: string, cookie: string) => {
      const res = await fetch(`${base}/graphql`, {
        method: 'POST',
        headers: { origin: base, 'content-type': 'application/json', cookie },
        body: JSON.stringify({ query: VIEWER }),
      });
      return (await res.json()) as {
        data?: { viewer: { member: { projectMemberId: string } | null } };
        errors?: { extensions?: Record<string, unknown> }[];
      };
    };

    it('a session from instance A works on B, and signing out on B ends it on A at once', async () => {
      const pmi = Object.keys(sandbox.memberTokens).sort()[0] ?? '';
      const cookie = await signInOn(baseA, pmi);
      // Both listen on 127.0.0.1: same host, so the browser would send the cookie to both.
      expect((await viewerOn(baseA, cookie)).data?.viewer.member?.projectMemberId).toBe(pmi);
      expect((await viewerOn(baseB, cookie)).data?.viewer.member?.projectMemberId).toBe(pmi);
      const out = await fetch(`${baseB}/auth/openhumans/logout`, {
        method: 'POST',
        headers: { origin: baseB, cookie, 'graphql-preflight': '1' },
      });
      expect(out.status).toBe(204);
      expect((await viewerOn(baseA, cookie)).errors?.[0]?.extensions).toMatchObject({
        code: 'UNAUTHENTICATED',
        reason: 'TOKEN_MISSING',
      });
    });

    it('a state redeemed on A is refused on B, with 0 calls to Open Humans', async () => {
      configureOAuthApp(sandbox.state, { redirectUrl: 'http://app.test/cb' });
      const verifier = randomBytes(32).toString('base64url');
      const started = await a.execute<{ oauthAuthorizeUrl: { url: string; state: string } }>(
        'query($c: String!) { oauthAuthorizeUrl(redirectUri: "http://app.test/cb", codeChallenge: $c) { url state } }',
        { c: challengeOf(verifier) },
      );
      const { url, state } = started.data?.oauthAuthorizeUrl ?? { url: '', state: '' };
      const form = new URLSearchParams(new URL(url).searchParams);
      form.set('project_member_id', Object.keys(sandbox.memberTokens).sort()[1] ?? '');
      form.set('allow', 'Authorize');
      const back = new URL(
        (await fetch(url, { method: 'POST', body: form, redirect: 'manual' })).headers.get(
          'location',
        ) ?? '',
      );
      const input = {
        code: back.searchParams.get('code'),
        state,
        codeVerifier: verifier,
        redirectUri: 'http://app.test/cb',
      };
      const EXCHANGE =
        'mutation($input: ExchangeOAuthCodeInput!) { exchangeOAuthCode(input: $input) { expiresAt } }';
      expect((await a.execute(EXCHANGE, { input })).errors).toBeUndefined();
      sandbox.resetCalls();
      const replay = await b.execute(EXCHANGE, { input });
      expect(replay.errors?.[0]?.extensions).toMatchObject({
        code: 'BAD_USER_INPUT',
        argument: 'state',
      });
      expect(sandbox.calls().OAUTH_TOKEN ?? 0).toBe(0);
    });

    it('stores session records sealed under hashed keys', async () => {
      const shared = new SharedRedis({
        url: redis.url,
        commandTimeoutMs: 1_000,
        breakerOpenMs: 500,
      });
      await shared.ready();
      const store = new RedisOAuthStore(shared, 'sessions-test:');
      try {
        const pmi = Object.keys(sandbox.memberTokens).sort()[2] ?? '';
        const cookie = await signInOn(baseA, pmi);
        const id = cookie.slice(`${SESSION}=`.length);
        expect(await store.get('session', id)).toBeNull(); // not stored under the raw id
        const sealed = (await store.get('session', hashOf(id))) ?? '';
        expect(sealed).toMatch(/^v1\./);
        for (const token of Object.values(sandbox.info().memberTokens))
          expect(sealed).not.toContain(token);
      } finally {
        await store.close();
        await shared.close();
      }
    });
  },
);
