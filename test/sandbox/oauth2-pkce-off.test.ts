// The sandbox runs with PKCE off, as Open Humans does in production: a code_challenge sent to the
// authorize page binds nothing, and the code is redeemed without (or with any) code_verifier.
// This is why the gateway enforces PKCE itself (see docs/sign-in-security.md).
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { Sandbox } from '../../sandbox/index.js';
import { call, memberWhere, startSmallSandbox } from './direct-sharing-support.js';

describe('OAuth2 with PKCE off (like production)', () => {
  let sb: Sandbox;
  beforeAll(async () => {
    sb = await startSmallSandbox();
  });
  afterAll(() => sb.close());

  async function codeWithChallenge(): Promise<{ code: string; redirect: string }> {
    const redirect = sb.store.project(sb.projectId)?.oauth2?.redirectUrl ?? '';
    const query = new URLSearchParams({
      client_id: sb.clientId,
      response_type: 'code',
      redirect_uri: redirect,
      state: 's',
      code_challenge: 'E9Melhoa2OwvFrEMTJguCHaoeK1t8URWbuGJSstw-cM',
      code_challenge_method: 'S256',
    });
    const { membership } = memberWhere(sb, (m) => !m.revoked);
    const approve = new URLSearchParams({
      ...Object.fromEntries(query),
      project_member_id: membership.projectMemberId,
      allow: 'Authorize',
    });
    const approved = await call(sb, `/direct-sharing/projects/oauth2/authorize/?${query}`, {
      method: 'POST',
      body: approve,
    });
    return {
      code: new URL(approved.headers.get('location') ?? '').searchParams.get('code') ?? '',
      redirect,
    };
  }

  it('redeems a code started with a challenge without any verifier, or with a wrong one', async () => {
    const basic = `Basic ${Buffer.from(`${sb.clientId}:${sb.clientSecret}`).toString('base64')}`;
    for (const verifier of [null, 'not-the-verifier-of-that-challenge-at-all-0000']) {
      const { code, redirect } = await codeWithChallenge();
      const form = new URLSearchParams({
        grant_type: 'authorization_code',
        code,
        redirect_uri: redirect,
        ...(verifier ? { code_verifier: verifier } : {}),
      });
      const res = await call(sb, '/oauth2/token/', {
        method: 'POST',
        body: form,
        headers: { authorization: basic },
      });
      expect(res.status).toBe(200);
    }
  });
});
