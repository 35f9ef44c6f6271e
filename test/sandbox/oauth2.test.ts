// OAuth2 on the sandbox (docs/upstream.md §2.5): the authorize page a person uses to pick a
// member, code exchange with HTTP Basic or body client auth, refresh rotation (old access token
// dies, old refresh token is invalid_grant 400), invalid_client 401.
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { Sandbox } from '../../sandbox/index.js';
import { mintAuthorizationCode } from '../../sandbox/routes/direct-sharing-controls.js';
import { call, D, memberWhere, startSmallSandbox, withToken } from './direct-sharing-support.js';

interface TokenBody {
  access_token: string;
  refresh_token: string;
  expires_in: number;
  token_type: string;
  scope: string;
}

describe('OAuth2', () => {
  let sb: Sandbox;
  let basic: string;
  beforeAll(async () => {
    sb = await startSmallSandbox();
    basic = `Basic ${Buffer.from(`${sb.clientId}:${sb.clientSecret}`).toString('base64')}`;
  });
  afterAll(() => sb.close());

  const token = (fields: Record<string, string>, authorization?: string) =>
    call(sb, '/oauth2/token/', {
      method: 'POST',
      body: new URLSearchParams(fields),
      headers: authorization ? { authorization } : {},
    });

  it('authorize page → redirect with code, state and origin → token → exchange-member', async () => {
    const redirect = sb.store.project(sb.projectId)?.oauth2?.redirectUrl ?? '';
    const query = new URLSearchParams({
      client_id: sb.clientId,
      response_type: 'code',
      redirect_uri: redirect,
      state: 'xyz',
    });
    const pagePath = `/direct-sharing/projects/oauth2/authorize/?${query}`;
    const page = await call(sb, pagePath);
    expect(page.status).toBe(200);
    expect(page.text).toContain('<select name="project_member_id">');

    const { membership } = memberWhere(sb, (m) => !m.revoked);
    const approve = new URLSearchParams({
      ...Object.fromEntries(query),
      project_member_id: membership.projectMemberId,
      allow: 'Authorize',
    });
    const approved = await call(sb, pagePath, { method: 'POST', body: approve });
    expect(approved.status).toBe(302);
    const location = new URL(approved.headers.get('location') ?? '');
    expect(`${location.origin}${location.pathname}`).toBe(redirect);
    expect(location.searchParams.get('state')).toBe('xyz');
    expect(location.searchParams.get('origin')).toBe('external');
    const code = location.searchParams.get('code') ?? '';
    expect(code).toMatch(/^[A-Za-z0-9]{30}$/);

    const exchanged = await token(
      { grant_type: 'authorization_code', code, redirect_uri: redirect },
      basic,
    );
    expect(exchanged.status).toBe(200);
    expect(exchanged.headers.get('cache-control')).toBe('no-store');
    const body = exchanged.json as TokenBody;
    expect(body).toMatchObject({ expires_in: 36000, token_type: 'Bearer' });
    expect(body.scope.split(' ').sort()).toEqual([
      'american-gut',
      'go-viral',
      'open-humans',
      'pgp',
      'read',
      'wildlife',
      'write',
    ]);
    const me = await call(sb, withToken(D.exchange, body.access_token));
    expect((me.json as { project_member_id: string }).project_member_id).toBe(
      membership.projectMemberId,
    );

    // Codes are single use.
    const reused = await token(
      { grant_type: 'authorization_code', code, redirect_uri: redirect },
      basic,
    );
    expect(reused).toMatchObject({ status: 400, json: { error: 'invalid_grant' } });
  });

  it('a member who left re-joins by authorizing again (test hook mints the code)', async () => {
    const { membership } = memberWhere(sb, (m) => !m.revoked);
    membership.revoked = true;
    membership.joined = false;
    const res = await call(sb, '/__sandbox/oauth2/code', {
      method: 'POST',
      body: JSON.stringify({ projectMemberId: membership.projectMemberId }),
    });
    const { code, redirectUri } = res.json as { code: string; redirectUri: string };
    expect(membership).toMatchObject({ revoked: false, joined: true, authorized: true });
    // Client credentials in the body work too.
    const exchanged = await token({
      grant_type: 'authorization_code',
      code,
      redirect_uri: redirectUri,
      client_id: sb.clientId,
      client_secret: sb.clientSecret,
    });
    expect(exchanged.status).toBe(200);
  });

  it('refresh rotates: new pair, the old access token dies, the old refresh token is invalid_grant (400)', async () => {
    const { membership } = memberWhere(sb, (m) => !m.revoked);
    const { code, redirectUri } = mintAuthorizationCode(sb.state, membership.projectMemberId);
    const first = (
      await token({ grant_type: 'authorization_code', code, redirect_uri: redirectUri }, basic)
    ).json as TokenBody;
    const refreshed = await token(
      { grant_type: 'refresh_token', refresh_token: first.refresh_token },
      basic,
    );
    expect(refreshed.status).toBe(200);
    const second = refreshed.json as TokenBody;
    expect(second.access_token).not.toBe(first.access_token);
    expect(second.refresh_token).not.toBe(first.refresh_token);
    expect((await call(sb, withToken(D.exchange, first.access_token))).status).toBe(401);
    expect((await call(sb, withToken(D.exchange, second.access_token))).status).toBe(200);
    const replay = await token(
      { grant_type: 'refresh_token', refresh_token: first.refresh_token },
      basic,
    );
    expect(replay).toMatchObject({ status: 400, json: { error: 'invalid_grant' } });
  });

  it('rejects bad clients (401) and bad requests (400) with oauthlib bodies', async () => {
    const wrongSecret = `Basic ${Buffer.from(`${sb.clientId}:nope`).toString('base64')}`;
    expect(await token({ grant_type: 'authorization_code', code: 'x' }, wrongSecret)).toMatchObject(
      { status: 401, json: { error: 'invalid_client' } },
    );
    expect(await token({ grant_type: 'refresh_token', refresh_token: 'x' })).toMatchObject({
      status: 401,
      json: { error: 'invalid_client' },
    });
    expect(await token({ grant_type: 'password' }, basic)).toMatchObject({
      status: 400,
      json: { error: 'unsupported_grant_type' },
    });
    expect(await token({ grant_type: 'authorization_code' }, basic)).toMatchObject({
      status: 400,
      json: { error: 'invalid_request', error_description: 'Missing code parameter.' },
    });
    const { membership } = memberWhere(sb, (m) => !m.revoked);
    const { code } = mintAuthorizationCode(sb.state, membership.projectMemberId);
    expect(
      await token(
        { grant_type: 'authorization_code', code, redirect_uri: 'http://elsewhere/' },
        basic,
      ),
    ).toMatchObject({
      status: 400,
      json: { error: 'invalid_request', error_description: 'Mismatching redirect URI.' },
    });
    expect((await call(sb, '/oauth2/token/')).status).toBe(405);
  });

  it('authorize page: unknown client 404, wrong redirect 400, deny redirects with access_denied', async () => {
    expect(
      (
        await call(
          sb,
          '/direct-sharing/projects/oauth2/authorize/?client_id=nope&response_type=code',
        )
      ).status,
    ).toBe(404);
    const bad = await call(
      sb,
      `/direct-sharing/projects/oauth2/authorize/?client_id=${sb.clientId}&response_type=code&redirect_uri=http://evil/`,
    );
    expect(bad.status).toBe(400);
    const denied = await call(sb, '/oauth2/authorize/', {
      method: 'POST',
      body: new URLSearchParams({ client_id: sb.clientId, response_type: 'code', state: 's' }),
    });
    expect(denied.status).toBe(302);
    expect(denied.headers.get('location')).toMatch(/\?error=access_denied&state=s$/);
  });
});
