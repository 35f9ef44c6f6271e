/**
 * Session mode over WebSocket: the session cookie of a signed-in member authenticates a socket
 * opened from the gateway's own origin, and a page on another site cannot open one at all.
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import WebSocket from 'ws';
import type { Sandbox } from '../../sandbox/index.js';
import { startSandbox } from '../../sandbox/index.js';
import { configureOAuthApp } from '../../sandbox/routes/direct-sharing-controls.js';
import { sessionCookieNames } from '../../src/oauth/sessions.js';

const SESSION_COOKIE = sessionCookieNames(true).session;

import { sessionEnv } from '../helpers/session-stack.js';
import { type Stack, startStack } from '../helpers/stack.js';
import { collect, listenWithWebSockets, type WsServer, wsClient } from './support.js';

const VIEWER = '{ viewer { member { projectMemberId } } }';
type Viewer = { viewer: { member: { projectMemberId: string } | null } };

let sandbox: Sandbox;
let stack: Stack;
let ws: WsServer;
beforeAll(async () => {
  sandbox = await startSandbox({ port: 0 });
  stack = await startStack({
    sandbox,
    env: sessionEnv(sandbox),
  });
  ws = await listenWithWebSockets(stack);
  configureOAuthApp(sandbox.state, { redirectUrl: `${ws.httpUrl}/auth/openhumans/callback` });
});
afterAll(async () => {
  await ws?.close();
  await stack?.close();
  await sandbox?.close();
});

/** Signs in as a browser would (redirects followed by hand) and returns the session cookie. */
async function signIn(projectMemberId: string): Promise<string> {
  const login = await fetch(`${ws.httpUrl}/auth/openhumans/login?returnTo=%2Fhealth`, {
    redirect: 'manual',
  });
  const signinCookie = (login.headers.getSetCookie()[0] ?? '').split(';')[0] ?? '';
  const authorize = new URL(login.headers.get('location') ?? '');
  const form = new URLSearchParams(authorize.searchParams);
  form.set('project_member_id', projectMemberId);
  form.set('allow', 'Authorize');
  const approved = await fetch(authorize, { method: 'POST', body: form, redirect: 'manual' });
  const done = await fetch(new URL(approved.headers.get('location') ?? ''), {
    redirect: 'manual',
    headers: { cookie: signinCookie },
  });
  const session = done.headers
    .getSetCookie()
    .map((c) => c.split(';')[0] ?? '')
    .find((pair) => pair.startsWith(`${SESSION_COOKIE}=`));
  expect(session).toBeTruthy();
  return session ?? '';
}

describe('WebSocket in session mode', () => {
  it('authenticates with the session cookie from the gateway origin', async () => {
    const pmi = Object.keys(sandbox.memberTokens).sort()[0] ?? '';
    const cookie = await signIn(pmi);
    const client = wsClient(ws.wsUrl, {}, { cookie, origin: ws.httpUrl });
    try {
      const { results } = await collect<Viewer>(client, VIEWER);
      expect(results[0]?.data?.viewer.member?.projectMemberId).toBe(pmi);
    } finally {
      await client.dispose();
    }
  });

  it('refuses the upgrade from another origin, cookie and all (403)', async () => {
    const cookie = await signIn(Object.keys(sandbox.memberTokens).sort()[1] ?? '');
    const socket = new WebSocket(ws.wsUrl, 'graphql-transport-ws', {
      headers: { cookie, origin: 'https://attacker.example' },
    });
    socket.on('error', () => undefined);
    const status = await new Promise<number>((resolve) => {
      socket.on('unexpected-response', (_req, res) => resolve(res.statusCode ?? 0));
      socket.on('open', () => resolve(101));
    });
    expect(status).toBe(403);
  });

  it('a token in connection_init wins over the cookie', async () => {
    const [pmiA, pmiB] = Object.keys(sandbox.memberTokens).sort().slice(2, 4);
    const cookie = await signIn(pmiA ?? '');
    const client = wsClient(
      ws.wsUrl,
      { connectionParams: { token: sandbox.memberTokens[pmiB ?? ''] } },
      { cookie, origin: ws.httpUrl },
    );
    try {
      const { results } = await collect<Viewer>(client, VIEWER);
      expect(results[0]?.data?.viewer.member?.projectMemberId).toBe(pmiB);
    } finally {
      await client.dispose();
    }
  });
});
