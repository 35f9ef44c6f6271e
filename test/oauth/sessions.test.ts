import { afterAll, beforeAll, beforeEach, describe, expect, it } from 'vitest';
import type { Sandbox } from '../../sandbox/index.js';
import { startSandbox } from '../../sandbox/index.js';
import { configureOAuthApp, memberLeaves } from '../../sandbox/routes/direct-sharing-controls.js';
import { sessionCookieNames } from '../../src/oauth/sessions.js';
import { sessionEnv } from '../helpers/session-stack.js';
import { findSecrets, type Stack, startStack } from '../helpers/stack.js';

const VIEWER = '{ viewer { tokenKind member { projectMemberId } } }';
const MUTATION = 'mutation { __typename }';
const APP_ORIGIN = 'http://app.test';
const NAMES = sessionCookieNames(true);
const SESSION = NAMES.session;
const HOUR = 3_600_000;

let sandbox: Sandbox;
let stack: Stack;
let base: string;
/** The gateway's session clock: real time plus whatever a test adds. */
let skewMs = 0;

beforeAll(async () => {
  sandbox = await startSandbox({ port: 0 });
  stack = await startStack({
    sandbox,
    sessionClock: () => Date.now() + skewMs,
    env: sessionEnv(sandbox, {
      CORS_ORIGINS: APP_ORIGIN,
      OAUTH_SESSION_IDLE_SECONDS: '1800',
      OAUTH_SESSION_ABSOLUTE_SECONDS: '28800',
    }),
  });
  base = await stack.listen();
  configureOAuthApp(sandbox.state, { redirectUrl: `${base}/auth/openhumans/callback` });
});
afterAll(async () => {
  await stack?.close();
  await sandbox?.close();
});
beforeEach(() => {
  skewMs = 0;
  sandbox.resetCalls();
});

const members = (): string[] => Object.keys(sandbox.memberTokens).sort();

/** Set-Cookie values of a response, as `name=value` pairs. */
const cookiesOf = (res: Response): Map<string, string> =>
  new Map(
    res.headers.getSetCookie().map((c) => {
      const [pair = ''] = c.split(';');
      const eq = pair.indexOf('=');
      return [pair.slice(0, eq), pair.slice(eq + 1)] as [string, string];
    }),
  );

interface Answer {
  status: number;
  res: Response;
  body: {
    data?: { viewer?: { member: { projectMemberId: string } | null } } | null;
    errors?: { message: string; extensions?: Record<string, unknown> }[];
  };
}

/** A GraphQL call as a same-origin page would make it (Origin and JSON), unless overridden. */
async function graphql(
  cookie: string | null,
  init: { headers?: Record<string, string>; body?: string; method?: string; query?: string } = {},
): Promise<Answer> {
  const res = await fetch(`${base}/graphql`, {
    method: init.method ?? 'POST',
    headers: {
      origin: base,
      'content-type': 'application/json',
      ...(cookie ? { cookie } : {}),
      ...init.headers,
    },
    body:
      init.method === 'GET'
        ? undefined
        : (init.body ?? JSON.stringify({ query: init.query ?? VIEWER })),
  });
  const text = await res.text();
  return { status: res.status, res, body: text ? (JSON.parse(text) as Answer['body']) : {} };
}

/** Sign-in as a browser would do it, following redirects by hand and keeping cookies. */
async function signIn(
  projectMemberId: string,
  returnTo = '/health',
): Promise<{ sessionCookie: string; landedOn: string; setCookie: string }> {
  const login = await fetch(
    `${base}/auth/openhumans/login?returnTo=${encodeURIComponent(returnTo)}`,
    { redirect: 'manual' },
  );
  expect(login.status).toBe(302);
  expect(login.headers.get('cache-control')).toBe('no-store');
  const signinCookie = login.headers.getSetCookie()[0] ?? '';
  expect(signinCookie).toMatch(new RegExp(`^${NAMES.signIn}=.*HttpOnly; SameSite=Lax; Secure`));
  const authorize = new URL(login.headers.get('location') ?? '');
  const form = new URLSearchParams(authorize.searchParams);
  form.set('project_member_id', projectMemberId);
  form.set('allow', 'Authorize');
  const approved = await fetch(authorize, { method: 'POST', body: form, redirect: 'manual' });
  const callback = new URL(approved.headers.get('location') ?? '');
  expect(callback.pathname).toBe('/auth/openhumans/callback');
  const done = await fetch(callback, {
    redirect: 'manual',
    headers: { cookie: signinCookie.split(';')[0] ?? '' },
  });
  expect(done.status).toBe(302);
  expect(done.headers.get('cache-control')).toBe('no-store');
  const session = cookiesOf(done).get(SESSION) ?? '';
  expect(session).not.toBe('');
  const setCookie = done.headers.getSetCookie().find((c) => c.startsWith(`${SESSION}=`)) ?? '';
  return {
    sessionCookie: `${SESSION}=${session}`,
    landedOn: done.headers.get('location') ?? '',
    setCookie,
  };
}

