// DRF LimitOffsetPagination edges (docs/upstream.md §3), on public lists of the sandbox.
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { type Sandbox, startSandbox } from '../../sandbox/index.js';
import { getWithHeaders, page, SMALL } from './sandbox-helpers.js';

let sb: Sandbox;
let total: number;
beforeAll(async () => {
  sb = await startSandbox({ sizes: SMALL, seed: 3 });
  total = sb.store.publicIndexes().all.length;
});
afterAll(() => sb.close());

const files = (q: string) => page(`${sb.url}/api/public/datafiles/${q}`);
const base = () => `${sb.url}/api/public/datafiles/`;

describe('LimitOffsetPagination', () => {
  it('defaults to 100 with a next link and no previous', async () => {
    const p = await files('');
    expect(total).toBeGreaterThan(200);
    expect(p.count).toBe(total);
    expect(p.results).toHaveLength(100);
    expect(p.next).toBe(`${base()}?limit=100&offset=100`);
    expect(p.previous).toBeNull();
  });

  it('walks next links over the whole list without gaps or repeats', async () => {
    const seen: unknown[] = [];
    let url: string | null = `${base()}?limit=150`;
    while (url) {
      const p = await page(url);
      seen.push(...p.results.map((r) => r.id));
      url = p.next;
    }
    expect(seen).toEqual(sb.store.publicIndexes().all.map((f) => f.id));
  });

  it('drops offset from previous when it would be <= 0, else subtracts limit', async () => {
    expect((await files('?limit=5&offset=5')).previous).toBe(`${base()}?limit=5`);
    expect((await files('?limit=5&offset=3')).previous).toBe(`${base()}?limit=5`);
    expect((await files('?limit=5&offset=12')).previous).toBe(`${base()}?limit=5&offset=7`);
    expect((await files('?limit=5&offset=0')).previous).toBeNull();
  });

  it('re-encodes all parameters in sorted key order, keeping unknown ones and the query token', async () => {
    const p = await files(
      '?zeta=1&limit=5&offset=5&alpha=a%20b&access_token=NOT-A-REAL-TOKEN&x=%C3%A9',
    );
    expect(p.next).toBe(
      `${base()}?access_token=NOT-A-REAL-TOKEN&alpha=a+b&limit=5&offset=10&x=%C3%A9&zeta=1`,
    );
    expect(p.previous).toBe(
      `${base()}?access_token=NOT-A-REAL-TOKEN&alpha=a+b&limit=5&x=%C3%A9&zeta=1`,
    );
  });

  it('keeps repeated parameters (doseq) and uses the last value of limit/offset', async () => {
    const p = await files('?tag=b&tag=a&limit=3&limit=7&offset=1&offset=7');
    expect(p.results).toHaveLength(7);
    expect(p.next).toBe(`${base()}?limit=7&offset=14&tag=b&tag=a`);
    expect(p.previous).toBe(`${base()}?limit=7&tag=b&tag=a`);
  });

  it('returns an empty page at and past the end, previous still pointing back', async () => {
    const at = await files(`?limit=10&offset=${total}`);
    expect(at.results).toEqual([]);
    expect(at.next).toBeNull();
    expect(at.count).toBe(total);
    const past = await files(`?limit=10&offset=${total + 50}`);
    expect(past.results).toEqual([]);
    expect(past.next).toBeNull();
    expect(past.count).toBe(total);
    expect(past.previous).toBe(`${base()}?limit=10&offset=${total + 40}`);
    const last = await files(`?limit=10&offset=${total - 3}`);
    expect(last.results).toHaveLength(3);
    expect(last.next).toBeNull();
  });

  it('answers an empty list with count 0', async () => {
    const empty = sb.store.listProjects().find((p) => p.approved && p.noPublicData);
    const p = await page(`${sb.url}/api/public/project/${empty?.id}/datafiles/`);
    expect(p).toEqual({ count: 0, next: null, previous: null, results: [] });
  });

  it('falls back to limit 100 for zero, negative or non-integer limits (no 400)', async () => {
    for (const bad of ['0', '-5', 'abc', '1.5', '', '5x']) {
      const p = await files(`?limit=${bad}`);
      expect(p.results, `limit=${bad}`).toHaveLength(100);
      expect(p.next).toBe(`${base()}?limit=100&offset=100`);
    }
  });

  it('parses like Python int(): whitespace, + sign, underscores', async () => {
    expect((await files('?limit=%205%20')).results).toHaveLength(5);
    expect((await files('?limit=%2B4')).results).toHaveLength(4);
    expect((await files('?limit=1_0')).results).toHaveLength(10);
  });

  it('treats a negative or non-integer offset as 0', async () => {
    const first = await files('?limit=4');
    for (const bad of ['-3', 'abc', '2.5']) {
      const p = await files(`?limit=4&offset=${bad}`);
      expect(p.results.map((r) => r.id)).toEqual(first.results.map((r) => r.id));
      expect(p.previous).toBeNull();
    }
  });

  it('has no maximum limit', async () => {
    const p = await files('?limit=1000000');
    expect(p.results).toHaveLength(total);
    expect(p.next).toBeNull();
  });

  it('builds links from the request Host (and X-Forwarded-Proto), not from www.openhumans.org', async () => {
    const r = await getWithHeaders(`${sb.url}/api/public/projects/?limit=2`, {
      host: 'oh.example.test:8443',
      'x-forwarded-proto': 'https',
    });
    expect(JSON.parse(r.body).next).toBe(
      'https://oh.example.test:8443/api/public/projects/?limit=2&offset=2',
    );
    const plain = await getWithHeaders(`${sb.url}/api/public/projects/?limit=2`, {
      host: 'mirror.example.test',
    });
    expect(JSON.parse(plain.body).next).toBe(
      'http://mirror.example.test/api/public/projects/?limit=2&offset=2',
    );
  });

  it('pages every list view the same way (P3, P6, P10, P13)', async () => {
    for (const path of [
      '/api/public/datatypes/',
      '/api/public/members/',
      '/api/public/projects/',
      `/api/public/project/${sb.projectId}/members/`,
    ]) {
      const p = await page(`${sb.url}${path}?limit=2&offset=2`);
      expect(p.results, path).toHaveLength(2);
      expect(p.previous, path).toBe(`${sb.url}${path}?limit=2`);
      expect(p.next, path).toBe(`${sb.url}${path}?limit=2&offset=4`);
    }
  });
});
