import { randomBytes } from 'node:crypto';
import { afterAll, beforeAll, beforeEach, describe, expect, it } from 'vitest';
import type { Sandbox } from '../../sandbox/index.js';
import { startSandbox } from '../../sandbox/index.js';
import { configureOAuthApp, memberLeaves } from '../../sandbox/routes/direct-sharing-controls.js';
import { challengeOf } from '../../src/oauth/pkce.js';
import { createStateSigner } from '../../src/oauth/state.js';
import { findSecrets, type Stack, startStack } from '../helpers/stack.js';

const REDIRECT = 'http://app.test/oauth/complete';

const AUTHORIZE = /* GraphQL */ `
  query Authorize($redirectUri: String!, $codeChallenge: String!) {
    oauthAuthorizeUrl(redirectUri: $redirectUri, codeChallenge: $codeChallenge) { url state expiresAt }
  }`;
const EXCHANGE = /* GraphQL */ `
  mutation Exchange($input: ExchangeOAuthCodeInput!) {
    exchangeOAuthCode(input: $input) { accessToken refreshToken expiresAt scope tokenType member { projectMemberId fileCount } }
  }`;
const REFRESH = /* GraphQL */ `
  mutation Refresh($input: RefreshOAuthTokenInput!) {
    refreshOAuthToken(input: $input) { accessToken refreshToken expiresAt scope member { projectMemberId } }
  }`;
const VIEWER = '{ viewer { tokenKind member { projectMemberId } } }';

interface Tokens {
  accessToken: string;
  refreshToken: string;
  expiresAt: string;
  scope: string[];
  tokenType?: string;
  member: { projectMemberId: string; fileCount?: number } | null;
}

let sandbox: Sandbox;
let stack: Stack;
/** Every secret the run handled: none may appear in a log line or an error. */
const secrets = new Set<string>();

beforeAll(async () => {
  sandbox = await startSandbox({ port: 0 });
  configureOAuthApp(sandbox.state, { redirectUrl: REDIRECT });
  stack = await startStack({
    sandbox,
    // The refresh grace is left at its default (off).
    env: { OPENHUMANS_CLIENT_ID: sandbox.clientId, OPENHUMANS_CLIENT_SECRET: sandbox.clientSecret },
  });
  secrets.add(sandbox.clientSecret);
});
afterAll(async () => {
  await stack?.close();
  await sandbox?.close();
});
beforeEach(() => sandbox.resetCalls());

const members = (): string[] => Object.keys(sandbox.memberTokens).sort();

/** A fresh PKCE verifier, as an app makes one (32 random bytes, base64url). */
const newVerifier = (): string => randomBytes(32).toString('base64url');

interface Started {
  url: string;
  state: string;
  expiresAt: string;
  verifier: string;
}

async function authorizeUrl(redirectUri = REDIRECT, on: Stack = stack): Promise<Started> {
  const verifier = newVerifier();
  const res = await on.execute<{ oauthAuthorizeUrl: Omit<Started, 'verifier'> }>(AUTHORIZE, {
    redirectUri,
    codeChallenge: challengeOf(verifier),
  });
  expect(res.errors).toBeUndefined();
  return { ...(res.data?.oauthAuthorizeUrl ?? { url: '', state: '', expiresAt: '' }), verifier };
}

/** What a person does in the browser: open the authorize page, pick a member, approve. */
async function signInThroughAuthorizePage(
  projectMemberId: string,
): Promise<{ code: string; state: string; codeVerifier: string }> {
  const { url, state, verifier } = await authorizeUrl();
  const page = await fetch(url);
  expect(page.status).toBe(200);
  const html = await page.text();
  expect(html).toContain(`value="${state}"`);
  const params = new URL(url).searchParams;
  const form = new URLSearchParams({
    client_id: params.get('client_id') ?? '',
    redirect_uri: params.get('redirect_uri') ?? '',
    state: params.get('state') ?? '',
    response_type: 'code',
    project_member_id: projectMemberId,
    allow: 'Authorize',
  });
  const approved = await fetch(url, { method: 'POST', body: form, redirect: 'manual' });
  expect(approved.status).toBe(302);
  const back = new URL(approved.headers.get('location') ?? '');
  expect(`${back.origin}${back.pathname}`).toBe(REDIRECT);
  expect(back.searchParams.get('state')).toBe(state);
  const code = back.searchParams.get('code') ?? '';
  secrets.add(code);
  return { code, state, codeVerifier: verifier };
}

