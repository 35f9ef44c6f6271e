/**
 * Two gateway instances on one redis-server and one sandbox: a write through
 * either instance is seen through the other at once (shared public cache entries dropped before
 * the mutation answers; the other instance's private cache dropped through Redis pub/sub), and
 * an idempotent retry through the other instance gets the first instance's result. Needs
 * Debian's redis-server (skipped locally without it; required under CI=true).
 */
import { request } from 'undici';
import { afterAll, beforeAll, beforeEach, describe, expect, it } from 'vitest';
import type { Sandbox } from '../../sandbox/index.js';
import { startSandbox } from '../../sandbox/index.js';
import { MEMBER_LIST_TAG, memberTag } from '../../src/auth/token-scoped-cache.js';
import type { RedisServer } from '../helpers/redis.js';
import { redisAvailable, startRedis } from '../helpers/redis.js';
import { sendMultipart, someBytes } from '../mutations/upload-client.js';
import { DEFAULT_METADATA, UPLOAD_MUTATION } from '../mutations/upload-stack.js';
import type { Instance } from './support.js';
import { startInstance } from './support.js';

const available = redisAvailable();

const FILE = 'query($id: Int!) { dataFile(databaseId: $id) { databaseId basename } }';
const MEMBER_FILES =
  'query($id: String!) { viewer { project { member(projectMemberId: $id) { dataFiles(first: 100) { edges { node { databaseId } } } } } } }';
const DELETE = `mutation($input: DeleteDataFilesInput!) {
  deleteDataFiles(input: $input) { __typename ... on DeleteDataFilesPayload { deletedDatabaseIds } }
}`;

