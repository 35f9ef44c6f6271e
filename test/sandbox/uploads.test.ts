// Upload round trips through both upload paths (D6 simple multipart; D7 → presigned PUT → D8):
// upload → listed → downloaded bytes have the same size and md5 → deleted → gone from every list,
// public lists included. Plus S3's PUT rules and the 'hash' storage mode.
import { createHash } from 'node:crypto';
import { request } from 'node:http';
import { connect } from 'node:net';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { Sandbox } from '../../sandbox/index.js';
import { setStorageMode } from '../../sandbox/routes/direct-sharing-controls.js';
import {
  call,
  D,
  memberWhere,
  postForm,
  startSmallSandbox,
  withToken,
} from './direct-sharing-support.js';

const OH = 'https://www.openhumans.org';
const md5 = (b: Buffer): string => createHash('md5').update(b).digest('hex');

/**
 * Deterministic pseudo-random bytes (not compressible, no multipart delimiter inside by chance).
 */
function bytes(n: number, seed: number): Buffer {
  const out = Buffer.alloc(n);
  let x = seed >>> 0 || 1;
  for (let i = 0; i < n; i++) {
    x ^= x << 13;
    x ^= x >>> 17;
    x ^= x << 5;
    x >>>= 0;
    out[i] = x & 0xff;
  }
  return out;
}

/** PUT with node:http so Content-Length/Transfer-Encoding are exactly what the test says. */
function put(
  url: string,
  chunks: Iterable<Buffer>,
  headers: Record<string, string>,
): Promise<{ status: number; etag?: string; body: string }> {
  return new Promise((resolve, reject) => {
    const req = request(url, { method: 'PUT', headers }, (res) => {
      const parts: Buffer[] = [];
      res.on('data', (c: Buffer) => parts.push(c));
      res.on('end', () =>
        resolve({
          status: res.statusCode ?? 0,
          etag: res.headers.etag,
          body: Buffer.concat(parts).toString(),
        }),
      );
    });
    req.on('error', reject);
    for (const c of chunks) req.write(c);
    req.end();
  });
}

/**
 * A PUT over a raw socket, so the body can disagree with Content-Length. Resolves with everything
 * the server wrote once it closes the connection or `until` matches what it wrote.
 */
function rawPut(
  url: string,
  contentLength: number,
  body: Buffer,
  options: { hangUp: boolean; until?: RegExp },
): Promise<string> {
  const u = new URL(url);
  return new Promise((resolve, reject) => {
    const socket = connect(Number(u.port), u.hostname, () => {
      socket.write(
        `PUT ${u.pathname}${u.search} HTTP/1.1\r\nHost: ${u.host}\r\nContent-Length: ${contentLength}\r\n\r\n`,
      );
      socket.write(body, () => {
        if (options.hangUp) socket.destroy();
      });
    });
    let answer = '';
    socket.setEncoding('utf8');
    socket.on('data', (c: string) => {
      answer += c;
      if (options.until?.test(answer)) socket.destroy();
    });
    socket.on('close', () => resolve(answer));
    socket.on('error', reject);
  });
}

/** Follows the download link (rebased on the sandbox) through its 302 to the signed GET. */
async function download(
  sb: Sandbox,
  downloadUrl: string,
): Promise<{ status: number; body: Buffer }> {
  const first = await fetch(downloadUrl.replace(OH, sb.url), { redirect: 'manual' });
  expect(first.status).toBe(302);
  const res = await fetch(first.headers.get('location') ?? '');
  return { status: res.status, body: Buffer.from(await res.arrayBuffer()) };
}

interface Listed {
  id: number;
  basename: string;
  download_url: string;
}

/** Every list the file can appear in, as [list name, ids]. */
async function listings(
  sb: Sandbox,
  pmi: string,
  token: string,
  username: string,
): Promise<Record<string, number[]>> {
  const ids = (r: { json: unknown }, key: 'data' | 'results'): number[] =>
    ((r.json as Record<string, Listed[]> | undefined)?.[key] ?? []).map((f) => f.id);
  const projectId = sb.projectId;
  const members = (await call(sb, withToken(`${D.members}?limit=100000`, sb.masterToken))).json as {
    results: Array<{ project_member_id: string; data: Listed[] }>;
  };
  return {
    exchangeUser: ids(await call(sb, withToken(`${D.exchange}?limit=100000`, token)), 'data'),
    exchangeMaster: ids(
      await call(
        sb,
        withToken(`${D.exchange}?limit=100000&project_member_id=${pmi}`, sb.masterToken),
      ),
      'data',
    ),
    membersList: (members.results.find((m) => m.project_member_id === pmi)?.data ?? []).map(
      (f) => f.id,
    ),
    publicAll: ids(await call(sb, '/api/public/datafiles/?limit=100000'), 'results'),
    publicProject: ids(
      await call(sb, `/api/public/project/${projectId}/datafiles/?limit=100000`),
      'results',
    ),
    publicMember: ids(
      await call(sb, `/api/public/member/${username}/datafiles/?limit=100000`),
      'results',
    ),
  };
}