async function exchange(
  input: { code: string; state: string; codeVerifier: string; redirectUri?: string },
  on: Stack = stack,
) {
  const res = await on.execute<{ exchangeOAuthCode: Tokens }>(EXCHANGE, {
    input: { redirectUri: REDIRECT, ...input },
  });
  const tokens = res.data?.exchangeOAuthCode;
  if (tokens) {
    secrets.add(tokens.accessToken);
    secrets.add(tokens.refreshToken);
  }
  return { ...res, tokens };
}

async function refresh(refreshToken: string, on: Stack = stack) {
  const res = await on.execute<{ refreshOAuthToken: Tokens }>(REFRESH, { input: { refreshToken } });
  const tokens = res.data?.refreshOAuthToken;
  if (tokens) {
    secrets.add(tokens.accessToken);
    secrets.add(tokens.refreshToken);
  }
  return { ...res, tokens };
}

async function viewerMember(token: string) {
  return stack.execute<{
    viewer: { tokenKind: string; member: { projectMemberId: string } | null };
  }>(VIEWER, {}, { token });
}

describe('oauthAuthorizeUrl', () => {
  it('builds the Open Humans authorize URL with the client id and a signed state, no upstream call', async () => {
    const { url, state, expiresAt } = await authorizeUrl();
    const parsed = new URL(url);
    expect(`${parsed.origin}${parsed.pathname}`).toBe(
      `${sandbox.url}/direct-sharing/projects/oauth2/authorize/`,
    );
    expect(Object.fromEntries(parsed.searchParams)).toEqual({
      client_id: sandbox.clientId,
      response_type: 'code',
      redirect_uri: REDIRECT,
      state,
    });
    expect(state).toMatch(/^v1\.[\w-]+\.[\w-]+$/);
    expect(new Date(expiresAt).getTime()).toBeGreaterThan(Date.now());
    expect(url).not.toContain(sandbox.clientSecret);
    expect(Object.values(sandbox.calls()).reduce((a, b) => a + b, 0)).toBe(0);
  });

  it('refuses a redirect URI that is not an absolute, fragment-free URL', async () => {
    for (const redirectUri of [
      '/relative',
      'javascript:alert(1)',
      `${REDIRECT}#frag`,
      'not a url',
    ]) {
      const res = await stack.execute(AUTHORIZE, {
        redirectUri,
        codeChallenge: challengeOf(newVerifier()),
      });
      expect(res.errors?.[0]?.extensions).toMatchObject({
        code: 'BAD_USER_INPUT',
        argument: 'redirectUri',
      });
    }
  });

  it('refuses a code challenge that is not an S256 challenge', async () => {
    for (const codeChallenge of [
      '',
      'plain-verifier',
      'x'.repeat(42),
      'x'.repeat(44),
      `${'x'.repeat(42)}=`,
    ]) {
      const res = await stack.execute(AUTHORIZE, { redirectUri: REDIRECT, codeChallenge });
      expect(res.errors?.[0]?.extensions).toMatchObject({
        code: 'BAD_USER_INPUT',
        argument: 'codeChallenge',
      });
    }
  });
});