describe('session mode: sign-in and cookie', () => {
  it('signs in through the authorize page; the __Host- cookie holds only an id; answers are no-store', async () => {
    const pmi = members()[0] ?? '';
    const { sessionCookie, landedOn, setCookie } = await signIn(pmi);
    expect(landedOn).toBe('/health');
    expect(setCookie).toMatch(
      /^__Host-ohgql_session=[\w-]{43}; Path=\/; Max-Age=28800; HttpOnly; SameSite=Lax; Secure$/,
    );
    const { body, res } = await graphql(sessionCookie);
    expect(body.data?.viewer?.member?.projectMemberId).toBe(pmi);
    expect(res.headers.get('cache-control')).toBe('no-store');
    const tokens = Object.values(sandbox.info().memberTokens);
    expect(findSecrets([decodeURIComponent(sessionCookie)], tokens)).toEqual([]);
    expect(findSecrets(stack.logLines, [...tokens, sandbox.clientSecret])).toEqual([]);
  });

  it('refuses a replayed callback (single-use state) before any call to Open Humans', async () => {
    const login = await fetch(`${base}/auth/openhumans/login`, { redirect: 'manual' });
    const signinCookie = (login.headers.getSetCookie()[0] ?? '').split(';')[0] ?? '';
    const authorize = new URL(login.headers.get('location') ?? '');
    const form = new URLSearchParams(authorize.searchParams);
    form.set('project_member_id', members()[1] ?? '');
    form.set('allow', 'Authorize');
    const callback =
      (await fetch(authorize, { method: 'POST', body: form, redirect: 'manual' })).headers.get(
        'location',
      ) ?? '';
    expect(
      (await fetch(callback, { redirect: 'manual', headers: { cookie: signinCookie } })).status,
    ).toBe(302);
    sandbox.resetCalls();
    const replay = await fetch(callback, { redirect: 'manual', headers: { cookie: signinCookie } });
    expect(replay.status).toBe(400);
    expect(await replay.text()).toMatch(/used already/);
    expect(sandbox.calls().OAUTH_TOKEN ?? 0).toBe(0);
    // And a callback this browser did not start is refused too.
    const foreign = await fetch(`${base}/auth/openhumans/callback?code=fakecode&state=v1.x.y`, {
      redirect: 'manual',
    });
    expect(foreign.status).toBe(400);
  });

  it('ignores an unknown or forged session id (signed out, cookie cleared)', async () => {
    for (const value of ['A'.repeat(43), 'v1.AAAA.BBBB.CCCC', '']) {
      const { body, res } = await graphql(`${SESSION}=${value}`);
      expect(body.errors?.[0]?.extensions).toMatchObject({
        code: 'UNAUTHENTICATED',
        reason: 'TOKEN_MISSING',
      });
      expect(res.headers.getSetCookie().join('\n')).toMatch(new RegExp(`${SESSION}=;.*Max-Age=0`));
    }
  });

  it('refuses a request carrying two session cookies (cookie tossing)', async () => {
    const { sessionCookie } = await signIn(members()[2] ?? '');
    const other = (await signIn(members()[3] ?? '')).sessionCookie;
    sandbox.resetCalls();
    for (const cookie of [
      `${sessionCookie}; ${other}`,
      `${other}; theme=dark; ${sessionCookie}`,
      `${sessionCookie}; ${sessionCookie}`,
    ]) {
      const { status, body } = await graphql(cookie);
      expect(status).toBe(400);
      expect(body.errors?.[0]?.extensions).toMatchObject({
        code: 'UNAUTHENTICATED',
        reason: 'TOKEN_INVALID',
      });
    }
    expect(Object.keys(sandbox.calls())).toEqual([]);
  });
});