describe('upload round trips', () => {
  let sb: Sandbox;
  beforeAll(async () => {
    sb = await startSmallSandbox();
  });
  afterAll(() => sb.close());

  // A public, visible member sharing its username, so the public lists show its files too (up to
  // 10 files also keeps the members list's `data[:10]` complete).
  const pick = () =>
    memberWhere(
      sb,
      (m) =>
        m.publicData &&
        m.visible &&
        m.usernameShared &&
        sb.store.memberFilesForProject(m).length < 9,
    );

  async function expectRoundTrip(
    id: number,
    content: Buffer,
    pmi: string,
    token: string,
  ): Promise<void> {
    const username =
      sb.store.user(sb.store.membershipByProjectMemberId(pmi)?.userId ?? -1)?.username ?? '';
    const before = await listings(sb, pmi, token, username);
    for (const [list, ids] of Object.entries(before))
      expect(ids, `${list} lists the upload`).toContain(id);
    const exchange = (await call(sb, withToken(`${D.exchange}?limit=1000`, token))).json as {
      data: Listed[];
    };
    const listed = exchange.data.find((f) => f.id === id);
    const got = await download(sb, listed?.download_url ?? '');
    expect(got.status).toBe(200);
    expect(got.body.length).toBe(content.length);
    expect(md5(got.body)).toBe(md5(content));

    const deleted = await postForm(sb, D.delete, token, { file_id: String(id) });
    expect(deleted).toMatchObject({ status: 200, json: { ids: [id] } });
    const after = await listings(sb, pmi, token, username);
    for (const [list, ids] of Object.entries(after))
      expect(ids, `${list} no longer lists it`).not.toContain(id);
    expect((await call(sb, `/api/public/datafile/${id}/`)).status).toBe(404);
  }

  it('simple multipart upload (D6): upload → listed → same bytes → deleted → gone everywhere', async () => {
    const { membership, token } = pick();
    const content = bytes(300_000, 1);
    const form = new FormData();
    form.set('project_member_id', membership.projectMemberId);
    form.set('metadata', JSON.stringify({ description: 'round trip', tags: ['test'] }));
    form.set('data_file', new Blob([new Uint8Array(content)]), 'round trip.bin');
    const res = await call(sb, withToken(D.upload, sb.masterToken), { method: 'POST', body: form });
    expect(res.status).toBe(201);
    const id = (res.json as { id: number }).id;
    expect(sb.store.file(id)?.basename).toBe('round_trip.bin'); // Django's get_valid_filename
    await expectRoundTrip(id, content, membership.projectMemberId, token);
  });

  it('direct upload (D7 → S3 PUT → D8): upload → listed → same bytes → deleted → gone everywhere', async () => {
    const { membership, token } = pick();
    const content = bytes(200_000, 2);
    const started = await postForm(sb, D.direct, token, {
      filename: 'direct round trip.bin',
      metadata: JSON.stringify({ description: 'd', tags: [] }),
    });
    expect(started.status).toBe(201);
    const { id, url } = started.json as { id: number; url: string };
    expect(url).toMatch(
      /\/open-humans-production\/member-files\/direct-sharing-\d+\/[0-9a-f-]{36}\/direct%20round%20trip\.bin\?Signature=[^&]+&Expires=\d+&AWSAccessKeyId=/,
    );
    // Incomplete files are invisible, and completing before the PUT finds nothing in S3.
    const early = (await call(sb, withToken(`${D.exchange}?limit=1000`, token))).json as {
      data: Listed[];
    };
    expect(early.data.map((f) => f.id)).not.toContain(id);
    expect(await postForm(sb, D.complete, token, { file_id: String(id) })).toMatchObject({
      status: 400,
      json: { detail: 'file not present' },
    });

    const stored = await put(url, [content.subarray(0, 1000), content.subarray(1000)], {
      'Content-Length': String(content.length),
    });
    expect(stored).toMatchObject({ status: 200, etag: `"${md5(content)}"` });
    expect(await postForm(sb, D.complete, token, { file_id: String(id) })).toMatchObject({
      status: 200,
      json: { status: 'ok', size: content.length },
    });
    await expectRoundTrip(id, content, membership.projectMemberId, token);
  });

  it("follows S3's PUT rules: Content-Type breaks the signature, chunked bodies need a length", async () => {
    const { token } = pick();
    const started = await postForm(sb, D.direct, token, {
      filename: 'x.txt',
      metadata: '{"description": "", "tags": []}',
    });
    const { url } = started.json as { url: string };
    const typed = await put(url, [Buffer.from('abc')], {
      'Content-Length': '3',
      'Content-Type': 'text/plain',
    });
    expect(typed.status).toBe(403);
    expect(typed.body).toContain('<Code>SignatureDoesNotMatch</Code>');
    const chunked = await put(url, [Buffer.from('abc')], { 'Transfer-Encoding': 'chunked' });
    expect(chunked.status).toBe(411);
    expect(chunked.body).toContain('<Code>MissingContentLength</Code>');
    const forged = await put(
      url.replace(/Signature=[^&]+/, 'Signature=AAAA'),
      [Buffer.from('abc')],
      { 'Content-Length': '3' },
    );
    expect(forged.status).toBe(403);
    const unsigned = await put(url.split('?')[0] ?? '', [Buffer.from('abc')], {
      'Content-Length': '3',
    });
    expect(unsigned.body).toContain('<Code>AccessDenied</Code>');
    expect(sb.calls().S3_PUT).toBeGreaterThanOrEqual(4);
  });
});