describe('exchangeOAuthCode', () => {
  it('signs a member in through the authorize page: tokens plus the member from exchange-member', async () => {
    const pmi = members()[0] ?? '';
    const { code, state, codeVerifier } = await signInThroughAuthorizePage(pmi);
    sandbox.resetCalls();
    const { tokens, errors } = await exchange({ code, state, codeVerifier });
    expect(errors).toBeUndefined();
    expect(tokens).toMatchObject({ tokenType: 'Bearer', member: { projectMemberId: pmi } });
    expect(tokens?.scope).toContain('read');
    expect(new Date(tokens?.expiresAt ?? 0).getTime() - Date.now()).toBeGreaterThan(35_000_000); // 10 h
    const calls = sandbox.calls();
    expect(calls.OAUTH_TOKEN).toBe(1);
    expect(calls.D3).toBe(1);
    // The new access token acts as that member.
    const viewer = await viewerMember(tokens?.accessToken ?? '');
    expect(viewer.data?.viewer).toEqual({ tokenKind: 'MEMBER', member: { projectMemberId: pmi } });
    // States are single use: a replay is refused before Open Humans sees the (also spent) code.
    sandbox.resetCalls();
    const again = await exchange({ code, state, codeVerifier });
    expect(again.errors?.[0]?.extensions).toMatchObject({
      code: 'BAD_USER_INPUT',
      argument: 'state',
    });
    expect(again.errors?.[0]?.message).toMatch(/used already/);
    // A fresh state of the attacker's own does not revive the spent code.
    const fresh = await authorizeUrl();
    const reuse = await exchange({ code, state: fresh.state, codeVerifier: fresh.verifier });
    expect(reuse.errors?.[0]?.extensions).toMatchObject({
      code: 'BAD_USER_INPUT',
      argument: 'code',
    });
  });

  it('redeems a state once when the same callback is submitted twice at once', async () => {
    const { code, state, codeVerifier } = await signInThroughAuthorizePage(members()[8] ?? '');
    sandbox.resetCalls();
    const results = await Promise.all([
      exchange({ code, state, codeVerifier }),
      exchange({ code, state, codeVerifier }),
    ]);
    expect(results.filter((r) => r.tokens !== undefined && r.tokens !== null)).toHaveLength(1);
    expect(results.flatMap((r) => r.errors ?? []).map((e) => e.extensions?.argument)).toEqual([
      'state',
    ]);
    expect(sandbox.calls().OAUTH_TOKEN).toBe(1);
  });

  it('refuses a leaked code and state without the verifier, with 0 upstream calls', async () => {
    const { code, state, codeVerifier } = await signInThroughAuthorizePage(members()[9] ?? '');
    const sessionState = createStateSigner(sandbox.clientSecret).issue(REDIRECT).state; // no challenge inside
    sandbox.resetCalls();
    const cases: [string, string, RegExp][] = [
      [state, newVerifier(), /does not match/],
      [state, 'short', /43 to 128/],
      [
        state,
        `${codeVerifier.slice(0, -1)}${codeVerifier.endsWith('A') ? 'B' : 'A'}`,
        /does not match/,
      ],
      [sessionState, codeVerifier, /does not match/],
    ];
    for (const [s, v, message] of cases) {
      const res = await exchange({ code, state: s, codeVerifier: v });
      expect(res.errors?.[0]?.extensions).toMatchObject({ code: 'BAD_USER_INPUT' });
      expect(res.errors?.[0]?.message).toMatch(message);
    }
    expect(sandbox.calls().OAUTH_TOKEN ?? 0).toBe(0);
    // A wrong verifier does not burn the app's state: the app still completes its sign-in.
    expect((await exchange({ code, state, codeVerifier })).tokens?.member?.projectMemberId).toBe(
      members()[9],
    );
  });

  it('refuses a missing, forged, expired or misdirected state before any upstream call', async () => {
    const { code } = await signInThroughAuthorizePage(members()[1] ?? '');
    const started = await authorizeUrl();
    const good = started.state;
    const expired = createStateSigner(sandbox.clientSecret, {
      ttlSeconds: 60,
      now: () => Date.now() - 3_600_000,
    }).issue(REDIRECT).state;
    const foreign = createStateSigner('another-fake-client-secret').issue(REDIRECT).state;
    const otherUri = (await authorizeUrl('http://app.test/elsewhere')).state;
    const [v, payload] = good.split('.');
    sandbox.resetCalls();
    const cases: [string, RegExp][] = [
      ['', /missing/],
      ['random-csrf-value', /not issued/],
      [`${v}.${payload}.AAAA`, /not issued/],
      [foreign, /not issued/],
      [expired, /expired/],
      [otherUri, /another `redirectUri`/],
    ];
    for (const [state, message] of cases) {
      const res = await exchange({ code, state, codeVerifier: started.verifier });
      // Mutation fields are nullable: the failed one is null, not the whole `data`.
      expect(res.data).toEqual({ exchangeOAuthCode: null });
      expect(res.errors?.[0]?.extensions).toMatchObject({
        code: 'BAD_USER_INPUT',
        argument: 'state',
      });
      expect(res.errors?.[0]?.message).toMatch(message);
    }
    expect(sandbox.calls().OAUTH_TOKEN ?? 0).toBe(0);
    // The code was not spent by any of those: it still works with the right state.
    expect(
      (await exchange({ code, state: good, codeVerifier: started.verifier })).tokens?.member
        ?.projectMemberId,
    ).toBe(members()[1]);
  });

  it('maps an unknown code and a redirect URI that differs from the registered one', async () => {
    const started = await authorizeUrl();
    const unknown = await exchange({
      code: 'fakeCodeThatWasNeverIssued000',
      state: started.state,
      codeVerifier: started.verifier,
    });
    expect(unknown.errors?.[0]?.extensions).toMatchObject({
      code: 'BAD_USER_INPUT',
      argument: 'code',
    });
    const elsewhere = 'http://app.test/elsewhere';
    const { code } = await signInThroughAuthorizePage(members()[2] ?? '');
    const other = await authorizeUrl(elsewhere);
    const misdirected = await exchange({
      code,
      state: other.state,
      codeVerifier: other.verifier,
      redirectUri: elsewhere,
    });
    expect(misdirected.errors?.[0]?.extensions?.code).toBe('BAD_USER_INPUT');
    expect(misdirected.errors?.[0]?.message).toMatch(/redirectUri/);
  });
});

