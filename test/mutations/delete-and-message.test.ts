/**
 * `deleteDataFiles` (by id, by basename, all; exactly one selector), `sendMessage` (JSON: every
 * recipient reaches the upstream) and `removeMembers`, against the sandbox.
 */
import { encodeGlobalID } from '@pothos/plugin-relay';
import { request } from 'undici';
import { afterAll, beforeAll, beforeEach, describe, expect, it } from 'vitest';
import { someBytes } from './upload-client.js';
import type { UploadStack } from './upload-stack.js';
import { listFiles, someMember, startUploadStack, upload, uploadResult } from './upload-stack.js';

const DELETE = /* GraphQL */ `
  mutation($input: DeleteDataFilesInput!) {
    deleteDataFiles(input: $input) {
      __typename
      ... on DeleteDataFilesPayload { deletedFileIds deletedDatabaseIds }
      ... on InvalidInputError { field message }
    }
  }
`;
const MESSAGE = /* GraphQL */ `
  mutation($input: SendMessageInput!) {
    sendMessage(input: $input) {
      __typename
      ... on SendMessagePayload { projectMemberIds allMembers }
      ... on InvalidInputError { field message }
    }
  }
`;
const REMOVE = /* GraphQL */ `
  mutation($input: RemoveMembersInput!) {
    removeMembers(input: $input) {
      __typename
      ... on RemoveMembersPayload { removedProjectMemberIds }
      ... on InvalidInputError { field message }
    }
  }
`;

type Result = Record<string, unknown> & { __typename: string };

let stack: UploadStack;
beforeAll(async () => {
  stack = await startUploadStack();
});
afterAll(async () => {
  await stack?.close();
});
beforeEach(() => {
  stack.sandbox.resetCalls();
});

async function run(
  query: string,
  input: Record<string, unknown>,
  token: string | undefined,
): Promise<{ result?: Result; code?: unknown }> {
  const res = await stack.execute<Record<string, Result>>(
    query,
    { input },
    token === undefined ? {} : { token },
  );
  const result = res.data ? Object.values(res.data)[0] : undefined;
  return { result, code: res.errors?.[0]?.extensions?.code };
}

async function put(
  token: string,
  projectMemberId: string | undefined,
  filename: string,
): Promise<number> {
  const r = uploadResult(
    await upload(stack, { token, projectMemberId, file: someBytes(100), filename }),
  );
  return r.databaseId ?? 0;
}

