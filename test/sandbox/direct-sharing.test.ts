// Direct-sharing D2–D9 over HTTP, production quirks included (docs/upstream.md §2.3, §5.5–5.7).
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { Sandbox } from '../../sandbox/index.js';
import { sentMessages } from '../../sandbox/routes/direct-sharing-controls.js';
import { part2 } from '../../sandbox/routes/direct-sharing-state.js';
import {
  call,
  D,
  memberWhere,
  postForm,
  postJson,
  startSmallSandbox,
  withToken,
} from './direct-sharing-support.js';

const META = '{"description": "d", "tags": []}';

describe('direct-sharing API', () => {
  let sb: Sandbox;
  beforeAll(async () => {
    sb = await startSmallSandbox();
  });
  afterAll(() => sb.close());

  describe('D2 members list', () => {
    it('serializes members in production key order with ≤10 files and the master-token link', async () => {
      const res = await call(sb, withToken(`${D.members}?limit=1000`, sb.masterToken));
      expect(res.status).toBe(200);
      const body = res.json as { count: number; results: Array<Record<string, unknown>> };
      expect(body.count).toBe(sb.store.activeMembers(sb.projectId).length);
      const many = body.results.find((m) => (m.file_count as number) > 10);
      expect(many, 'the seed has members with more than 10 files').toBeDefined();
      expect((many?.data as unknown[] | undefined)?.length).toBe(10);
      const hidden = body.results.find((m) => !('username' in m));
      expect(hidden, 'some members do not share their username').toBeDefined();
      const first = body.results[0] ?? {};
      expect(Object.keys(first).filter((k) => k !== 'username')).toEqual([
        'created',
        'project_member_id',
        'file_count',
        'exchange_member',
        'sources_shared',
        'data',
      ]);
      expect(first.exchange_member).toBe(
        `https://www.openhumans.org/api/direct-sharing/project/exchange-member/?project_member_id=${String(first.project_member_id)}&access_token=${sb.masterToken}`,
      );
    });

    it('answers the HTML 500 for a header-only token once a page holds a member', async () => {
      const headers = { authorization: `Bearer ${sb.masterToken}` };
      const res = await call(sb, D.members, { headers });
      expect(res.status).toBe(500);
      expect(res.headers.get('content-type')).toContain('text/html');
      expect((await call(sb, `${D.members}?offset=100000`, { headers })).status).toBe(200);
    });

    it('refuses user tokens (Invalid token.) and missing credentials', async () => {
      const { token } = memberWhere(sb, () => true);
      expect(await call(sb, withToken(D.members, token))).toMatchObject({
        status: 401,
        json: { detail: 'Invalid token.' },
      });
      expect(await call(sb, D.members)).toMatchObject({
        status: 401,
        json: { detail: 'Authentication credentials were not provided.' },
      });
      expect(await call(sb, withToken(D.members, sb.expiredMasterToken))).toMatchObject({
        status: 401,
        json: { detail: 'Expired token.' },
      });
    });
  });

  describe('D3 exchange-member', () => {
    it('returns the token owner with the paginated envelope first', async () => {
      const { membership, token } = memberWhere(
        sb,
        (m) => m.usernameShared && sb.store.memberFilesForProject(m).length > 2,
      );
      const res = await call(sb, withToken(`${D.exchange}?limit=2`, token));
      const body = res.json as Record<string, unknown>;
      expect(Object.keys(body)).toEqual([
        'count',
        'next',
        'previous',
        'created',
        'project_member_id',
        'sources_shared',
        'username',
        'data',
      ]);
      expect(body.project_member_id).toBe(membership.projectMemberId);
      expect((body.data as unknown[]).length).toBe(2);
      expect(body.next).toContain('access_token=');
    });

    it('master token: by project_member_id (revoked members too), 400 unknown, 500 when missing', async () => {
      const revoked = sb.store.membershipsOf(sb.projectId).find((m) => m.revoked);
      expect(revoked, 'the seed has revoked members').toBeDefined();
      const res = await call(
        sb,
        withToken(`${D.exchange}?project_member_id=${revoked?.projectMemberId}`, sb.masterToken),
      );
      expect(res.status).toBe(200);
      expect(
        await call(sb, withToken(`${D.exchange}?project_member_id=00000000`, sb.masterToken)),
      ).toMatchObject({
        status: 400,
        json: { project_member_id: 'project_member_id is invalid' },
      });
      expect((await call(sb, withToken(D.exchange, sb.masterToken))).status).toBe(500);
    });
  });

  describe('D4 message', () => {
    it('forces a user token onto its own member and substitutes the id', async () => {
      const { membership, token } = memberWhere(sb, () => true);
      part2(sb.state).messages.length = 0;
      const res = await postForm(sb, D.message, token, {
        all_members: 'true',
        message: 'id={{ PROJECT_MEMBER_ID }}',
        subject: 'S',
      });
      expect(res).toMatchObject({ status: 200, json: 'success' });
      expect(sentMessages(sb.state)).toEqual([
        expect.objectContaining({
          projectMemberId: membership.projectMemberId,
          body: `id=${membership.projectMemberId}`,
          subject: '[Open Humans Project Message] S',
        }),
      ]);
    });

    it('all_members with the master token reaches every active member', async () => {
      part2(sb.state).messages.length = 0;
      expect(
        (await postJson(sb, D.message, sb.masterToken, { all_members: true, message: 'hello' }))
          .status,
      ).toBe(200);
      expect(sentMessages(sb.state)).toHaveLength(sb.store.activeMembers(sb.projectId).length);
      const viaHttp = await call(sb, '/__sandbox/messages');
      expect((viaHttp.json as unknown[]).length).toBe(sentMessages(sb.state).length);
    });

    it('400s with the form errors wrapped in "errors"', async () => {
      expect(
        await postForm(sb, D.message, sb.masterToken, { project_member_ids: '12' }),
      ).toMatchObject({
        status: 400,
        json: {
          errors: {
            project_member_ids: ['Project member IDs are always 8 digits long.'],
            message: ['This field is required.'],
          },
        },
      });
    });
  });

  describe('D6–D9 form rules', () => {
    it('D6: field errors in form order; master token needs project_member_id', async () => {
      const form = new FormData();
      form.set('metadata', '{"tags": []}');
      form.set('datatypes', '[99999]');
      const res = await call(sb, withToken(D.upload, sb.masterToken), {
        method: 'POST',
        body: form,
      });
      expect(res).toMatchObject({ status: 400 });
      expect(res.json).toEqual({
        project_member_id: ['This field is required.'],
        metadata: ['"description" is a required field of the metadata'],
        datatypes: ["The following datatypes don't match items in our database: [99999]"],
        data_file: ['This field is required.'],
      });
      expect(Object.keys(res.json as object)).toEqual([
        'project_member_id',
        'metadata',
        'datatypes',
        'data_file',
      ]);
    });

    it('D7: unknown or revoked member → project_member_id is invalid (a string, not a list)', async () => {
      const revoked = sb.store.membershipsOf(sb.projectId).find((m) => m.revoked);
      for (const pmi of ['1234', revoked?.projectMemberId ?? '']) {
        expect(
          await postForm(sb, D.direct, sb.masterToken, {
            project_member_id: pmi,
            filename: 'f',
            metadata: META,
          }),
        ).toMatchObject({
          status: 400,
          json: { project_member_id: 'project_member_id is invalid' },
        });
      }
    });

    it('D8: missing id 400, non-integer 400, unknown id 500, and any file id is completed (no ownership check)', async () => {
      const { membership } = memberWhere(sb, () => true);
      const pmi = membership.projectMemberId;
      expect(
        await postForm(sb, D.complete, sb.masterToken, { project_member_id: pmi }),
      ).toMatchObject({ status: 400, json: { detail: 'file does not exist' } });
      expect(
        await postForm(sb, D.complete, sb.masterToken, { project_member_id: pmi, file_id: 'x' }),
      ).toMatchObject({ status: 400, json: { file_id: ['Enter a whole number.'] } });
      expect(
        (
          await postForm(sb, D.complete, sb.masterToken, {
            project_member_id: pmi,
            file_id: '999999999',
          })
        ).status,
      ).toBe(500);
      const foreign = sb.store
        .filesOfUserAll(memberWhere(sb, (m) => m.userId !== membership.userId).membership.userId)
        .find((f) => f.completed);
      const res = await postForm(sb, D.complete, sb.masterToken, {
        project_member_id: pmi,
        file_id: String(foreign?.id),
      });
      expect(res).toMatchObject({ status: 200, json: { status: 'ok', size: foreign?.size } });
    });

    it('D9: exactly one selector; foreign ids delete nothing; basename deletes every match', async () => {
      const { membership, token } = memberWhere(
        sb,
        (m) =>
          sb.store.memberFilesForProject(m).filter((f) => f.projectId === sb.projectId).length >= 2,
      );
      expect(await postForm(sb, D.delete, token, {})).toMatchObject({
        status: 400,
        json: { missing_field: 'one of file_id, file_basename, or all_files is required' },
      });
      expect(
        await postForm(sb, D.delete, token, { file_id: '1', all_files: 'true' }),
      ).toMatchObject({
        status: 400,
        json: { too_many: 'one of file_id, file_basename, or all_files is required' },
      });
      expect(await postForm(sb, D.delete, token, { file_id: 'one' })).toMatchObject({
        status: 400,
        json: { file_id: ['Enter a whole number.'] },
      });
      const foreign = sb.store.filesOfUserAll(
        memberWhere(sb, (m) => m.userId !== membership.userId).membership.userId,
      )[0];
      expect(await postForm(sb, D.delete, token, { file_id: String(foreign?.id) })).toMatchObject({
        status: 200,
        json: { ids: [] },
      });
      const own = sb.store
        .filesOfUserAll(membership.userId)
        .filter((f) => f.projectId === sb.projectId && f.completed);
      const all = await postForm(sb, D.delete, token, { all_files: 'True' });
      expect(all).toMatchObject({ status: 200, json: { ids: own.map((f) => f.id) } });
    });

    it('DRF body handling: 415 for unknown media types, 400 for malformed JSON, 401 before 405', async () => {
      const plain = await call(sb, withToken(D.delete, sb.masterToken), {
        method: 'POST',
        body: 'x',
        headers: { 'content-type': 'text/plain' },
      });
      expect(plain).toMatchObject({
        status: 415,
        json: { detail: 'Unsupported media type "text/plain" in request.' },
      });
      const broken = await call(sb, withToken(D.delete, sb.masterToken), {
        method: 'POST',
        body: '{',
        headers: { 'content-type': 'application/json' },
      });
      expect(broken.status).toBe(400);
      expect((broken.json as { detail: string }).detail).toMatch(/^JSON parse error - /);
      expect((await call(sb, D.delete)).status).toBe(401);
      expect((await call(sb, withToken(D.delete, sb.masterToken))).status).toBe(405);
    });
  });

  it('a data reset also forgets recorded messages (runs last: it regenerates the data)', async () => {
    await postJson(sb, D.message, sb.masterToken, { all_members: true, message: 'before reset' });
    expect(sentMessages(sb.state).length).toBeGreaterThan(0);
    expect(
      (await call(sb, '/__sandbox/reset', { method: 'POST', body: JSON.stringify({ data: true }) }))
        .status,
    ).toBe(200);
    expect(sentMessages(sb.state)).toEqual([]);
  });
});
