// Authentication on project endpoints (docs/upstream.md §1.2), exercised through D1
// `GET /api/direct-sharing/project/` (master or OAuth2 user token).
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { type Sandbox, startSandbox } from '../../sandbox/index.js';
import { get, obj, SMALL } from './sandbox-helpers.js';

let sb: Sandbox;
let clock = Date.UTC(2026, 0, 1);
beforeAll(async () => {
  sb = await startSandbox({ sizes: SMALL, seed: 11, now: () => clock });
});
afterAll(() => sb.close());

const D1 = () => `${sb.url}/api/direct-sharing/project/`;
const bearer = (t: string) => ({ headers: { authorization: `Bearer ${t}` } });
const REALM = 'Bearer realm="api"';
const DOT_INVALID = `${REALM},error="invalid_token",error_description="The access token is invalid."`;

async function expect401(
  url: string,
  init: RequestInit,
  detail: string,
  www: string,
): Promise<void> {
  const r = await get(url, init);
  expect(r.status).toBe(401);
  expect(r.text).toBe(JSON.stringify({ detail }));
  expect(r.headers.get('www-authenticate')).toBe(www);
  expect(r.headers.get('content-type')).toBe('application/json');
}

describe('D1 project info', () => {
  it('answers the own project for its master token (header or query)', async () => {
    for (const init of [bearer(sb.masterToken), {}]) {
      const url = 'headers' in init ? D1() : `${D1()}?access_token=${sb.masterToken}`;
      const r = await get(url, init);
      expect(r.status).toBe(200);
      const body = obj(r);
      expect(body.id).toBe(sb.projectId);
      expect(body.type).toBe('oauth2');
      expect(Object.keys(body)).toHaveLength(22);
    }
  });

  it("answers the token's project for an OAuth2 member token", async () => {
    const token = Object.values(sb.memberTokens)[0] ?? '';
    expect(obj(await get(D1(), bearer(token))).id).toBe(sb.projectId);
    const second = Object.values(sb.secondProject.memberTokens)[0] ?? '';
    expect(obj(await get(`${D1()}?access_token=${second}`)).id).toBe(sb.secondProject.projectId);
  });

  it('serves an unapproved own project too', async () => {
    const body = obj(await get(D1(), bearer(sb.secondProject.masterToken)));
    expect(body.id).toBe(sb.secondProject.projectId);
    expect(body.approved).toBe(false);
  });

  it('has 64-character alphanumeric master tokens, one per project', () => {
    for (const t of [sb.masterToken, sb.secondProject.masterToken, sb.expiredMasterToken])
      expect(t).toMatch(/^[A-Za-z0-9]{64}$/);
    expect(
      new Set([sb.masterToken, sb.secondProject.masterToken, sb.expiredMasterToken]).size,
    ).toBe(3);
  });
});

describe('401 bodies and WWW-Authenticate', () => {
  it('no credentials', async () => {
    await expect401(D1(), {}, 'Authentication credentials were not provided.', REALM);
    await expect401(
      D1(),
      { headers: { authorization: 'Token abc' } },
      'Authentication credentials were not provided.',
      REALM,
    );
  });

  it('unknown token', async () => {
    await expect401(D1(), bearer('not-a-real-token'), 'Invalid token.', DOT_INVALID);
    await expect401(`${D1()}?access_token=not-a-real-token`, {}, 'Invalid token.', DOT_INVALID);
  });

  it('malformed headers', async () => {
    await expect401(
      D1(),
      { headers: { authorization: 'Bearer' } },
      'Invalid token header. No credentials provided.',
      REALM,
    );
    await expect401(
      `${D1()}?access_token=`,
      {},
      'Invalid token header. No credentials provided.',
      REALM,
    );
    await expect401(
      D1(),
      { headers: { authorization: 'Bearer two words' } },
      'Invalid token header. Token string should not contain spaces.',
      DOT_INVALID,
    );
  });

  it('expired master and member tokens', async () => {
    await expect401(D1(), bearer(sb.expiredMasterToken), 'Expired token.', DOT_INVALID);
    await expect401(D1(), bearer(sb.expiredMemberToken), 'Expired token.', REALM);
  });

  it('lets the query access_token override the Authorization header', async () => {
    await expect401(
      `${D1()}?access_token=not-a-real-token`,
      bearer(sb.masterToken),
      'Invalid token.',
      DOT_INVALID,
    );
    const r = await get(`${D1()}?access_token=${sb.masterToken}`, bearer('not-a-real-token'));
    expect(r.status).toBe(200);
  });

  it('authenticates before checking the method', async () => {
    await expect401(
      D1(),
      { method: 'POST' },
      'Authentication credentials were not provided.',
      REALM,
    );
    const r = await get(D1(), { method: 'POST', ...bearer(sb.masterToken) });
    expect(r.status).toBe(405);
    expect(r.json).toEqual({ detail: 'Method "POST" not allowed.' });
  });

  it('ignores tokens on public endpoints, even invalid ones', async () => {
    const r = await get(
      `${sb.url}/api/public/projects/?access_token=not-a-real-token`,
      bearer('also-not-real'),
    );
    expect(r.status).toBe(200);
  });
});

describe('expiry', () => {
  it('expires master tokens 24 h and OAuth2 tokens 10 h after they were issued', async () => {
    const start = clock;
    const member = Object.values(sb.memberTokens)[1] ?? '';
    clock = start + 10 * 3600_000 - 1000;
    expect((await get(D1(), bearer(member))).status).toBe(200);
    clock = start + 10 * 3600_000;
    await expect401(D1(), bearer(member), 'Expired token.', REALM);
    clock = start + 24 * 3600_000 - 1000;
    expect((await get(D1(), bearer(sb.masterToken))).status).toBe(200);
    clock = start + 24 * 3600_000;
    await expect401(D1(), bearer(sb.masterToken), 'Expired token.', DOT_INVALID);
    clock = start;
  });
});