describe.skipIf(!available)(
  'two instances, one Redis: writes and retries through either instance',
  () => {
    let redis: RedisServer;
    let sandbox: Sandbox;
    let a: Instance;
    let b: Instance;
    /** A member of the own project who shares publicly: their completed files are public. */
    let member: { projectMemberId: string };

    beforeAll(async () => {
      redis = await startRedis();
      sandbox = await startSandbox({
        port: 0,
        storage: 'memory',
        sizes: { publicFiles: 200, users: 60 },
      });
      a = await startInstance(sandbox, redis.url);
      b = await startInstance(sandbox, redis.url);
      const project = sandbox.store.project(sandbox.projectId);
      expect(project?.noPublicData).toBeFalsy();
      const shared = sandbox.store.activeMembers(sandbox.projectId).find((m) => m.publicData);
      if (!shared) throw new Error('the sandbox has no publicly sharing member in the own project');
      member = { projectMemberId: shared.projectMemberId };
    });
    afterAll(async () => {
      await a?.close();
      await b?.close();
      await sandbox?.close();
      await redis?.stop();
    });
    beforeEach(() => sandbox.resetCalls());

    const master = (): string => sandbox.masterToken;

    async function uploadThrough(
      instance: Instance,
      filename: string,
      idempotencyKey?: string,
      content: Buffer = someBytes(200),
    ): Promise<Record<string, unknown>> {
      const input: Record<string, unknown> = {
        file: null,
        metadata: DEFAULT_METADATA,
        projectMemberId: member.projectMemberId,
      };
      if (idempotencyKey) input.idempotencyKey = idempotencyKey;
      const res = await sendMultipart(
        instance.baseUrl,
        {
          operations: { query: UPLOAD_MUTATION, variables: { input } },
          map: { '0': ['variables.input.file'] },
          files: [{ field: '0', filename, content }],
        },
        { token: master() },
      );
      const payload = (res.json?.data as { uploadDataFile?: Record<string, unknown> } | undefined)
        ?.uploadDataFile;
      if (!payload) throw new Error(`upload failed: ${res.status} ${res.text.slice(0, 300)}`);
      return payload;
    }

    it('a public file deleted through A is gone from B at once (shared entry dropped before A answers)', async () => {
      const uploaded = await uploadThrough(a, 'public-then-gone.txt');
      const id = uploaded.databaseId as number;
      const first = await b.execute(FILE, { id });
      expect(first.data?.dataFile).toEqual({ databaseId: id, basename: 'public-then-gone.txt' });
      await b.publicCache.settled();
      sandbox.resetCalls();
      // Served to A from the entry B put in Redis: no upstream call.
      expect((await a.execute(FILE, { id })).data?.dataFile).toEqual(first.data?.dataFile);
      expect(sandbox.calls().P2 ?? 0).toBe(0);
      // B answers it whole from its own memory (no public cache lookup): that copy must go too.
      // (The first read after the upload's generation bump is not kept: it began before B saw the
      // bump.)
      await b.execute(FILE, { id });
      const lookups = (): number => b.publicCache.stats.hits + b.publicCache.stats.misses;
      const before = lookups();
      expect((await b.execute(FILE, { id })).data?.dataFile).toEqual(first.data?.dataFile);
      expect(lookups()).toBe(before);

      const deleted = await a.execute(
        DELETE,
        { input: { projectMemberId: member.projectMemberId, fileId: String(id) } },
        master(),
      );
      expect(deleted.data?.deleteDataFiles).toEqual({
        __typename: 'DeleteDataFilesPayload',
        deletedDatabaseIds: [id],
      });
      sandbox.resetCalls();
      const after = await b.execute(FILE, { id });
      expect(after.data?.dataFile ?? null).toBeNull();
      expect(after.errors?.[0]?.extensions?.code).toBe('NOT_FOUND');
      expect(sandbox.calls().P2).toBe(1);
    });

    it("a write through A drops B's private (token-scoped) answers for that member through pub/sub", async () => {
      const listed = async (): Promise<number[]> => {
        const res = await b.execute(MEMBER_FILES, { id: member.projectMemberId }, master());
        const conn = (
          res.data as {
            viewer: {
              project: { member: { dataFiles: { edges: { node: { databaseId: number } }[] } } };
            };
          }
        ).viewer.project.member.dataFiles;
        return conn.edges.map((e) => e.node.databaseId);
      };
      const before = await listed();
      sandbox.resetCalls();
      expect(await listed()).toEqual(before); // B's token cache answers
      expect(sandbox.calls().D3 ?? 0).toBe(0);

      const dropped = b.tokenCache.next(memberTag(member.projectMemberId));
      const uploaded = await uploadThrough(a, 'seen-by-b.txt');
      await dropped;
      expect(b.tokenCache.dropped).toContain(MEMBER_LIST_TAG);
      sandbox.resetCalls();
      expect(await listed()).toContain(uploaded.databaseId);
      expect(sandbox.calls().D3).toBeGreaterThan(0);
    });

    it("an idempotent retry through B returns A's result and stores nothing new", async () => {
      // A retry sends the very same bytes (another file under the same key is a conflict).
      const bytes = someBytes(200);
      const first = await uploadThrough(a, 'once.txt', 'retry-key-19', bytes);
      expect(first.__typename).toBe('UploadDataFilePayload');
      const filesBefore = sandbox.store.fileCount();
      sandbox.resetCalls();
      const retry = await uploadThrough(b, 'once.txt', 'retry-key-19', bytes);
      // The same file (its download link is signed afresh on each read).
      const withoutLink = (payload: Record<string, unknown>) => ({
        ...payload,
        dataFile: { ...(payload.dataFile as object), downloadUrl: null },
      });
      expect(withoutLink(retry)).toEqual(withoutLink(first));
      expect(sandbox.store.fileCount()).toBe(filesBefore);
      expect((sandbox.calls().D6 ?? 0) + (sandbox.calls().D7 ?? 0)).toBe(0);
    });

    it('the same key with another input through B is a conflict, not a second file', async () => {
      await uploadThrough(a, 'first-input.txt', 'retry-key-conflict');
      const filesBefore = sandbox.store.fileCount();
      const other = await sendMultipart(
        b.baseUrl,
        {
          operations: {
            query: UPLOAD_MUTATION,
            variables: {
              input: {
                file: null,
                metadata: { ...DEFAULT_METADATA, description: 'other' },
                projectMemberId: member.projectMemberId,
                idempotencyKey: 'retry-key-conflict',
              },
            },
          },
          map: { '0': ['variables.input.file'] },
          files: [{ field: '0', filename: 'x.txt', content: someBytes(50) }],
        },
        { token: master() },
      );
      const payload = (other.json?.data as { uploadDataFile?: { __typename: string } } | undefined)
        ?.uploadDataFile;
      expect(payload?.__typename).not.toBe('UploadDataFilePayload');
      expect(sandbox.store.fileCount()).toBe(filesBefore);
    });
    it('a direct upload completed through A and replayed through B: one completion upstream, the same answer', async () => {
      const CREATE = `mutation($input: CreateDataFileUploadInput!) { createDataFileUpload(input: $input) {
      __typename ... on CreateDataFileUploadPayload { uploadUrl handle databaseId } } }`;
      const COMPLETE = `mutation($input: CompleteDataFileUploadInput!) { completeDataFileUpload(input: $input) {
      __typename ... on CompleteDataFileUploadPayload { databaseId size } ... on InvalidUploadHandleError { reason } } }`;
      const created = (
        await a.execute(
          CREATE,
          {
            input: {
              metadata: DEFAULT_METADATA,
              filename: 'direct.bin',
              projectMemberId: member.projectMemberId,
            },
          },
          master(),
        )
      ).data?.createDataFileUpload as { uploadUrl: string; handle: string; databaseId: number };
      const bytes = someBytes(1_000);
      const put = await request(created.uploadUrl, {
        method: 'PUT',
        headers: { 'content-length': String(bytes.length) },
        body: bytes,
      });
      await put.body.dump();
      expect(put.statusCode).toBe(200);
      sandbox.resetCalls();
      const first = await a.execute(COMPLETE, { input: { handle: created.handle } }, master());
      expect(first.data?.completeDataFileUpload).toEqual({
        __typename: 'CompleteDataFileUploadPayload',
        databaseId: created.databaseId,
        size: bytes.length,
      });
      const replay = await b.execute(COMPLETE, { input: { handle: created.handle } }, master());
      expect(replay.data?.completeDataFileUpload).toEqual(first.data?.completeDataFileUpload);
      expect(sandbox.calls().D8).toBe(1);
    });
  },
);