describe('deleteDataFiles', () => {
  it('deletes by id (global or database id), by basename, then all — each reflected in the listing at once', async () => {
    const master = stack.sandbox.masterToken;
    const { projectMemberId } = someMember(stack, 10);
    const one = await put(master, projectMemberId, 'one.txt');
    const two = await put(master, projectMemberId, 'two.txt');
    const dupA = await put(master, projectMemberId, 'dup.txt');
    const dupB = await put(master, projectMemberId, 'dup.txt');
    const rest = await put(master, projectMemberId, 'rest.txt');
    const ids = async (): Promise<number[]> =>
      (await listFiles(stack, master, projectMemberId)).map((f) => f.databaseId);
    expect(await ids()).toEqual(expect.arrayContaining([one, two, dupA, dupB, rest]));

    const byId = await run(DELETE, { projectMemberId, fileId: String(one) }, master);
    expect(byId.result).toEqual({
      __typename: 'DeleteDataFilesPayload',
      deletedDatabaseIds: [one],
      deletedFileIds: [encodeGlobalID('DataFile', one)],
    });
    expect(await ids()).not.toContain(one);

    const byGlobalId = await run(
      DELETE,
      { projectMemberId, fileId: encodeGlobalID('DataFile', two) },
      master,
    );
    expect(byGlobalId.result?.deletedDatabaseIds).toEqual([two]);

    const byName = await run(DELETE, { projectMemberId, basename: 'dup.txt' }, master);
    expect([...((byName.result?.deletedDatabaseIds as number[] | undefined) ?? [])].sort()).toEqual(
      [dupA, dupB].sort(),
    );
    const left = await ids();
    expect(left).not.toContain(dupA);
    expect(left).toContain(rest);

    const all = await run(DELETE, { projectMemberId, all: true }, master);
    expect(all.result?.deletedDatabaseIds).toContain(rest);
    expect(await ids()).not.toContain(rest);
    expect(stack.sandbox.calls().D9).toBe(4);
  });

  it('a member token deletes its own file; an unknown or foreign id deletes nothing', async () => {
    const me = someMember(stack, 11);
    const mine = await put(me.token, undefined, 'mine.txt');
    const other = someMember(stack, 12);
    const theirs = await put(stack.sandbox.masterToken, other.projectMemberId, 'theirs.txt');
    const foreign = await run(DELETE, { fileId: String(theirs) }, me.token);
    expect(foreign.result?.deletedDatabaseIds).toEqual([]);
    expect(
      (await listFiles(stack, stack.sandbox.masterToken, other.projectMemberId)).map(
        (f) => f.databaseId,
      ),
    ).toContain(theirs);
    const own = await run(DELETE, { fileId: String(mine) }, me.token);
    expect(own.result?.deletedDatabaseIds).toEqual([mine]);
    const naming = await run(
      DELETE,
      { projectMemberId: other.projectMemberId, all: true },
      me.token,
    );
    expect(naming.code).toBe('FORBIDDEN');
  });

  const refusals: Array<{
    name: string;
    input: Record<string, unknown>;
    field: string;
    message: RegExp;
  }> = [
    {
      name: 'no selector',
      input: {},
      field: 'input',
      message: /one of fileId, basename, or all is required/,
    },
    {
      name: 'two selectors',
      input: { fileId: '1', basename: 'x' },
      field: 'input',
      message: /only one of/,
    },
    { name: 'all: false', input: { all: false }, field: 'input.all', message: /must be true/ },
    {
      name: 'an empty basename',
      input: { basename: ' ' },
      field: 'input.basename',
      message: /must not be empty/,
    },
    {
      name: 'a malformed file id',
      input: { fileId: 'DataFile' },
      field: 'input.fileId',
      message: /Expected a DataFile id/,
    },
    {
      name: 'a global id of another type',
      input: { fileId: encodeGlobalID('Project', 3) },
      field: 'input.fileId',
      message: /Expected a DataFile id/,
    },
    {
      name: 'no member with a master token',
      input: { all: true, projectMemberId: null },
      field: 'input.projectMemberId',
      message: /required with a master token/,
    },
  ];
  for (const r of refusals) {
    it(`refuses ${r.name} without calling the upstream`, async () => {
      const input = { projectMemberId: someMember(stack, 10).projectMemberId, ...r.input };
      const { result } = await run(DELETE, input, stack.sandbox.masterToken);
      expect(result).toMatchObject({ __typename: 'InvalidInputError', field: r.field });
      expect(String(result?.message)).toMatch(r.message);
      expect(stack.sandbox.calls().D9).toBeUndefined();
    });
  }
});

