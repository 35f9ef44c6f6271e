/**
 * Failures in the middle of an upload (sandbox fault injection, and a client that goes away):
 * a clear error, never retried, no half file listed, no temporary file left behind.
 */
import { connect } from 'node:net';
import { afterAll, afterEach, beforeAll, beforeEach, describe, expect, it } from 'vitest';
import type { FaultRule } from '../../sandbox/index.js';
import { BOUNDARY, multipartBody, someBytes } from './upload-client.js';
import type { UploadStack } from './upload-stack.js';
import {
  DEFAULT_METADATA,
  listFiles,
  someMember,
  startUploadStack,
  UPLOAD_MUTATION,
  upload,
  uploadResult,
} from './upload-stack.js';

const THRESHOLD = 64 * 1024;

let stack: UploadStack;
let memberId: string;
beforeAll(async () => {
  stack = await startUploadStack();
  memberId = someMember(stack, 16).projectMemberId;
});
afterAll(async () => {
  await stack?.close();
});
beforeEach(() => {
  stack.sandbox.resetCalls();
});
afterEach(() => {
  stack.sandbox.clearFaults();
});

const ids = async (): Promise<number[]> =>
  (await listFiles(stack, stack.sandbox.masterToken, memberId)).map((f) => f.databaseId);

/**
 * Polls until `check` holds (the server finishes cleaning up after the response). Not a timing
 * assertion.
 */
async function eventually(check: () => boolean, what: string): Promise<void> {
  for (let i = 0; i < 200; i++) {
    if (check()) return;
    await new Promise((resolve) => setTimeout(resolve, 25));
  }
  throw new Error(`never happened: ${what}`);
}

describe('an upstream failure mid-upload', () => {
  const cases: Array<{
    name: string;
    size: number;
    rule: FaultRule;
    code: string;
    calls: Record<string, number>;
  }> = [
    {
      name: 'storage resets the connection during the PUT',
      size: THRESHOLD * 4,
      rule: { route: 'S3_PUT', kind: 'reset', times: 1 },
      code: 'UPSTREAM_UNAVAILABLE',
      calls: { D7: 1, S3_PUT: 1 },
    },
    {
      name: 'storage answers 500 to the PUT',
      size: THRESHOLD * 4,
      rule: { route: 'S3_PUT', kind: 'status', status: 500, times: 1 },
      code: 'UPSTREAM_ERROR',
      calls: { D7: 1, S3_PUT: 1 },
    },
    {
      name: 'complete (D8) answers 503',
      size: THRESHOLD * 4,
      rule: { route: 'D8', kind: 'status', status: 503, times: 1 },
      code: 'UPSTREAM_UNAVAILABLE',
      calls: { D7: 1, S3_PUT: 1, D8: 1 },
    },
    {
      name: 'start (D7) breaks off in the middle of its JSON',
      size: THRESHOLD * 4,
      rule: { route: 'D7', kind: 'truncate', times: 1 },
      code: 'UPSTREAM_UNAVAILABLE',
      calls: { D7: 1 },
    },
    {
      name: 'the simple upload (D6) answers 503',
      size: 1000,
      rule: { route: 'D6', kind: 'status', status: 503, times: 1 },
      code: 'UPSTREAM_UNAVAILABLE',
      calls: { D6: 1 },
    },
    {
      name: 'the simple upload (D6) resets the connection',
      size: 1000,
      rule: { route: 'D6', kind: 'reset', times: 1 },
      code: 'UPSTREAM_UNAVAILABLE',
      calls: { D6: 1 },
    },
  ];
  for (const c of cases) {
    it(`${c.name}: ${c.code}, not retried, nothing listed, no temp file`, async () => {
      const before = await ids();
      stack.sandbox.resetCalls();
      stack.sandbox.setFaults({ rules: [c.rule] });
      const res = await upload(stack, {
        token: stack.sandbox.masterToken,
        projectMemberId: memberId,
        file: someBytes(c.size),
      });
      expect(res.json?.errors?.[0]?.extensions?.code).toBe(c.code);
      expect(res.json?.data?.uploadDataFile ?? null).toBeNull();
      const calls = stack.sandbox.calls();
      for (const [route, n] of Object.entries(c.calls))
        expect(calls[route as keyof typeof calls], route).toBe(n);
      stack.sandbox.clearFaults();
      expect(await ids()).toEqual(before);
      expect(stack.leftovers()).toEqual([]);
      // The same upload works once the upstream recovers.
      const retry = uploadResult(
        await upload(stack, {
          token: stack.sandbox.masterToken,
          projectMemberId: memberId,
          file: someBytes(c.size),
        }),
      );
      expect(retry.__typename).toBe('UploadDataFilePayload');
    });
  }
});

describe('a client that goes away mid-upload', () => {
  it('leaves no temp file and no stored file, and the gateway keeps serving', async () => {
    const before = await ids();
    stack.sandbox.resetCalls();
    const url = new URL(stack.baseUrl);
    const socket = connect(Number(url.port), url.hostname);
    await new Promise<void>((resolve) => socket.once('connect', () => resolve()));
    socket.on('error', () => undefined);
    const head =
      'POST /graphql HTTP/1.1\r\n' +
      `Host: ${url.host}\r\n` +
      `Authorization: Bearer ${stack.sandbox.masterToken}\r\n` +
      'graphql-preflight: 1\r\n' +
      `Content-Type: multipart/form-data; boundary=${BOUNDARY}\r\n` +
      'Transfer-Encoding: chunked\r\n\r\n';
    socket.write(head);
    const spec = {
      operations: {
        query: UPLOAD_MUTATION,
        variables: { input: { projectMemberId: memberId, file: null, metadata: DEFAULT_METADATA } },
      },
      map: { '0': ['variables.input.file'] },
      files: [{ field: '0', filename: 'gone.bin', content: someBytes(THRESHOLD * 8) }],
    };
    let sent = 0;
    for await (const chunk of multipartBody(spec)) {
      const part =
        sent + chunk.length > THRESHOLD * 3 ? chunk.subarray(0, THRESHOLD * 3 - sent) : chunk;
      socket.write(`${part.length.toString(16)}\r\n`);
      socket.write(part);
      socket.write('\r\n');
      sent += part.length;
      if (sent >= THRESHOLD * 3) break;
    }
    // Let the gateway start spooling, then vanish.
    await eventually(() => stack.leftovers().length > 0, 'the upload is being spooled');
    socket.destroy();
    await eventually(() => stack.leftovers().length === 0, 'the spool is removed');
    expect(['D6', 'D7', 'D8', 'S3_PUT'].some((r) => r in stack.sandbox.calls())).toBe(false);
    expect(await ids()).toEqual(before);
    const after = uploadResult(
      await upload(stack, {
        token: stack.sandbox.masterToken,
        projectMemberId: memberId,
        file: someBytes(10),
      }),
    );
    expect(after.__typename).toBe('UploadDataFilePayload');
  });
});
