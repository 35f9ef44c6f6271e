// File downloads (docs/upstream.md §2.4): a new key per serialization, valid 1 hour, 302 to the
// sandbox's own signed S3-like GET that serves deterministic bytes.
import { createHash } from 'node:crypto';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { seededBytes } from '../../sandbox/data/bytes.js';
import { type Sandbox, startSandbox } from '../../sandbox/index.js';
import { mintDownloadKey } from '../../sandbox/signing.js';
import { get, obj, onSandbox, SMALL } from './sandbox-helpers.js';

let sb: Sandbox;
let clock = Date.UTC(2026, 2, 1, 12);
beforeAll(async () => {
  sb = await startSandbox({ sizes: SMALL, seed: 5, now: () => clock });
});
afterAll(() => sb.close());

const fileId = () => sb.store.publicIndexes().all[2]?.id ?? -1;
async function downloadUrl(id = fileId()): Promise<string> {
  return onSandbox(
    obj(await get(`${sb.url}/api/public/datafile/${id}/`)).download_url as string,
    sb.url,
  );
}

describe('download keys', () => {
  it('mints a new key on every serialization', async () => {
    const a = await downloadUrl();
    const b = await downloadUrl();
    expect(a).not.toBe(b);
    expect(a.replace(/key=.*/, '')).toBe(b.replace(/key=.*/, ''));
  });

  it('redirects to a signed GET that serves the file bytes (size and md5 match)', async () => {
    const r = await get(await downloadUrl(), {});
    expect(r.status).toBe(302);
    const location = r.headers.get('location') ?? '';
    expect(
      location.startsWith(`${sb.url}/open-humans-production/member-files/direct-sharing-`),
    ).toBe(true);
    expect(location).toMatch(
      /\?Signature=[^&]+&Expires=\d+&AWSAccessKeyId=[^&]+&x-oh-key=[0-9a-f-]{36}$/,
    );
    const res = await fetch(location);
    expect(res.status).toBe(200);
    const bytes = Buffer.from(await res.arrayBuffer());
    const file = sb.store.file(fileId());
    expect(bytes.length).toBe(file?.size);
    const md5 = createHash('md5').update(bytes).digest('hex');
    expect(res.headers.get('etag')).toBe(`"${md5}"`);
    if (!file) throw new Error('the served file is not in the store');
    expect(sb.store.md5Of(file)).toBe(md5);
  });

  it('serves the same bytes for the same seed, different bytes for another seed', async () => {
    const fetchBytes = async (s: Sandbox, id: number) => {
      const dl = onSandbox(
        obj(await get(`${s.url}/api/public/datafile/${id}/`)).download_url as string,
        s.url,
      );
      const loc = (await get(dl)).headers.get('location') ?? '';
      return Buffer.from(await (await fetch(loc)).arrayBuffer());
    };
    const twin = await startSandbox({ sizes: SMALL, seed: 5 });
    const other = await startSandbox({ sizes: SMALL, seed: 6 });
    try {
      const id = fileId();
      expect((await fetchBytes(twin, id)).equals(await fetchBytes(sb, id))).toBe(true);
      // Content depends on the seed: the other sandbox's file, regenerated with this seed, differs.
      const otherFile = other.store.publicIndexes().all[2];
      const served = await fetchBytes(other, otherFile?.id ?? -1);
      expect(served.length).toBe(otherFile?.size);
      expect(served.equals(seededBytes(5, otherFile?.id ?? -1, otherFile?.size ?? 0))).toBe(false);
      expect(served.equals(seededBytes(6, otherFile?.id ?? -1, otherFile?.size ?? 0))).toBe(true);
    } finally {
      await twin.close();
      await other.close();
    }
  });

  it('keys last one hour', async () => {
    const url = await downloadUrl();
    clock += 59 * 60_000;
    expect((await get(url)).status).toBe(302);
    clock += 60_000;
    const expired = await get(url);
    expect(expired.status).toBe(403);
    expect(expired.text).toContain('<h1>You are not authorized to view this file.</h1>');
    clock -= 60 * 60_000;
  });

  it("refuses missing, malformed, and other files' keys with the 403 page", async () => {
    const url = await downloadUrl();
    const key = new URL(url).searchParams.get('key');
    const other = sb.store.publicIndexes().all[3]?.id;
    for (const bad of [
      `${sb.url}/data-management/datafile-download/${fileId()}/`,
      `${sb.url}/data-management/datafile-download/${fileId()}/?key=nonsense`,
      `${sb.url}/data-management/datafile-download/${fileId()}/?key=${key?.replace(/.$/, (c) => (c === '0' ? '1' : '0'))}`,
      `${sb.url}/data-management/datafile-download/${other}/?key=${key}`,
    ]) {
      const r = await get(bad);
      expect(r.status, bad).toBe(403);
      expect(r.headers.get('content-type')).toContain('text/html');
      expect(r.text).toContain('You are not authorized to view this file.');
    }
  });

  it('answers "This file is unavailable." for incomplete or deleted files', async () => {
    const incomplete = sb.store
      .filesOfUserAll(
        sb.store
          .membershipsOf(sb.projectId)
          .map((m) => m.userId)
          .find((u) => sb.store.filesOfUserAll(u).some((f) => !f.completed)) ?? -1,
      )
      .find((f) => !f.completed);
    if (!incomplete) throw new Error('the seed has no incomplete file');
    const key = mintDownloadKey(sb.state.secret, incomplete.id, clock);
    const r = await get(`${sb.url}/data-management/datafile-download/${incomplete.id}/?key=${key}`);
    expect(r.status).toBe(403);
    expect(r.text).toContain('<h1>This file is unavailable.</h1>');
  });
});

describe('signed S3 GET', () => {
  it('expires after 10 minutes and rejects tampered signatures with S3 XML errors', async () => {
    const location = (await get(await downloadUrl())).headers.get('location') ?? '';
    const tampered = await get(location.replace(/Signature=[^&]+/, 'Signature=AAAA'));
    expect(tampered.status).toBe(403);
    expect(tampered.text).toContain('<Code>SignatureDoesNotMatch</Code>');
    const unsigned = await get(location.replace(/\?.*/, ''));
    expect(unsigned.status).toBe(403);
    expect(unsigned.text).toContain('<Code>AccessDenied</Code>');
    clock += 10 * 60_000;
    const late = await get(location);
    expect(late.status).toBe(403);
    expect(late.text).toContain('Request has expired');
    clock -= 10 * 60_000;
  });
});
