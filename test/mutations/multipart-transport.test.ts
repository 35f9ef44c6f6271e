/**
 * The streaming multipart transport (GraphQL multipart request spec): CSRF protection, clean
 * 400s for malformed requests (never a hang or a crash), several files read out of order, and
 * the in-process `fetch` path.
 */
import { Readable } from 'node:stream';
import { Agent, request } from 'undici';
import { afterAll, beforeAll, beforeEach, describe, expect, it } from 'vitest';
import type { MultipartSpec } from './upload-client.js';
import {
  BOUNDARY,
  fetchMultipart,
  md5Of,
  multipartBody,
  sendMultipart,
  someBytes,
} from './upload-client.js';
import type { UploadStack } from './upload-stack.js';
import {
  DEFAULT_METADATA,
  listFiles,
  someMember,
  startUploadStack,
  UPLOAD_MUTATION,
  uploadResult,
} from './upload-stack.js';

let stack: UploadStack;
let memberId: string;
beforeAll(async () => {
  stack = await startUploadStack();
  memberId = someMember(stack, 6).projectMemberId;
});
afterAll(async () => {
  await stack?.close();
});
beforeEach(() => {
  stack.sandbox.resetCalls();
});

const uploadSpec = (file: Buffer, input: Record<string, unknown> = {}): MultipartSpec => ({
  operations: {
    query: UPLOAD_MUTATION,
    variables: {
      input: { projectMemberId: memberId, file: null, metadata: DEFAULT_METADATA, ...input },
    },
  },
  map: { '0': ['variables.input.file'] },
  files: [{ field: '0', filename: 'f.bin', content: file }],
});

const noUpstreamCalls = (): void => expect(stack.sandbox.calls()).toEqual({});

describe('CSRF protection', () => {
  it('refuses a multipart request without a preflight header, before reading it', async () => {
    const res = await sendMultipart(stack.baseUrl, uploadSpec(someBytes(100)), {
      token: stack.sandbox.masterToken,
      preflight: false,
    });
    expect(res.status).toBe(400);
    expect(res.json?.errors?.[0]?.extensions?.code).toBe('BAD_USER_INPUT');
    expect(res.json?.errors?.[0]?.message).toMatch(/graphql-preflight/);
    noUpstreamCalls();
  });

  it('accepts any of the preflight headers', async () => {
    for (const header of ['x-apollo-operation-name', 'apollo-require-preflight']) {
      const res = await request(`${stack.baseUrl}/graphql`, {
        method: 'POST',
        headers: {
          'content-type': `multipart/form-data; boundary=${BOUNDARY}`,
          authorization: `Bearer ${stack.sandbox.masterToken}`,
          [header]: 'Upload',
        },
        body: Readable.from(multipartBody(uploadSpec(someBytes(10)))),
      });
      const json = (await res.body.json()) as { data: { uploadDataFile: { __typename: string } } };
      expect(json.data.uploadDataFile.__typename).toBe('UploadDataFilePayload');
    }
  });
});

