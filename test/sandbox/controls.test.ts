// Test controls under /__sandbox/ and on the Sandbox object: counters, request log (redacted),
// latency settings, seeded fault injection, reset.
import { afterAll, beforeAll, beforeEach, describe, expect, it } from 'vitest';
import { type Sandbox, startSandbox } from '../../sandbox/index.js';
import { get, obj, SMALL } from './sandbox-helpers.js';

let sb: Sandbox;
beforeAll(async () => {
  sb = await startSandbox({ sizes: SMALL, seed: 9 });
});
afterAll(() => sb.close());
beforeEach(async () => {
  await fetch(`${sb.url}/__sandbox/reset`, {
    method: 'POST',
    body: JSON.stringify({ faults: true }),
  });
});

const post = (path: string, body: unknown) =>
  get(`${sb.url}${path}`, { method: 'POST', body: JSON.stringify(body) });

describe('call counts and request log', () => {
  it('counts API calls per route id; control calls are not counted', async () => {
    await get(`${sb.url}/api/public/datafiles/?limit=1`);
    await get(`${sb.url}/api/public/datafiles/?limit=2`);
    await get(`${sb.url}/api/public/projects/`);
    await get(`${sb.url}/api/direct-sharing/project/`);
    const viaHttp = obj(await get(`${sb.url}/__sandbox/calls`));
    expect(viaHttp).toEqual({ P1: 2, P10: 1, D1: 1 });
    expect(sb.calls()).toEqual({ P1: 2, P10: 1, D1: 1 });
    sb.resetCalls();
    expect(sb.calls()).toEqual({});
  });

  it('logs requests with every token redacted', async () => {
    const member = Object.values(sb.memberTokens)[0] ?? '';
    await get(`${sb.url}/api/direct-sharing/project/?access_token=${sb.masterToken}`);
    await get(`${sb.url}/api/direct-sharing/project/`, {
      headers: { authorization: `Bearer ${member}` },
    });
    const dl = obj(
      await get(`${sb.url}/api/public/datafile/${sb.store.publicIndexes().all[0]?.id}/`),
    ).download_url as string;
    const redirect = await get(dl.replace('https://www.openhumans.org', sb.url));
    await get(redirect.headers.get('location') ?? '');
    const logText = (await get(`${sb.url}/__sandbox/requests`)).text;
    const key = new URL(dl).searchParams.get('key') ?? '';
    for (const secret of [sb.masterToken, member, key]) expect(logText).not.toContain(secret);
    expect(logText).not.toMatch(/Signature=[^[]/);
    const log = sb.requests();
    expect(log.map((e) => e.route)).toEqual(['D1', 'D1', 'P2', 'DOWNLOAD', 'S3_GET']);
    expect(log[0]?.url).toBe('/api/direct-sharing/project/?access_token=[REDACTED]');
    expect(log[1]?.authorization).toBe('Bearer [REDACTED]');
    expect(log.map((e) => e.status)).toEqual([200, 200, 200, 302, 200]);
  });
});

describe('latency', () => {
  it('is configurable over HTTP and programmatically; calls still succeed', async () => {
    expect(obj(await post('/__sandbox/latency', { ms: 5, jitterMs: 3 }))).toEqual({
      ms: 5,
      jitterMs: 3,
    });
    expect((await get(`${sb.url}/api/public/datatypes/`)).status).toBe(200);
    sb.setLatency({ ms: 0, jitterMs: 0 });
    expect(obj(await get(`${sb.url}/__sandbox/latency`))).toEqual({ ms: 0, jitterMs: 0 });
    expect((await post('/__sandbox/latency', { ms: 'soon' })).status).toBe(400);
  });
});

describe('fault injection', () => {
  it('answers injected status codes with HTML bodies on the chosen route only', async () => {
    expect(
      (await post('/__sandbox/faults', { rules: [{ route: 'P1', kind: 'status', status: 502 }] }))
        .status,
    ).toBe(200);
    const hit = await get(`${sb.url}/api/public/datafiles/`);
    expect(hit.status).toBe(502);
    expect(hit.headers.get('content-type')).toContain('text/html');
    expect((await get(`${sb.url}/api/public/datatypes/`)).status).toBe(200);
    expect(sb.calls()).toEqual({ P1: 1, P3: 1 });
    expect(sb.requests()[0]?.fault).toBe('status');
  });

  it('is seeded: the same seed and probability give the same hit pattern; times caps it', async () => {
    const pattern = async () => {
      sb.setFaults({
        seed: 42,
        rules: [{ route: '*', kind: 'status', status: 503, probability: 0.5 }],
      });
      const out: number[] = [];
      for (let i = 0; i < 16; i++) out.push((await get(`${sb.url}/api/public/datatype/1/`)).status);
      return out;
    };
    const a = await pattern();
    expect(await pattern()).toEqual(a);
    expect(a).toContain(503);
    expect(a).toContain(200);
    sb.setFaults({ rules: [{ route: 'P4', kind: 'status', status: 500, times: 2 }] });
    const statuses = [];
    for (let i = 0; i < 4; i++)
      statuses.push((await get(`${sb.url}/api/public/datatype/1/`)).status);
    expect(statuses).toEqual([500, 500, 200, 200]);
  });

  it('resets connections', async () => {
    sb.setFaults({ rules: [{ route: 'P10', kind: 'reset' }] });
    await expect(fetch(`${sb.url}/api/public/projects/`)).rejects.toThrow();
  });

  it('hangs until the client gives up', async () => {
    sb.setFaults({ rules: [{ route: 'P10', kind: 'hang' }] });
    await expect(
      fetch(`${sb.url}/api/public/projects/`, { signal: AbortSignal.timeout(300) }),
    ).rejects.toThrow();
  });

  it('truncates JSON bodies', async () => {
    sb.setFaults({ rules: [{ route: 'P10', kind: 'truncate' }] });
    const attempt = async () =>
      JSON.parse(await (await fetch(`${sb.url}/api/public/projects/`)).text()) as unknown;
    await expect(attempt()).rejects.toThrow();
  });

  it('rejects malformed fault configs and can be cleared', async () => {
    expect(
      (await post('/__sandbox/faults', { rules: [{ route: 'NOPE', kind: 'status' }] })).status,
    ).toBe(400);
    await post('/__sandbox/faults', { rules: [{ route: 'P10', kind: 'status' }] });
    expect((await get(`${sb.url}/api/public/projects/`)).status).toBe(503);
    await get(`${sb.url}/__sandbox/faults`, { method: 'DELETE' });
    expect((await get(`${sb.url}/api/public/projects/`)).status).toBe(200);
  });
});

describe('reset', () => {
  it('resets counters and log; with data: true it regenerates the data from the seed', async () => {
    const victim = sb.store.publicIndexes().all[0];
    const before = (await get(`${sb.url}/api/public/datafiles/?limit=1`)).json as { count: number };
    sb.store.removeFile(victim?.id ?? -1);
    expect(
      ((await get(`${sb.url}/api/public/datafiles/?limit=1`)).json as { count: number }).count,
    ).toBe(before.count - 1);
    expect((await post('/__sandbox/reset', { data: true })).status).toBe(200);
    expect(sb.calls()).toEqual({});
    expect(sb.requests()).toEqual([]);
    expect(
      ((await get(`${sb.url}/api/public/datafiles/?limit=1`)).json as { count: number }).count,
    ).toBe(before.count);
    expect(sb.store.file(victim?.id ?? -1)).toBeDefined();
    expect(
      (
        await get(`${sb.url}/api/direct-sharing/project/`, {
          headers: { authorization: `Bearer ${sb.masterToken}` },
        })
      ).status,
    ).toBe(200);
  });
});