describe('sendMessage', () => {
  const sent = async (): Promise<
    Array<{ projectMemberId: string; subject: string; body: string }>
  > => {
    const res = await request(`${stack.sandbox.url}/__sandbox/messages`);
    return (await res.body.json()) as Array<{
      projectMemberId: string;
      subject: string;
      body: string;
    }>;
  };
  beforeEach(async () => {
    await (
      await request(`${stack.sandbox.url}/__sandbox/messages`, { method: 'DELETE' })
    ).body.dump();
  });

  it('reaches every listed member (JSON body: form encoding would keep only the last id)', async () => {
    const ids = [
      someMember(stack, 13).projectMemberId,
      someMember(stack, 14).projectMemberId,
      someMember(stack, 15).projectMemberId,
    ];
    const { result } = await run(
      MESSAGE,
      { subject: 'Hi', message: 'Hello {{ PROJECT_MEMBER_ID }}', projectMemberIds: ids },
      stack.sandbox.masterToken,
    );
    expect(result).toEqual({
      __typename: 'SendMessagePayload',
      projectMemberIds: ids,
      allMembers: false,
    });
    const messages = await sent();
    expect(messages.map((m) => m.projectMemberId).sort()).toEqual([...ids].sort());
    expect(messages[0]?.subject).toBe('[Open Humans Project Message] Hi');
    const first = messages.find((m) => m.projectMemberId === ids[0]);
    expect(first?.body).toBe(`Hello ${ids[0]}`);
  });

  it('allMembers with a master token', async () => {
    const { result } = await run(
      MESSAGE,
      { message: 'all', allMembers: true },
      stack.sandbox.masterToken,
    );
    expect(result).toMatchObject({ allMembers: true, projectMemberIds: null });
    expect((await sent()).length).toBeGreaterThan(3);
  });

  it('a member token messages only itself', async () => {
    const me = someMember(stack, 13);
    const own = await run(
      MESSAGE,
      { message: 'me', projectMemberIds: [me.projectMemberId] },
      me.token,
    );
    expect(own.result?.__typename).toBe('SendMessagePayload');
    expect((await sent()).map((m) => m.projectMemberId)).toEqual([me.projectMemberId]);
    expect((await run(MESSAGE, { message: 'all', allMembers: true }, me.token)).code).toBe(
      'FORBIDDEN',
    );
    expect(
      (
        await run(
          MESSAGE,
          { message: 'x', projectMemberIds: [someMember(stack, 14).projectMemberId] },
          me.token,
        )
      ).code,
    ).toBe('FORBIDDEN');
  });

  const refusals: Array<{
    name: string;
    input: Record<string, unknown>;
    field: string;
    message: string;
  }> = [
    {
      name: 'neither ids nor all',
      input: { message: 'x' },
      field: 'input',
      message: 'You must specify either all members or provide a list of IDs.',
    },
    {
      name: 'both ids and all',
      input: { message: 'x', allMembers: true, projectMemberIds: ['12345678'] },
      field: 'input',
      message: 'You must specify either all members or provide a list of IDs, but not both.',
    },
    {
      name: 'a malformed id',
      input: { message: 'x', projectMemberIds: ['abcdef1'] },
      field: 'input.projectMemberIds',
      message: 'Project member IDs are always 8 digits long.',
    },
    {
      name: 'an empty message',
      input: { message: '  ', allMembers: true },
      field: 'input.message',
      message: 'This field is required.',
    },
  ];
  for (const r of refusals) {
    it(`refuses ${r.name} without calling the upstream`, async () => {
      const { result } = await run(MESSAGE, r.input, stack.sandbox.masterToken);
      expect(result).toEqual({
        __typename: 'InvalidInputError',
        field: r.field,
        message: r.message,
      });
      expect(stack.sandbox.calls().D4).toBeUndefined();
    });
  }

  it("an id that is not an active member gets the upstream's wording", async () => {
    const { result } = await run(
      MESSAGE,
      { message: 'x', projectMemberIds: ['99999999'] },
      stack.sandbox.masterToken,
    );
    expect(result).toMatchObject({
      __typename: 'InvalidInputError',
      field: 'input.projectMemberIds',
    });
    expect(String(result?.message)).toMatch(/Invalid project member ID\(s\)/);
  });
});

describe('removeMembers', () => {
  it('removes several members at once (all ids reach the upstream): both are revoked', async () => {
    const ids = [someMember(stack, 20).projectMemberId, someMember(stack, 21).projectMemberId];
    const active = (id: string): boolean => {
      const m = stack.sandbox.store.membershipByProjectMemberId(id);
      return Boolean(m && stack.sandbox.store.isActive(m));
    };
    expect(ids.map(active)).toEqual([true, true]);
    const { result } = await run(REMOVE, { projectMemberIds: ids }, stack.sandbox.masterToken);
    expect(result).toEqual({ __typename: 'RemoveMembersPayload', removedProjectMemberIds: ids });
    expect(ids.map(active)).toEqual([false, false]);
    expect(stack.sandbox.calls().D5).toBe(1);
  });

  it('a member token removes only itself', async () => {
    const me = someMember(stack, 22);
    expect(
      (await run(REMOVE, { projectMemberIds: [someMember(stack, 23).projectMemberId] }, me.token))
        .code,
    ).toBe('FORBIDDEN');
    expect(stack.sandbox.calls().D5).toBeUndefined();
    const { result } = await run(REMOVE, { projectMemberIds: [me.projectMemberId] }, me.token);
    expect(result?.__typename).toBe('RemoveMembersPayload');
  });

  it('refuses an empty list and malformed ids without calling the upstream', async () => {
    expect((await run(REMOVE, { projectMemberIds: [] }, stack.sandbox.masterToken)).result).toEqual(
      {
        __typename: 'InvalidInputError',
        field: 'input.projectMemberIds',
        message: 'You must provide a list of project member IDs.',
      },
    );
    expect(
      (await run(REMOVE, { projectMemberIds: ['1'] }, stack.sandbox.masterToken)).result,
    ).toMatchObject({ message: 'Project member IDs are always 8 digits long.' });
    expect(stack.sandbox.calls().D5).toBeUndefined();
  });
});