describe('malformed requests get a clean 400', () => {
  const raw = (
    fields: Array<[string, string]>,
    files: MultipartSpec['files'] = [],
  ): MultipartSpec => ({ operations: null, map: {}, files, fieldsOverride: fields });
  const ops = JSON.stringify(uploadSpec(Buffer.alloc(0)).operations);
  const cases: Array<{ name: string; spec: MultipartSpec; message: RegExp }> = [
    { name: 'no map', spec: raw([['operations', ops]]), message: /"operations" and "map"/ },
    {
      name: 'map before operations',
      spec: raw([
        ['map', '{"0":["variables.input.file"]}'],
        ['operations', ops],
      ]),
      message: /"operations" field must come before "map"/,
    },
    {
      name: 'operations not JSON',
      spec: raw([
        ['operations', '{nope'],
        ['map', '{}'],
      ]),
      message: /"operations" field is not valid JSON/,
    },
    {
      name: 'map not JSON',
      spec: raw([
        ['operations', ops],
        ['map', '[1'],
      ]),
      message: /"map" field is not valid JSON/,
    },
    {
      name: 'map paths not a list',
      spec: raw([
        ['operations', ops],
        ['map', '{"0":"variables.input.file"}'],
      ]),
      message: /non-empty array of paths/,
    },
    {
      name: 'map path outside variables',
      spec: raw([
        ['operations', ops],
        ['map', '{"0":["query"]}'],
      ]),
      message: /must start with "variables\."/,
    },
    {
      name: 'map path to a non-null value',
      spec: raw([
        ['operations', ops],
        ['map', '{"0":["variables.input.metadata"]}'],
      ]),
      message: /must hold null/,
    },
    {
      name: 'map path that does not exist',
      spec: raw([
        ['operations', ops],
        ['map', '{"0":["variables.nothing.here"]}'],
      ]),
      message: /does not exist/,
    },
    {
      name: 'prototype pollution path',
      spec: raw([
        ['operations', ops],
        ['map', '{"0":["variables.__proto__.x"]}'],
      ]),
      message: /not allowed/,
    },
    {
      name: 'batched operations',
      spec: raw([
        ['operations', `[${ops}]`],
        ['map', '{}'],
      ]),
      message: /Batched operations/,
    },
    {
      name: 'a file before operations and map',
      spec: raw([], [{ field: '0', filename: 'x', content: someBytes(10) }]),
      message: /Files must come after/,
    },
  ];
  for (const c of cases) {
    it(c.name, async () => {
      const res = await sendMultipart(stack.baseUrl, c.spec, { token: stack.sandbox.masterToken });
      expect(res.status).toBe(400);
      expect(res.json?.errors?.[0]?.extensions?.code).toBe('BAD_USER_INPUT');
      expect(res.json?.errors?.[0]?.message).toMatch(c.message);
      noUpstreamCalls();
    });
  }

  it('a content type without a boundary', async () => {
    const res = await request(`${stack.baseUrl}/graphql`, {
      method: 'POST',
      headers: {
        'content-type': 'multipart/form-data',
        'graphql-preflight': '1',
        authorization: `Bearer ${stack.sandbox.masterToken}`,
      },
      body: 'whatever',
    });
    expect(res.statusCode).toBe(400);
    expect(
      ((await res.body.json()) as { errors: Array<{ message: string }> }).errors[0]?.message,
    ).toMatch(/boundary/);
  });

  it('a body that is not multipart at all', async () => {
    const res = await request(`${stack.baseUrl}/graphql`, {
      method: 'POST',
      headers: {
        'content-type': `multipart/form-data; boundary=${BOUNDARY}`,
        'graphql-preflight': '1',
        authorization: `Bearer ${stack.sandbox.masterToken}`,
      },
      body: 'this is not a multipart body',
    });
    expect(res.statusCode).toBe(400);
    await res.body.dump();
  });

  it('a body cut off in the middle of the file: the upload fails cleanly, nothing stored, nothing left on disk', async () => {
    const before = await listFiles(stack, stack.sandbox.masterToken, memberId);
    stack.sandbox.resetCalls();
    const full: Buffer[] = [];
    for await (const chunk of multipartBody(uploadSpec(someBytes(200_000)))) full.push(chunk);
    const all = Buffer.concat(full);
    const truncated = all.subarray(0, all.length - 100_000);
    const res = await sendMultipart(stack.baseUrl, uploadSpec(Buffer.alloc(0)), {
      token: stack.sandbox.masterToken,
      body: (async function* () {
        yield truncated;
      })(),
    });
    expect([200, 400]).toContain(res.status);
    expect(res.json?.errors?.[0]?.extensions?.code).toBe('BAD_USER_INPUT');
    expect(['D6', 'D7', 'D8', 'S3_PUT'].some((r) => r in stack.sandbox.calls())).toBe(false);
    expect(await listFiles(stack, stack.sandbox.masterToken, memberId)).toEqual(before);
    expect(stack.leftovers()).toEqual([]);
  });

  it('a file mapped but never sent', async () => {
    const spec = uploadSpec(someBytes(10));
    spec.files = [];
    const res = await sendMultipart(stack.baseUrl, spec, { token: stack.sandbox.masterToken });
    expect(res.json?.errors?.[0]?.extensions?.code).toBe('BAD_USER_INPUT');
    expect(res.json?.errors?.[0]?.message).toMatch(/no file part "0"/);
  });

  it('an Upload written inline in a JSON request', async () => {
    const res = await stack.execute(
      UPLOAD_MUTATION,
      { input: { projectMemberId: memberId, file: 'abc', metadata: DEFAULT_METADATA } },
      { token: stack.sandbox.masterToken },
    );
    expect(res.errors?.[0]?.extensions?.code).toBe('BAD_USER_INPUT');
    expect(res.errors?.[0]?.message).toMatch(/multipart/);
    noUpstreamCalls();
  });
});