describe('session mode: CSRF rule', () => {
  let cookie: string;
  let pmi: string;
  beforeAll(async () => {
    pmi = members()[4] ?? '';
    cookie = (await signIn(pmi)).sessionCookie;
  });

  it('runs with the cookie from the gateway’s origin and from CORS_ORIGINS, with JSON or the preflight header', async () => {
    const ok = [
      await graphql(cookie),
      await graphql(cookie, { headers: { origin: APP_ORIGIN } }),
      await graphql(cookie, {
        headers: { 'graphql-preflight': '1', 'content-type': 'application/json; charset=utf-8' },
      }),
    ];
    for (const answer of ok) expect(answer.body.data?.viewer?.member?.projectMemberId).toBe(pmi);
    const get = await fetch(`${base}/graphql?query=${encodeURIComponent(VIEWER)}`, {
      headers: { origin: base, cookie, 'graphql-preflight': '1', accept: 'application/json' },
    });
    expect(((await get.json()) as Answer['body']).data?.viewer?.member?.projectMemberId).toBe(pmi);
    // The CORS answer lets the listed app send the cookie, and says it depends on Origin.
    const preflight = await fetch(`${base}/graphql`, {
      method: 'OPTIONS',
      headers: {
        origin: APP_ORIGIN,
        'access-control-request-method': 'POST',
        'access-control-request-headers': 'content-type',
      },
    });
    expect(preflight.headers.get('access-control-allow-origin')).toBe(APP_ORIGIN);
    expect(preflight.headers.get('access-control-allow-credentials')).toBe('true');
    expect(preflight.headers.get('vary')).toMatch(/Origin/);
  });

  it('refuses the cookie from another origin, without Origin, and in any form encoding, with 0 upstream calls', async () => {
    const form = new URLSearchParams({ query: MUTATION }).toString();
    const multipart = new FormData();
    multipart.set('operations', JSON.stringify({ query: MUTATION }));
    multipart.set('map', '{}');
    const cases: [string, RequestInit & { headers?: Record<string, string> }][] = [
      ['other origin', { headers: { origin: 'http://evil.test' } }],
      ['same site, other port', { headers: { origin: base.replace(/:(\d+)$/, ':1') } }],
      ['null origin', { headers: { origin: 'null' } }],
      [
        'urlencoded',
        { headers: { 'content-type': 'application/x-www-form-urlencoded' }, body: form },
      ],
      [
        'text/plain',
        { headers: { 'content-type': 'text/plain' }, body: JSON.stringify({ query: MUTATION }) },
      ],
    ];
    sandbox.resetCalls();
    for (const [name, init] of cases) {
      const { status, body } = await graphql(cookie, {
        headers: init.headers,
        body: init.body as string | undefined,
        query: MUTATION,
      });
      expect([name, status]).toEqual([name, 403]);
      expect(body.errors?.[0]?.extensions).toMatchObject({
        code: 'FORBIDDEN',
        reason: 'CSRF_REJECTED',
      });
    }
    const noOrigin = await fetch(`${base}/graphql`, {
      method: 'POST',
      headers: { cookie, 'content-type': 'application/json' },
      body: JSON.stringify({ query: MUTATION }),
    });
    expect(noOrigin.status).toBe(403);
    const multi = await fetch(`${base}/graphql`, {
      method: 'POST',
      headers: { cookie, origin: base },
      body: multipart,
    });
    expect(multi.status).toBe(403);
    expect(((await multi.json()) as Answer['body']).errors?.[0]?.message).toMatch(/Form-encoded/);
    const getWithoutHeader = await fetch(`${base}/graphql?query=${encodeURIComponent(VIEWER)}`, {
      headers: { origin: base, cookie },
    });
    expect(getWithoutHeader.status).toBe(403);
    expect(Object.keys(sandbox.calls())).toEqual([]);
  });

  it('serves the GraphiQL page to a signed-in browser (a navigation, no Origin) but runs no query from a navigation', async () => {
    const page = await fetch(`${base}/graphql`, { headers: { cookie, accept: 'text/html' } });
    expect(page.status).toBe(200);
    expect(page.headers.get('content-type')).toMatch(/text\/html/);
    await page.arrayBuffer();
    const navigation = await fetch(`${base}/graphql?query=${encodeURIComponent(VIEWER)}`, {
      headers: { cookie, accept: 'text/html' },
    });
    expect(navigation.status).toBe(403);
  });

  it('leaves bearer requests alone: with an Authorization header the cookie plays no part', async () => {
    const { body } = await graphql(cookie, {
      headers: { origin: 'http://evil.test', authorization: `Bearer ${sandbox.masterToken}` },
    });
    expect(body.errors).toBeUndefined();
    expect(body.data?.viewer?.member).toBeNull(); // the master token has no member
  });
});