describe('the pre-signed PUT enforces Content-Length like S3', () => {
  let sb: Sandbox;
  beforeAll(async () => {
    sb = await startSmallSandbox();
  });
  afterAll(async () => {
    await sb?.close();
  });

  async function started(): Promise<{ id: number; url: string; token: string }> {
    const { token } = memberWhere(sb, () => true);
    const res = await postForm(sb, D.direct, token, {
      filename: 'cl.bin',
      metadata: '{"description": "", "tags": []}',
    });
    return { ...(res.json as { id: number; url: string }), token };
  }

  it('a body that breaks off short of Content-Length stores nothing; complete finds no file', async () => {
    const { id, url, token } = await started();
    await rawPut(url, 1000, bytes(400, 7), { hangUp: true });
    // The sandbox logs the request once it is over; then the file must be untouched.
    for (let i = 0; i < 200 && !sb.requests().some((r) => r.route === 'S3_PUT'); i++)
      await new Promise((r) => setTimeout(r, 10));
    expect(sb.store.file(id)).toMatchObject({
      completed: false,
      size: null,
      md5: null,
      content: { kind: 'none' },
    });
    expect(await postForm(sb, D.complete, token, { file_id: String(id) })).toMatchObject({
      status: 400,
      json: { detail: 'file not present' },
    });
  });

  it('bytes past Content-Length are not part of the object (they are read as a next, bad request)', async () => {
    const { id, url } = await started();
    const content = bytes(100, 8);
    const answer = await rawPut(url, 60, content, { hangUp: false, until: /HTTP\/1\.1 400/ });
    // The trailing bytes are a malformed next request: 400 and the connection closed.
    expect(answer).toMatch(/HTTP\/1\.1 400 Bad Request/);
    for (let i = 0; i < 200 && !sb.requests().some((r) => r.route === 'S3_PUT'); i++)
      await new Promise((r) => setTimeout(r, 10));
    // Whether the PUT itself was answered before the connection went: never more than 60 bytes.
    const stored = sb.store.file(id);
    if (stored?.size === null)
      expect(stored).toMatchObject({ md5: null, content: { kind: 'none' } });
    else expect(stored).toMatchObject({ size: 60, md5: md5(content.subarray(0, 60)) });
  });
});

describe("'hash' storage mode", () => {
  let sb: Sandbox;
  beforeAll(async () => {
    sb = await startSmallSandbox({ storage: 'hash' });
  });
  afterAll(() => sb.close());

  it('keeps only size and md5 of a large streamed PUT', async () => {
    const { token } = memberWhere(sb, () => true);
    const started = await postForm(sb, D.direct, token, {
      filename: 'big.bin',
      metadata: '{"description": "", "tags": []}',
    });
    const { id, url } = started.json as { id: number; url: string };
    const chunk = bytes(1 << 20, 3);
    const count = 48; // 48 MiB, streamed one chunk at a time
    const hash = createHash('md5');
    for (let i = 0; i < count; i++) hash.update(chunk);
    const stored = await put(
      url,
      Array.from({ length: count }, () => chunk),
      { 'Content-Length': String(chunk.length * count) },
    );
    expect(stored).toMatchObject({ status: 200, etag: `"${hash.digest('hex')}"` });
    expect(await postForm(sb, D.complete, token, { file_id: String(id) })).toMatchObject({
      json: { size: chunk.length * count },
    });
    expect(sb.store.file(id)?.content.kind).toBe('hash');
  });

  it('switches modes at runtime (simple upload keeps bytes again in memory mode)', async () => {
    const { membership } = memberWhere(sb, () => true);
    const upload = async (): Promise<number> => {
      const form = new FormData();
      form.set('project_member_id', membership.projectMemberId);
      form.set('metadata', '{"description": "", "tags": []}');
      form.set('data_file', new Blob([new Uint8Array(bytes(1000, 4))]), 'a.bin');
      return (
        (await call(sb, withToken(D.upload, sb.masterToken), { method: 'POST', body: form }))
          .json as { id: number }
      ).id;
    };
    expect(sb.store.file(await upload())?.content.kind).toBe('hash');
    setStorageMode(sb.state, 'memory');
    expect(sb.store.file(await upload())?.content.kind).toBe('chunks');
    const viaHttp = await call(sb, '/__sandbox/storage', {
      method: 'POST',
      body: JSON.stringify({ mode: 'hash' }),
    });
    expect(viaHttp.json).toEqual({ mode: 'hash' });
    expect(sb.state.storage).toBe('hash');
  });
});
