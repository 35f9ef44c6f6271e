// The deauthorization webhook (docs/upstream.md §2.6): the documented signature, the exact
// json.dumps body, the unsigned double-encoded retry on a non-2xx answer, and the two triggers
// (remove-members and a member leaving).
import { createHmac } from 'node:crypto';
import { afterAll, beforeAll, beforeEach, describe, expect, it } from 'vitest';
import type { Sandbox } from '../../sandbox/index.js';
import {
  configureOAuthApp,
  memberLeaves,
  webhookDeliveries,
} from '../../sandbox/routes/direct-sharing-controls.js';
import { part2 } from '../../sandbox/routes/direct-sharing-state.js';
import { pyIsoformatUtc } from '../../sandbox/uploads/py.js';
import { deauthPayload, signWebhookBody, webhookBody } from '../../sandbox/webhooks.js';
import { startHttpServer, type TestServer } from '../helpers/http-server.js';
import {
  call,
  D,
  memberWhere,
  postForm,
  startSmallSandbox,
  withToken,
} from './direct-sharing-support.js';

const SECRET = 'abcdefghijklmnop';

describe('webhook signature', () => {
  it('reproduces the documented example exactly', () => {
    const body = webhookBody({
      project_member_id: '12345678',
      erasure_requested: true,
      timestamp: '2020-06-30T20:00:00.000000+00:00',
    });
    expect(body).toBe(
      '{"project_member_id": "12345678", "erasure_requested": true, "timestamp": "2020-06-30T20:00:00.000000+00:00"}',
    );
    expect(signWebhookBody(SECRET, body)).toBe('sha1=ebda5c0a38593a4350ad8401b7d8c8f1cd08ec67');
  });

  it("formats timestamps like arrow's isoformat (fraction omitted when zero)", () => {
    expect(pyIsoformatUtc(new Date(Date.UTC(2020, 5, 30, 20, 0, 0, 0)))).toBe(
      '2020-06-30T20:00:00+00:00',
    );
    expect(pyIsoformatUtc(new Date(Date.UTC(2020, 5, 30, 20, 0, 0, 123)))).toBe(
      '2020-06-30T20:00:00.123000+00:00',
    );
    expect(deauthPayload('12345678', null, new Date(0))).toEqual({
      project_member_id: '12345678',
      erasure_requested: false,
      timestamp: '1970-01-01T00:00:00+00:00',
    });
  });
});

describe('webhook deliveries', () => {
  let sb: Sandbox;
  let receiver: TestServer;
  let answer = 200;

  beforeAll(async () => {
    receiver = await startHttpServer((_req, res) => {
      res.writeHead(answer, { 'content-type': 'text/plain' }).end('ok');
    });
    sb = await startSmallSandbox({ webhook: { url: `${receiver.url}/deauth/`, secret: SECRET } });
  });
  afterAll(async () => {
    await sb.close();
    await receiver.close();
  });
  beforeEach(() => {
    answer = 200;
    receiver.requests.length = 0;
    part2(sb.state).webhooks.length = 0;
  });

  it('remove-members revokes the member, kills its token and posts a signed webhook', async () => {
    const { membership, token } = memberWhere(sb, () => true);
    const pmi = membership.projectMemberId;
    const removed = await postForm(sb, D.remove, sb.masterToken, { project_member_ids: pmi });
    expect(removed).toMatchObject({ status: 200, json: 'success' });

    expect(receiver.requests).toHaveLength(1);
    const req = receiver.requests[0];
    const body = req?.body.toString('utf8') ?? '';
    expect(req?.headers['content-type']).toBe('application/json');
    const expected = `sha1=${createHmac('sha1', SECRET).update(body).digest('hex')}`;
    expect(req?.headers['x-openhumans-webhooks-signature']).toBe(expected);
    expect(body).toMatch(
      new RegExp(
        `^\\{"project_member_id": "${pmi}", "erasure_requested": false, "timestamp": "[^"]+"\\}$`,
      ),
    );

    expect(membership).toMatchObject({ revoked: true, joined: false, authorized: false });
    expect((await call(sb, withToken(D.exchange, token))).status).toBe(401);
    // The member is no longer active: a second removal names it as invalid.
    const again = await postForm(sb, D.remove, sb.masterToken, { project_member_ids: pmi });
    expect(again).toMatchObject({
      status: 400,
      json: { errors: { project_member_ids: [`Invalid project member ID(s): ${pmi}`] } },
    });
  });

  it('retries once, unsigned and double-encoded, when the receiver answers non-2xx', async () => {
    answer = 500;
    const { membership } = memberWhere(sb, (m) => !m.revoked);
    const deliveries = await memberLeaves(sb.state, membership.projectMemberId, {
      erasureRequested: true,
    });
    expect(deliveries.map((d) => [d.attempt, d.status])).toEqual([
      ['signed', 500],
      ['fallback', 500],
    ]);
    const [first, second] = receiver.requests;
    const firstBody = first?.body.toString('utf8') ?? '';
    expect(JSON.parse(firstBody)).toMatchObject({
      project_member_id: membership.projectMemberId,
      erasure_requested: true,
    });
    expect(second?.headers['x-openhumans-webhooks-signature']).toBeUndefined();
    // The retry's body is the first body as a JSON string literal.
    expect(JSON.parse(second?.body.toString('utf8') ?? '')).toBe(firstBody);
    expect(webhookDeliveries(sb.state)).toHaveLength(2);
  });

  it('sends no signature header when the project has no secret, and is visible over HTTP', async () => {
    configureOAuthApp(sb.state, { webhookSecret: '' });
    try {
      const { membership, token } = memberWhere(sb, (m) => !m.revoked);
      // A member removing itself with its own token (what django-open-humans' deauth() does).
      const removed = await call(sb, withToken(D.remove, token), { method: 'POST' });
      expect(removed.status).toBe(200);
      expect(receiver.requests[0]?.headers['x-openhumans-webhooks-signature']).toBeUndefined();
      const listed = await call(sb, '/__sandbox/webhooks');
      expect(listed.json).toEqual([
        expect.objectContaining({
          attempt: 'signed',
          status: 200,
          payload: expect.objectContaining({ project_member_id: membership.projectMemberId }),
        }),
      ]);
    } finally {
      configureOAuthApp(sb.state, { webhookSecret: SECRET });
    }
  });

  it('the member-leaves control works over HTTP', async () => {
    const { membership } = memberWhere(sb, (m) => !m.revoked);
    const res = await call(sb, '/__sandbox/members/leave', {
      method: 'POST',
      body: JSON.stringify({ projectMemberId: membership.projectMemberId }),
    });
    expect(res.status).toBe(200);
    expect((res.json as { deliveries: unknown[] }).deliveries).toHaveLength(1);
    expect(membership.revoked).toBe(true);
  });
});
