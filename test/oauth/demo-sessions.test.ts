import { type ChildProcess, spawn } from 'node:child_process';
import { afterAll, describe, expect, it } from 'vitest';
import { freePort } from '../helpers/free-port.js';

/** `OAUTH_SESSIONS=true npm run demo` starts, and a browser-like sign-in through it works. */

describe('session mode on the demo', () => {
  let child: ChildProcess | undefined;
  afterAll(async () => {
    if (child?.pid && child.exitCode === null) {
      const exited = new Promise((resolve) => child?.once('exit', resolve));
      child.kill('SIGTERM');
      await exited;
    }
  });

  it('starts, the sandbox accepts its callback, and the session cookie signs the member in', async () => {
    const port = await freePort();
    child = spawn(process.execPath, ['--import', 'tsx', 'scripts/demo.ts'], {
      cwd: new URL('../../', import.meta.url),
      env: {
        ...process.env,
        PORT: String(port),
        OAUTH_SESSIONS: 'true',
        NODE_ENV: 'development',
        LOG_LEVEL: 'warn',
      },
      stdio: ['ignore', 'pipe', 'pipe'],
    });
    let output = '';
    await new Promise<void>((resolve, reject) => {
      const timer = setTimeout(
        () => reject(new Error(`demo did not start: ${output.slice(-500)}`)),
        60_000,
      );
      const onData = (chunk: Buffer) => {
        output += chunk.toString('utf8');
        if (output.includes('Ctrl+C stops both')) {
          clearTimeout(timer);
          resolve();
        }
      };
      child?.stdout?.on('data', onData);
      child?.stderr?.on('data', onData);
      child?.once('exit', (code) =>
        reject(new Error(`demo exited with ${code}: ${output.slice(-500)}`)),
      );
    });
    const base = `http://localhost:${port}`;
    expect(output).toContain(`${base}/auth/openhumans/login?returnTo=/graphql`);

    const login = await fetch(`${base}/auth/openhumans/login?returnTo=/graphql`, {
      redirect: 'manual',
    });
    expect(login.status).toBe(302);
    const signin = (login.headers.getSetCookie()[0] ?? '').split(';')[0] ?? '';
    const authorize = new URL(login.headers.get('location') ?? '');
    expect(authorize.searchParams.get('redirect_uri')).toBe(`${base}/auth/openhumans/callback`);
    const page = await fetch(authorize);
    expect(page.status).toBe(200); // the sandbox's client accepts the demo's callback
    const pmi = /option value="(\d+)"/.exec(await page.text())?.[1] ?? '';
    const form = new URLSearchParams(authorize.searchParams);
    form.set('project_member_id', pmi);
    form.set('allow', 'Authorize');
    const approved = await fetch(authorize, { method: 'POST', body: form, redirect: 'manual' });
    const done = await fetch(approved.headers.get('location') ?? '', {
      redirect: 'manual',
      headers: { cookie: signin },
    });
    expect(done.status).toBe(302);
    expect(done.headers.get('location')).toBe('/graphql');
    const session = done.headers.getSetCookie().find((c) => c.startsWith('ohgql_session=')) ?? '';
    expect(session).toMatch(/HttpOnly; SameSite=Lax$/); // the explicit development setting: no Secure on http://localhost
    const res = await fetch(`${base}/graphql`, {
      method: 'POST',
      headers: {
        origin: base,
        'content-type': 'application/json',
        cookie: session.split(';')[0] ?? '',
      },
      body: JSON.stringify({ query: '{ viewer { tokenKind member { projectMemberId } } }' }),
    });
    expect(await res.json()).toEqual({
      data: { viewer: { tokenKind: 'MEMBER', member: { projectMemberId: pmi } } },
    });
  }, 90_000);
});
