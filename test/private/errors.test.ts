import { describe, expect, it } from 'vitest';
import { startStack } from '../helpers/stack.js';
import {
  countCalls,
  errorOf,
  FAKE_MASTER_TOKEN,
  FAKE_MEMBER_TOKEN,
  memberId,
  memberWithToken,
  privateSuite,
} from './support.js';

const suite = privateSuite({}, [FAKE_MASTER_TOKEN, FAKE_MEMBER_TOKEN]);
const { transcript } = suite;

const run = async (
  query: string,
  options: { token?: string; headers?: Record<string, string> } = {},
) => transcript.record(await suite.stack.execute<Record<string, unknown>>(query, {}, options));

const memberToken = (): [string, string] => memberWithToken(suite.stack.sandbox);

describe('token errors', () => {
  it('answers TOKEN_MISSING only on the fields that need a token', async () => {
    const res = await run('{ viewer { tokenKind } projects(first: 1) { totalCount } }');
    expect(res.data?.viewer).toBeNull();
    expect((res.data?.projects as { totalCount: number } | undefined)?.totalCount).toBeGreaterThan(
      0,
    );
    expect(errorOf(res)).toMatchObject({
      path: ['viewer'],
      extensions: { code: 'UNAUTHENTICATED', reason: 'TOKEN_MISSING' },
    });

    // `members` is non-null (MemberConnection!), so its error nulls the project, as GraphQL says.
    const nested = await run(
      `{ project(databaseId: ${suite.stack.sandbox.projectId}) { name members(first: 1) { totalCount } } }`,
    );
    expect(nested.data).toEqual({ project: null });
    expect(errorOf(nested)).toMatchObject({
      path: ['project', 'members'],
      extensions: { code: 'UNAUTHENTICATED', reason: 'TOKEN_MISSING' },
    });
  });

  it('answers TOKEN_INVALID for a header that holds no usable bearer token, without calling upstream', async () => {
    for (const authorization of ['Basic dXNlcjpwYXNz', 'Bearer two words']) {
      const calls = await countCalls(suite.stack.sandbox, async () => {
        const res = await run('{ viewer { tokenKind } }', { headers: { authorization } });
        expect(errorOf(res).extensions).toMatchObject({
          code: 'UNAUTHENTICATED',
          reason: 'TOKEN_INVALID',
        });
      });
      expect(calls).toEqual({});
    }
  });

  it('answers mutations the same TOKEN_INVALID as reads for an unusable header, without calling upstream', async () => {
    // Reads and writes share the token-bound client's one token check: before, a `Basic` header
    // was TOKEN_INVALID on `viewer` but TOKEN_MISSING on every mutation.
    const mutations = [
      'mutation { deleteDataFiles(input: { projectMemberId: "12345678", all: true }) { __typename } }',
      'mutation { sendMessage(input: { message: "hi", projectMemberIds: ["12345678"] }) { __typename } }',
      'mutation { removeMembers(input: { projectMemberIds: ["12345678"] }) { __typename } }',
      'mutation { createDataFileUpload(input: { projectMemberId: "12345678", filename: "a.txt", metadata: { description: "", tags: [] } }) { __typename } }',
      'mutation { completeDataFileUpload(input: { handle: "x" }) { __typename } }',
    ];
    for (const authorization of ['Basic dXNlcjpwYXNz', 'Bearer two words']) {
      for (const mutation of mutations) {
        const calls = await countCalls(suite.stack.sandbox, async () => {
          const res = await run(mutation, { headers: { authorization } });
          expect(errorOf(res).extensions, mutation).toMatchObject({
            code: 'UNAUTHENTICATED',
            reason: 'TOKEN_INVALID',
          });
        });
        expect(calls, mutation).toEqual({});
      }
    }
  });

  it('answers TOKEN_INVALID for unknown tokens of either shape, once a field reaches Open Humans', async () => {
    for (const token of [FAKE_MASTER_TOKEN, FAKE_MEMBER_TOKEN]) {
      const res = await run('{ viewer { project { name } } }', { token });
      expect(res.data?.viewer).toBeNull();
      expect(errorOf(res).extensions).toMatchObject({
        code: 'UNAUTHENTICATED',
        reason: 'TOKEN_INVALID',
      });
    }
    const members = await run('{ viewer { project { members(first: 1) { totalCount } } } }', {
      token: FAKE_MASTER_TOKEN,
    });
    expect(errorOf(members).extensions).toMatchObject({
      code: 'UNAUTHENTICATED',
      reason: 'TOKEN_INVALID',
    });
  });

  it('answers TOKEN_EXPIRED for expired master and member tokens', async () => {
    const { expiredMasterToken, expiredMemberToken } = suite.stack.sandbox;
    const cases: [string, string][] = [
      [expiredMasterToken, '{ viewer { project { name } } }'],
      [expiredMasterToken, '{ viewer { project { members(first: 1) { totalCount } } } }'],
      [expiredMemberToken, '{ viewer { member { projectMemberId } } }'],
      [expiredMemberToken, '{ viewer { project { name } } }'],
    ];
    for (const [token, query] of cases) {
      const res = await run(query, { token });
      expect(errorOf(res).extensions, query).toMatchObject({
        code: 'UNAUTHENTICATED',
        reason: 'TOKEN_EXPIRED',
      });
    }
  });
});