describe('refreshOAuthToken', () => {
  it('rotates: new tokens work, the old access and refresh tokens stop working', async () => {
    const pmi = members()[3] ?? '';
    const first = (await exchange(await signInThroughAuthorizePage(pmi))).tokens as Tokens;
    sandbox.resetCalls();
    const { tokens: second, errors } = await refresh(first.refreshToken);
    expect(errors).toBeUndefined();
    expect(second?.member?.projectMemberId).toBe(pmi);
    expect(second?.accessToken).not.toBe(first.accessToken);
    expect(second?.refreshToken).not.toBe(first.refreshToken);
    expect(sandbox.calls().OAUTH_TOKEN).toBe(1);

    expect(
      (await viewerMember(second?.accessToken ?? '')).data?.viewer.member?.projectMemberId,
    ).toBe(pmi);
    const old = await viewerMember(first.accessToken);
    expect(old.errors?.[0]?.extensions).toMatchObject({
      code: 'UNAUTHENTICATED',
      reason: 'TOKEN_INVALID',
    });
    const reused = await refresh(first.refreshToken);
    expect(reused.data).toEqual({ refreshOAuthToken: null });
    expect(reused.errors?.[0]?.extensions).toMatchObject({
      code: 'UNAUTHENTICATED',
      reason: 'REFRESH_TOKEN_INVALID',
    });
    // The newest refresh token still works.
    expect((await refresh(second?.refreshToken ?? '')).tokens?.member?.projectMemberId).toBe(pmi);
  });

  it('shares one upstream call between concurrent refreshes of one token', async () => {
    const first = (await exchange(await signInThroughAuthorizePage(members()[4] ?? '')))
      .tokens as Tokens;
    sandbox.resetCalls();
    const results = await Promise.all(Array.from({ length: 6 }, () => refresh(first.refreshToken)));
    expect(results.map((r) => r.errors)).toEqual(Array(6).fill(undefined));
    expect(new Set(results.map((r) => r.tokens?.refreshToken)).size).toBe(1);
    expect(new Set(results.map((r) => r.tokens?.accessToken)).size).toBe(1);
    expect(sandbox.calls().OAUTH_TOKEN).toBe(1);
  });

  it('answers a just-rotated refresh token with the same tokens during a configured grace period', async () => {
    const graceful = await startStack({
      sandbox,
      env: {
        OPENHUMANS_CLIENT_ID: sandbox.clientId,
        OPENHUMANS_CLIENT_SECRET: sandbox.clientSecret,
        OAUTH_REFRESH_GRACE_SECONDS: '10',
      },
    });
    try {
      const first = (await exchange(await signInThroughAuthorizePage(members()[5] ?? ''), graceful))
        .tokens as Tokens;
      sandbox.resetCalls();
      const a = (await refresh(first.refreshToken, graceful)).tokens;
      const b = (await refresh(first.refreshToken, graceful)).tokens;
      expect(b).toEqual(a);
      expect(sandbox.calls().OAUTH_TOKEN).toBe(1);
    } finally {
      await graceful.close();
    }
  });

  it('says REFRESH_TOKEN_INVALID once the member left the project', async () => {
    const pmi = members()[6] ?? '';
    const tokens = (await exchange(await signInThroughAuthorizePage(pmi))).tokens as Tokens;
    await memberLeaves(sandbox.state, pmi);
    const res = await refresh(tokens.refreshToken);
    expect(res.errors?.[0]?.extensions).toMatchObject({
      code: 'UNAUTHENTICATED',
      reason: 'REFRESH_TOKEN_INVALID',
    });
  });

  it('refuses malformed refresh tokens without calling upstream', async () => {
    for (const refreshToken of ['', 'has space', 'x'.repeat(600)]) {
      const res = await refresh(refreshToken);
      expect(res.errors?.[0]?.extensions).toMatchObject({
        code: 'BAD_USER_INPUT',
        argument: 'refreshToken',
      });
    }
    expect(sandbox.calls().OAUTH_TOKEN ?? 0).toBe(0);
  });
});

