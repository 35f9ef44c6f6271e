/**
 * The direct path's integrity check. The gateway's storage PUT goes through a local proxy in
 * front of the sandbox's storage; the proxy shows what the gateway sent and can report a wrong
 * ETag. On a mismatch the upload must fail loudly and never be completed (nothing listed).
 */
import { mkdtempSync, readdirSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import type { Dispatcher } from 'undici';
import { Agent, request } from 'undici';
import { afterAll, beforeAll, beforeEach, describe, expect, it } from 'vitest';
import type { Sandbox } from '../../sandbox/index.js';
import { startSandbox } from '../../sandbox/index.js';
import { loadConfig } from '../../src/config/index.js';
import type { Gateway } from '../../src/gateway.js';
import { createGateway } from '../../src/gateway.js';
import { createLogger } from '../../src/logger.js';
import type { TestServer } from '../helpers/http-server.js';
import { startHttpServer } from '../helpers/http-server.js';
import { fetchMultipart, md5Of, someBytes } from './upload-client.js';
import { DEFAULT_METADATA, UPLOAD_MUTATION } from './upload-stack.js';

/** Sends storage PUTs to `proxy` instead of the URL's own origin (same path and signature). */
const putsVia =
  (proxy: () => string): Dispatcher.DispatcherComposeInterceptor =>
  (dispatch) =>
  (options, handler) =>
    dispatch(options.method === 'PUT' ? { ...options, origin: proxy() } : options, handler);

let sandbox: Sandbox;
let proxy: TestServer;
let gateway: Gateway;
let dispatcher: Agent;
let tmpDir: string;
let lie = false;

beforeAll(async () => {
  sandbox = await startSandbox({ port: 0, storage: 'memory' });
  proxy = await startHttpServer(async (req, res, body) => {
    const upstream = await request(`${sandbox.url}${req.url ?? ''}`, {
      method: 'PUT',
      headers: { 'content-length': String(body.length) },
      body,
    });
    await upstream.body.dump();
    const etag = lie ? '"00000000000000000000000000000000"' : String(upstream.headers.etag ?? '');
    res.writeHead(upstream.statusCode, { etag });
    res.end();
  });
  tmpDir = mkdtempSync(join(tmpdir(), 'oh-graphql-etag-test-'));
  const config = loadConfig({
    OPENHUMANS_BASE_URL: sandbox.url,
    LOG_LEVEL: 'silent',
    UPLOAD_TMP_DIR: tmpDir,
    UPLOAD_DIRECT_THRESHOLD_BYTES: '1024',
  });
  dispatcher = new Agent();
  const viaProxy = dispatcher.compose(putsVia(() => proxy.url));
  gateway = createGateway({
    config,
    openHumansParts: { dispatcher: viaProxy },
    logger: createLogger({ level: 'silent' }),
  });
});
afterAll(async () => {
  await gateway?.dispose();
  await dispatcher?.close();
  await proxy?.close();
  await sandbox?.close();
  if (tmpDir) rmSync(tmpDir, { recursive: true, force: true });
});
beforeEach(() => {
  sandbox.resetCalls();
  proxy.requests.length = 0;
});

const memberId = (): string => Object.keys(sandbox.memberTokens)[0] ?? '';
const fetchGateway = async (path: string, init?: RequestInit): Promise<Response> =>
  gateway.fetch(new URL(path, 'http://gateway.test'), init ?? {});

async function uploadDirect(bytes: Buffer) {
  return fetchMultipart(
    fetchGateway,
    {
      operations: {
        query: UPLOAD_MUTATION,
        variables: {
          input: { projectMemberId: memberId(), file: null, metadata: DEFAULT_METADATA },
        },
      },
      map: { '0': ['variables.input.file'] },
      files: [{ field: '0', filename: 'checked.bin', content: bytes }],
    },
    { token: sandbox.masterToken },
  );
}

describe('the storage PUT', () => {
  it('carries Content-Length and no Content-Type, and completes when the ETag matches', async () => {
    lie = false;
    const bytes = someBytes(5000);
    const res = await uploadDirect(bytes);
    expect(
      (res.json?.data?.uploadDataFile as { md5?: string; uploadMethod?: string }) ?? {},
    ).toMatchObject({ md5: md5Of(bytes), uploadMethod: 'DIRECT' });
    const put = proxy.requests[0];
    expect(put?.headers['content-length']).toBe('5000');
    expect(put?.headers['content-type']).toBeUndefined();
    expect(sandbox.calls()).toMatchObject({ D7: 1, S3_PUT: 1, D8: 1 });
  });

  it('fails loudly on an ETag that is not the md5, and does not complete the file', async () => {
    lie = true;
    const res = await uploadDirect(someBytes(5000));
    expect(res.json?.errors?.[0]?.extensions?.code).toBe('UPSTREAM_ERROR');
    expect(res.json?.errors?.[0]?.message).toMatch(/ETag does not match/);
    expect(sandbox.calls()).toMatchObject({ D7: 1, S3_PUT: 1 });
    expect(sandbox.calls().D8).toBeUndefined();
    expect(readdirSync(tmpDir)).toEqual([]);
  });
});