describe('master-only fields', () => {
  it('refuses a member token with FORBIDDEN saying a master token is needed, at no upstream cost', async () => {
    const [, token] = memberToken();
    for (const field of [
      'members(first: 5) { totalCount }',
      'member(projectMemberId: "12345678") { fileCount }',
    ]) {
      const calls = await countCalls(suite.stack.sandbox, async () => {
        const res = await run(`{ viewer { project { ${field} } } }`, { token });
        const error = errorOf(res);
        expect(error.extensions?.code).toBe('FORBIDDEN');
        expect(error.message).toMatch(/master token/);
      });
      expect(calls).toEqual({});
    }
  });

  it("refuses another project's master token on a project's members", async () => {
    const { sandbox } = suite.stack;
    const query = `{ project(databaseId: ${sandbox.projectId}) {
      members(first: 1) { totalCount }
      member(projectMemberId: "${memberToken()[0]}") { fileCount } } }`;
    const res = await run(query, { token: sandbox.secondProject.masterToken });
    expect(res.errors?.map((e) => [e.path?.join('.'), e.extensions?.code]).sort()).toEqual([
      ['project.member', 'FORBIDDEN'],
      ['project.members', 'FORBIDDEN'],
    ]);
    expect(
      res.errors?.every((e) => e.message.includes(`master token of project ${sandbox.projectId}`)),
    ).toBe(true);
  });

  it('accepts the own master token on the public Project, proving ownership with one D1 call', async () => {
    const { sandbox } = suite.stack;
    const fresh = await startStack({ sandbox });
    try {
      const calls = await countCalls(sandbox, async () => {
        type Data = { project: { members: { totalCount: number } } };
        const query = `{ project(databaseId: ${sandbox.projectId}) { members(first: 1) { totalCount } } }`;
        const res = transcript.record(
          await fresh.execute<Data>(query, {}, { token: sandbox.masterToken }),
        );
        expect(res.errors, res.text).toBeUndefined();
        expect(res.data?.project.members.totalCount).toBe(
          sandbox.store.activeMembers(sandbox.projectId).length,
        );
      });
      expect(calls).toMatchObject({ D1: 1, D2: 1 });
    } finally {
      transcript.expectNoTokens(fresh);
      await fresh.close();
    }
  });
});

describe('unknown and revoked members', () => {
  it('answers NOT_FOUND for a projectMemberId outside the project (upstream 400)', async () => {
    const { sandbox } = suite.stack;
    const [otherProjectMember] = Object.keys(sandbox.secondProject.memberTokens);
    for (const pmid of ['00000000', otherProjectMember ?? '', 'not-an-id', '../../project/']) {
      const res = await run(
        `{ viewer { project { member(projectMemberId: "${pmid}") { projectMemberId } } } }`,
        {
          token: sandbox.masterToken,
        },
      );
      expect(errorOf(res)).toMatchObject({
        path: ['viewer', 'project', 'member'],
        extensions: { code: 'NOT_FOUND' },
      });
    }
  });

  it('shows a member who revoked access with the master token, as upstream does', async () => {
    const { sandbox } = suite.stack;
    const revoked = sandbox.store.membershipsOf(sandbox.projectId).find((m) => m.revoked);
    expect(revoked).toBeDefined();
    const pmid = revoked?.projectMemberId ?? '';
    const query = `{ viewer { project { member(projectMemberId: "${pmid}") { projectMemberId } } } }`;
    const res = await run(query, { token: sandbox.masterToken });
    expect(res.errors).toBeUndefined();
    expect(res.data).toEqual({ viewer: { project: { member: { projectMemberId: pmid } } } });
  });
});

describe('node(id) for members', () => {
  const nodeQuery = (pmid: string) =>
    `{ node(id: "${memberId(pmid)}") { __typename ... on Member { projectMemberId } } }`;

  it('resolves a member for its project master token and for its own token only', async () => {
    const { sandbox } = suite.stack;
    const [pmid, ownToken] = memberToken();
    const [, otherToken] = Object.entries(sandbox.memberTokens)[1] ?? [];
    const [, otherProjectToken] = Object.entries(sandbox.secondProject.memberTokens)[0] ?? [];
    const visible = { node: { __typename: 'Member', projectMemberId: pmid } };
    const cases: [string | undefined, unknown][] = [
      [sandbox.masterToken, visible],
      [ownToken, visible],
      [sandbox.secondProject.masterToken, { node: null }],
      [otherToken, { node: null }],
      [otherProjectToken, { node: null }],
      [undefined, { node: null }],
    ];
    for (const [token, expected] of cases) {
      const res = await run(nodeQuery(pmid), token ? { token } : {});
      expect(res.errors, res.text).toBeUndefined();
      expect(res.data).toEqual(expected);
    }
  });

  it('answers null for an unknown member id, and still reports a bad token', async () => {
    const unknown = await run(nodeQuery('00000000'), { token: suite.stack.sandbox.masterToken });
    expect(unknown.data).toEqual({ node: null });
    const expired = await run(nodeQuery(memberToken()[0]), {
      token: suite.stack.sandbox.expiredMasterToken,
    });
    expect(errorOf(expired).extensions).toMatchObject({
      code: 'UNAUTHENTICATED',
      reason: 'TOKEN_EXPIRED',
    });
  });
});