describe('client configuration', () => {
  it('names the setting when Open Humans refuses the client, and never shows the secret', async () => {
    const wrongSecret = 'fakeWrongClientSecret0123456789';
    secrets.add(wrongSecret);
    const misconfigured = await startStack({
      sandbox,
      env: { OPENHUMANS_CLIENT_ID: sandbox.clientId, OPENHUMANS_CLIENT_SECRET: wrongSecret },
    });
    try {
      const started = await authorizeUrl(REDIRECT, misconfigured);
      const { code } = await signInThroughAuthorizePage(members()[7] ?? '');
      for (const res of [
        await exchange(
          { code, state: started.state, codeVerifier: started.verifier },
          misconfigured,
        ),
        await refresh('fakeRefreshToken00000000000000', misconfigured),
      ]) {
        expect(res.errors?.[0]?.extensions?.code).toBe('UPSTREAM_ERROR');
        expect(res.errors?.[0]?.message).toMatch(/OPENHUMANS_CLIENT_SECRET/);
        expect(res.text).not.toContain(wrongSecret);
      }
      expect(misconfigured.logLines.join('\n')).toMatch(
        /OPENHUMANS_CLIENT_ID and OPENHUMANS_CLIENT_SECRET/,
      );
      expect(findSecrets(misconfigured.logLines, secrets)).toEqual([]);
    } finally {
      await misconfigured.close();
    }
  });

  it('explains that sign-in is off when the client is not configured', async () => {
    const off = await startStack({ sandbox });
    try {
      for (const res of [
        await off.execute(AUTHORIZE, {
          redirectUri: REDIRECT,
          codeChallenge: challengeOf(newVerifier()),
        }),
        await off.execute(REFRESH, { input: { refreshToken: 'fakeRefreshToken' } }),
      ]) {
        expect(res.errors?.[0]?.extensions?.code).toBe('FORBIDDEN');
        expect(res.errors?.[0]?.message).toMatch(
          /OPENHUMANS_CLIENT_ID and OPENHUMANS_CLIENT_SECRET/,
        );
      }
    } finally {
      await off.close();
    }
  });

  it('rejects a client id without a secret at start-up, naming both settings', async () => {
    await expect(startStack({ sandbox, env: { OPENHUMANS_CLIENT_ID: 'fake-id' } })).rejects.toThrow(
      /OPENHUMANS_CLIENT_SECRET/,
    );
  });
});

describe('secrets', () => {
  it('never writes a client secret, code or token into a log line', () => {
    expect(secrets.size).toBeGreaterThan(5);
    expect(findSecrets(stack.logLines, secrets)).toEqual([]);
  });
});