describe('session mode: lifetimes, sign-out, refresh', () => {
  it('signs out with a POST under the CSRF rule; the old cookie stops working at once', async () => {
    const pmi = members()[5] ?? '';
    const { sessionCookie } = await signIn(pmi);
    expect(
      (await fetch(`${base}/auth/openhumans/logout`, { headers: { cookie: sessionCookie } }))
        .status,
    ).toBe(405);
    const crossSite = await fetch(`${base}/auth/openhumans/logout`, {
      method: 'POST',
      headers: { cookie: sessionCookie, origin: 'http://evil.test' },
    });
    expect(crossSite.status).toBe(403);
    const formPost = await fetch(`${base}/auth/openhumans/logout`, {
      method: 'POST',
      headers: {
        cookie: sessionCookie,
        origin: base,
        'content-type': 'application/x-www-form-urlencoded',
      },
      body: 'a=b',
    });
    expect(formPost.status).toBe(403);
    expect((await graphql(sessionCookie)).body.data?.viewer?.member?.projectMemberId).toBe(pmi);

    const out = await fetch(`${base}/auth/openhumans/logout`, {
      method: 'POST',
      headers: { cookie: sessionCookie, origin: base, 'graphql-preflight': '1' },
    });
    expect(out.status).toBe(204);
    expect(out.headers.get('cache-control')).toBe('no-store');
    expect(out.headers.get('set-cookie')).toMatch(new RegExp(`^${SESSION}=; Path=/; Max-Age=0`));
    // The browser may keep sending the old cookie: it no longer signs anyone in.
    const after = await graphql(sessionCookie);
    expect(after.body.errors?.[0]?.extensions).toMatchObject({
      code: 'UNAUTHENTICATED',
      reason: 'TOKEN_MISSING',
    });
  });

  it('ends a session after the idle lifetime, and after the absolute lifetime however busy', async () => {
    const pmi = members()[6] ?? '';
    const idle = (await signIn(pmi)).sessionCookie;
    skewMs = 29 * 60_000; // 29 min of silence: still fine, and the use counts
    expect((await graphql(idle)).body.data?.viewer?.member?.projectMemberId).toBe(pmi);
    skewMs += 29 * 60_000;
    expect((await graphql(idle)).body.data?.viewer?.member?.projectMemberId).toBe(pmi);
    skewMs += 31 * 60_000; // 31 min idle
    expect((await graphql(idle)).body.errors?.[0]?.extensions?.reason).toBe('TOKEN_MISSING');

    skewMs = 0;
    const busy = (await signIn(pmi)).sessionCookie;
    // Used every 20 minutes: never idle, but the absolute lifetime (8 h) still ends it.
    for (let minutes = 20; minutes < 480; minutes += 20) {
      skewMs = minutes * 60_000;
      expect((await graphql(busy)).body.data?.viewer?.member?.projectMemberId).toBe(pmi);
    }
    skewMs = 480 * 60_000;
    expect((await graphql(busy)).body.errors?.[0]?.extensions?.reason).toBe('TOKEN_MISSING');
  });

  it('refreshes an expiring session once for concurrent requests; the rotated pair goes to the record only', async () => {
    // Lifetimes longer than the 10 h access token, so that a refresh is needed at all.
    const long = await startStack({
      sandbox,
      sessionClock: () => Date.now() + skewMs,
      env: sessionEnv(sandbox, {
        OAUTH_SESSION_IDLE_SECONDS: '43200',
        OAUTH_SESSION_ABSOLUTE_SECONDS: '86400',
      }),
    });
    const longBase = await long.listen();
    configureOAuthApp(sandbox.state, { redirectUrl: `${longBase}/auth/openhumans/callback` });
    const savedBase = base;
    base = longBase;
    try {
      const pmi = members()[7] ?? '';
      const { sessionCookie } = await signIn(pmi);
      sandbox.resetCalls();
      skewMs = 10 * HOUR - 30_000; // 30 s before the access token expires
      const answers = await Promise.all(Array.from({ length: 5 }, () => graphql(sessionCookie)));
      for (const a of answers) expect(a.body.data?.viewer?.member?.projectMemberId).toBe(pmi);
      expect(sandbox.calls().OAUTH_TOKEN).toBe(1);
      // The cookie did not change (it is only an id); the next request needs no refresh.
      for (const a of answers) expect(a.res.headers.getSetCookie()).toEqual([]);
      sandbox.resetCalls();
      expect((await graphql(sessionCookie)).body.data?.viewer?.member?.projectMemberId).toBe(pmi);
      expect(sandbox.calls().OAUTH_TOKEN ?? 0).toBe(0);
      expect(findSecrets(long.logLines, Object.values(sandbox.info().memberTokens))).toEqual([]);
    } finally {
      base = savedBase;
      configureOAuthApp(sandbox.state, { redirectUrl: `${base}/auth/openhumans/callback` });
      await long.close();
    }
  });

  it('ends the session when Open Humans refuses the refresh (the member left)', async () => {
    const pmi = members()[8] ?? '';
    const { sessionCookie } = await signIn(pmi);
    await memberLeaves(sandbox.state, pmi);
    expect((await graphql(sessionCookie)).body.errors?.[0]?.extensions?.code).toBe(
      'UNAUTHENTICATED',
    );
  });
});