describe('streaming behaviour', () => {
  it('two uploads in one request, files sent in the opposite order to their use', async () => {
    const first = someBytes(150_000);
    const second = someBytes(3_000);
    const query = `mutation($a: UploadDataFileInput!, $b: UploadDataFileInput!) {
      a: uploadDataFile(input: $a) { ... on UploadDataFilePayload { md5 size } ... on UserError { message } }
      b: uploadDataFile(input: $b) { ... on UploadDataFilePayload { md5 size } ... on UserError { message } }
    }`;
    const input = { projectMemberId: memberId, file: null, metadata: DEFAULT_METADATA };
    const res = await sendMultipart(
      stack.baseUrl,
      {
        operations: { query, variables: { a: input, b: input } },
        map: { x: ['variables.a.file'], y: ['variables.b.file'] },
        // `b`'s file comes first: it is set aside on disk while `a` reads its own.
        files: [
          { field: 'y', filename: 'y.bin', content: second },
          { field: 'unmapped', filename: 'z.bin', content: someBytes(1000) },
          { field: 'x', filename: 'x.bin', content: first },
        ],
      },
      { token: stack.sandbox.masterToken },
    );
    expect(res.json?.errors).toBeUndefined();
    expect(res.json?.data).toEqual({
      a: { md5: md5Of(first), size: first.length },
      b: { md5: md5Of(second), size: second.length },
    });
    expect(stack.leftovers()).toEqual([]);
  });

  it('a request whose file is never read still gets its answer, and the connection stays usable', async () => {
    const agent = new Agent({ connections: 1 });
    try {
      const bad = uploadSpec(someBytes(1_000_000), {
        metadata: { description: '', tags: [], md5: 'x' },
      });
      const refused = await sendMultipart(stack.baseUrl, bad, {
        token: stack.sandbox.masterToken,
        dispatcher: agent,
      });
      expect(uploadResult(refused).__typename).toBe('InvalidInputError');
      const ok = await sendMultipart(stack.baseUrl, uploadSpec(someBytes(10)), {
        token: stack.sandbox.masterToken,
        dispatcher: agent,
      });
      expect(uploadResult(ok).__typename).toBe('UploadDataFilePayload');
    } finally {
      await agent.close();
    }
  });

  it('works in-process through the gateway fetch as well', async () => {
    const bytes = someBytes(5_000);
    const res = await fetchMultipart(stack.fetch, uploadSpec(bytes), {
      token: stack.sandbox.masterToken,
    });
    expect(uploadResult(res)).toMatchObject({
      __typename: 'UploadDataFilePayload',
      md5: md5Of(bytes),
    });
  });

  it('ordinary JSON requests are untouched', async () => {
    const res = await stack.execute('{ __typename }');
    expect(res.data).toEqual({ __typename: 'Query' });
  });
});

describe('scope', () => {
  it('multipart requests to other paths are not treated as GraphQL uploads', async () => {
    const res = await request(`${stack.baseUrl}/health`, {
      method: 'POST',
      headers: { 'content-type': `multipart/form-data; boundary=${BOUNDARY}` },
      body: Readable.from(multipartBody(uploadSpec(someBytes(10)))),
    });
    await res.body.dump();
    // Not the CSRF refusal (400) of the upload transport: the path's own handling answers.
    expect(res.statusCode).not.toBe(400);
  });
});
