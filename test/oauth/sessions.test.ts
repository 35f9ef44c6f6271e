import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { Sandbox } from '../../sandbox/index.js';
import { startSandbox } from '../../sandbox/index.js';
import { configureOAuthApp, mintTokens } from '../../sandbox/routes/direct-sharing-controls.js';
import { createCookieSealer, readCookie } from '../../src/oauth/session-cookie.js';
import { SESSION_COOKIE } from '../../src/oauth/sessions.js';
import { findSecrets, startStack, type Stack } from '../helpers/stack.js';

const VIEWER = '{ viewer { tokenKind member { projectMemberId } } }';

let sandbox: Sandbox;
let stack: Stack;
let base: string;

beforeAll(async () => {
  sandbox = await startSandbox({ port: 0 });
  stack = await startStack({
    sandbox,
    env: { OPENHUMANS_CLIENT_ID: sandbox.clientId, OPENHUMANS_CLIENT_SECRET: sandbox.clientSecret, OAUTH_SESSIONS: 'true', OAUTH_REFRESH_GRACE_SECONDS: '0' },
  });
  base = await stack.listen();
  configureOAuthApp(sandbox.state, { redirectUrl: `${base}/auth/openhumans/callback` });
});
afterAll(async () => {
  await stack?.close();
  await sandbox?.close();
});

/** Set-Cookie values of a response, as `name=value` pairs. */
const cookiesOf = (res: Response): Map<string, string> =>
  new Map(res.headers.getSetCookie().map((c) => {
    const [pair = ''] = c.split(';');
    const eq = pair.indexOf('=');
    return [pair.slice(0, eq), pair.slice(eq + 1)] as [string, string];
  }));

async function graphql(cookie: string | null, headers: Record<string, string> = {}) {
  const res = await fetch(`${base}/graphql`, {
    method: 'POST',
    headers: { 'content-type': 'application/json', ...(cookie ? { cookie } : {}), ...headers },
    body: JSON.stringify({ query: VIEWER }),
  });
  const body = (await res.json()) as { data?: { viewer: { member: { projectMemberId: string } | null } } | null; errors?: { extensions?: Record<string, unknown> }[] };
  return { res, body };
}

/** Sign-in as a browser would do it, following redirects by hand and keeping cookies. */
async function signIn(projectMemberId: string, returnTo = '/health'): Promise<{ sessionCookie: string; landedOn: string }> {
  const login = await fetch(`${base}/auth/openhumans/login?returnTo=${encodeURIComponent(returnTo)}`, { redirect: 'manual' });
  expect(login.status).toBe(302);
  const signinCookie = login.headers.getSetCookie()[0] ?? '';
  expect(signinCookie).toMatch(/HttpOnly/);
  expect(signinCookie).toMatch(/SameSite=Lax/);
  const authorize = new URL(login.headers.get('location') ?? '');
  const form = new URLSearchParams(authorize.searchParams);
  form.set('project_member_id', projectMemberId);
  form.set('allow', 'Authorize');
  const approved = await fetch(authorize, { method: 'POST', body: form, redirect: 'manual' });
  const callback = new URL(approved.headers.get('location') ?? '');
  expect(callback.pathname).toBe('/auth/openhumans/callback');
  const done = await fetch(callback, { redirect: 'manual', headers: { cookie: signinCookie.split(';')[0] ?? '' } });
  expect(done.status).toBe(302);
  const session = cookiesOf(done).get(SESSION_COOKIE) ?? '';
  expect(session).not.toBe('');
  return { sessionCookie: `${SESSION_COOKIE}=${session}`, landedOn: done.headers.get('location') ?? '' };
}

describe('session mode', () => {
  it('signs in through the authorize page and acts as the member with the cookie alone', async () => {
    const pmi = Object.keys(sandbox.memberTokens).sort()[0] ?? '';
    const { sessionCookie, landedOn } = await signIn(pmi);
    expect(landedOn).toBe('/health');
    const { body } = await graphql(sessionCookie);
    expect(body.data?.viewer.member?.projectMemberId).toBe(pmi);
    // The cookie is sealed: no token inside it is readable.
    const tokens = Object.values(sandbox.info().memberTokens);
    expect(findSecrets([decodeURIComponent(sessionCookie)], tokens)).toEqual([]);
    expect(findSecrets(stack.logLines, [...tokens, sandbox.clientSecret])).toEqual([]);
  });

  it('ignores the cookie on cross-site requests and when an Authorization header is sent', async () => {
    const pmi = Object.keys(sandbox.memberTokens).sort()[1] ?? '';
    const { sessionCookie } = await signIn(pmi);
    const crossSite = await graphql(sessionCookie, { 'sec-fetch-site': 'cross-site' });
    expect(crossSite.body.errors?.[0]?.extensions).toMatchObject({ code: 'UNAUTHENTICATED', reason: 'TOKEN_MISSING' });
    const other = await graphql(sessionCookie, { authorization: `Bearer ${sandbox.masterToken}` });
    expect(other.body.data?.viewer.member).toBeNull(); // the master token has no member
    const sameOrigin = await graphql(sessionCookie, { 'sec-fetch-site': 'same-origin' });
    expect(sameOrigin.body.data?.viewer.member?.projectMemberId).toBe(pmi);
  });

  it('refreshes an expiring session, sends the new cookie, and the old tokens die', async () => {
    const pmi = Object.keys(sandbox.memberTokens).sort()[2] ?? '';
    const old = mintTokens(sandbox.state, pmi);
    const sealer = createCookieSealer(sandbox.clientSecret, 'session');
    const expiring = `${SESSION_COOKIE}=${sealer.seal({ a: old.accessToken, r: old.refreshToken, e: Date.now() + 5_000 })}`;
    sandbox.resetCalls();
    const { res, body } = await graphql(expiring);
    expect(body.data?.viewer.member?.projectMemberId).toBe(pmi);
    expect(sandbox.calls().OAUTH_TOKEN).toBe(1);
    const renewed = cookiesOf(res).get(SESSION_COOKIE) ?? '';
    const session = sealer.open(renewed) as { a: string; r: string; e: number };
    expect(session.a).not.toBe(old.accessToken);
    expect(session.e).toBeGreaterThan(Date.now() + 3_600_000);
    // The renewed cookie works without another refresh; the old token does not work any more.
    sandbox.resetCalls();
    expect((await graphql(`${SESSION_COOKIE}=${renewed}`)).body.data?.viewer.member?.projectMemberId).toBe(pmi);
    expect(sandbox.calls().OAUTH_TOKEN ?? 0).toBe(0);
    const stale = await graphql(null, { authorization: `Bearer ${old.accessToken}` });
    expect(stale.body.errors?.[0]?.extensions?.code).toBe('UNAUTHENTICATED');
    // The expiring cookie again: its refresh token was rotated away → signed out, cookie cleared.
    const again = await graphql(expiring);
    expect(again.body.errors?.[0]?.extensions).toMatchObject({ code: 'UNAUTHENTICATED', reason: 'TOKEN_MISSING' });
    expect(again.res.headers.getSetCookie().join('\n')).toMatch(new RegExp(`${SESSION_COOKIE}=;.*Max-Age=0`));
  });

  it('refuses a callback this browser did not start, a forged cookie, and redirects only to local paths', async () => {
    const cb = await fetch(`${base}/auth/openhumans/callback?code=fakecode&state=v1.x.y`, { redirect: 'manual' });
    expect(cb.status).toBe(400);
    const forged = await graphql(`${SESSION_COOKIE}=v1.AAAA.BBBB.CCCC`);
    expect(forged.body.errors?.[0]?.extensions?.reason).toBe('TOKEN_MISSING');
    const pmi = Object.keys(sandbox.memberTokens).sort()[3] ?? '';
    expect((await signIn(pmi, 'https://evil.example.org/')).landedOn).toBe('/');
    expect((await signIn(pmi, '//evil.example.org/')).landedOn).toBe('/');
  });

  it('signs out', async () => {
    const res = await fetch(`${base}/auth/openhumans/logout`, { method: 'POST' });
    expect(res.status).toBe(204);
    expect(readCookie(res.headers.get('set-cookie')?.split(';')[0] ?? null, SESSION_COOKIE)).toBe('');
    expect((await fetch(`${base}/auth/openhumans/logout`)).status).toBe(405);
  });
});
