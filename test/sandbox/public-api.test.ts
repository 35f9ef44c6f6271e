// Contract tests for the public API P1–P13 (docs/upstream.md §2.1, §5) against the sandbox.
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { DataFile } from '../../sandbox/data/types.js';
import { type Sandbox, startSandbox } from '../../sandbox/index.js';
import { get, ORG, obj, page, SMALL } from './sandbox-helpers.js';

let sb: Sandbox;
beforeAll(async () => {
  sb = await startSandbox({ sizes: SMALL, seed: 7 });
});
afterAll(() => sb.close());

const FILE_KEYS = [
  'id',
  'basename',
  'created',
  'datatypes',
  'download_url',
  'metadata',
  'source_project',
  'user',
];
const PROJECT_KEYS = [
  'active',
  'approved',
  'authorized_members',
  'badge_image',
  'contact_email',
  'id',
  'id_label',
  'info_url',
  'is_academic_or_nonprofit',
  'is_study',
  'leader',
  'long_description',
  'name',
  'organization',
  'registered_datatypes',
  'requested_sources',
  'request_sources_access',
  'request_username_access',
  'returned_data_description',
  'short_description',
  'slug',
  'type',
];
const DATATYPE_KEYS = [
  'id',
  'name',
  'parent',
  'children',
  'description',
  'details',
  'uploadable',
  'source_projects',
];

/** Expected public files, computed independently from the raw data (username, then id). */
function expectedPublic(filter: (f: DataFile) => boolean = () => true): number[] {
  const { store } = sb;
  const files: DataFile[] = [];
  for (let id = 0; id < 100_000; id++) {
    const f = store.file(id);
    if (f && store.isPublic(f) && filter(f)) files.push(f);
  }
  const name = (f: DataFile) => store.user(f.userId)?.username ?? '';
  return files
    .sort((a, b) => (name(a) === name(b) ? a.id - b.id : name(a) < name(b) ? -1 : 1))
    .map((f) => f.id);
}

function hiddenPublicFile(): DataFile {
  const ids = expectedPublic((f) => sb.store.membership(f.projectId, f.userId)?.visible === false);
  const f = sb.store.file(ids[0] ?? -1);
  if (!f) throw new Error('seed has no hidden public file');
  return f;
}

describe('P1 /api/public/datafiles/', () => {
  it('lists public files by username then id, with the exact serializer keys and absolute links', async () => {
    const expected = expectedPublic();
    const p = await page(`${sb.url}/api/public/datafiles/?limit=1000000`);
    expect(p.count).toBe(expected.length);
    expect(p.results.map((r) => r.id)).toEqual(expected);
    expect(Object.keys(p)).toEqual(['count', 'next', 'previous', 'results']);
    const first = p.results[0] as Record<string, unknown>;
    expect(Object.keys(first)).toEqual(FILE_KEYS);
    // The fast list path renders exactly what the detail serializer renders (apart from the key).
    const detail = obj(await get(`${sb.url}/api/public/datafile/${String(first.id)}/`));
    const noKey = (o: Record<string, unknown>) => ({
      ...o,
      download_url: String(o.download_url).replace(/key=.*/, ''),
    });
    expect(JSON.stringify(noKey(detail))).toBe(JSON.stringify(noKey(first)));
    expect(first.source_project).toMatch(
      /^https:\/\/www\.openhumans\.org\/api\/public\/project\/\d+\/$/,
    );
    for (const dt of first.datatypes as string[])
      expect(dt).toMatch(/^https:\/\/www\.openhumans\.org\/api\/public\/datatype\/\d+\/$/);
    expect(first.download_url).toMatch(
      /^https:\/\/www\.openhumans\.org\/data-management\/datafile-download\/\d+\/\?key=[0-9a-f-]{36}$/,
    );
    expect(first.created).toMatch(/^\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d\.\d{6}Z$/);
    const f = sb.store.file(first.id as number);
    const u = sb.store.user(f?.userId ?? -1);
    expect(first.user).toEqual({ id: u?.id, name: u?.name, username: u?.username });
  });

  it('ignores list filters (production pins drop filter_class)', async () => {
    const some = sb.store.publicIndexes().all[5] as DataFile;
    const user = sb.store.user(some.userId)?.username ?? '';
    const plain = await page(`${sb.url}/api/public/datafiles/?limit=50`);
    const filtered = await page(
      `${sb.url}/api/public/datafiles/?limit=50&source_project_id=${some.projectId}&datatype_id=1&username=${user}`,
    );
    expect(filtered.count).toBe(plain.count);
    // Same rows; only hidden-membership rows may turn into {} because of ?username= (next test).
    filtered.results.forEach((r, i) => {
      const q = plain.results[i] as Record<string, unknown>;
      if (Object.keys(r).length === 0)
        expect(q.user).toEqual({ id: null, name: null, username: null });
      else expect(r.id).toBe(q.id);
    });
    expect(filtered.results.filter((r) => r.id !== undefined).length).toBeGreaterThan(40);
  });

  it('renders hidden memberships with null user fields, and as {} when ?username= contains the owner', async () => {
    const f = hiddenPublicFile();
    const owner = sb.store.user(f.userId)?.username ?? '';
    const all = await page(`${sb.url}/api/public/datafiles/?limit=1000000`);
    const row = all.results.find((r) => r.id === f.id);
    expect(row?.user).toEqual({ id: null, name: null, username: null });
    const index = all.results.findIndex((r) => r.id === f.id);
    const filtered = await page(
      `${sb.url}/api/public/datafiles/?limit=1000000&username=xx${owner}yy`,
    );
    expect(filtered.count).toBe(all.count);
    expect(filtered.results[index]).toEqual({});
    expect(
      filtered.results.filter((r) => Object.keys(r).length === 0).length,
    ).toBeGreaterThanOrEqual(1);
    const detail = await get(`${sb.url}/api/public/datafile/${f.id}/?username=${owner}`);
    expect(detail.status).toBe(200);
    expect(detail.json).toEqual({});
  });
});

describe('P2 /api/public/datafile/<id>/', () => {
  it('returns one public file; 404 JSON for private or unknown ids; Django HTML 404 for non-numeric', async () => {
    const id = sb.store.publicIndexes().all[0]?.id ?? -1;
    const ok = await get(`${sb.url}/api/public/datafile/${id}/`);
    expect(ok.status).toBe(200);
    expect(Object.keys(obj(ok))).toEqual(FILE_KEYS);
    const priv = [...Array(100_000).keys()]
      .map((i) => sb.store.file(i))
      .find((f) => f && !sb.store.isPublic(f));
    for (const bad of [priv?.id, 99_999_999]) {
      const nf = await get(`${sb.url}/api/public/datafile/${bad}/`);
      expect(nf.status).toBe(404);
      expect(nf.text).toBe('{"detail":"No ProjectDataFile matches the given query."}');
    }
    const html = await get(`${sb.url}/api/public/datafile/abc/`);
    expect(html.status).toBe(404);
    expect(html.headers.get('content-type')).toContain('text/html');
  });

  it('routes like Django: unanchored re_path tolerates trailing text; APPEND_SLASH redirects', async () => {
    const id = sb.store.publicIndexes().all[0]?.id ?? -1;
    const extra = await get(`${sb.url}/api/public/datafile/${id}/whatever`);
    expect(extra.status).toBe(200);
    expect(obj(extra).id).toBe(id);
    const noSlash = await get(`${sb.url}/api/public/datafile/${id}?username=a`);
    expect(noSlash.status).toBe(301);
    expect(noSlash.headers.get('location')).toBe(`/api/public/datafile/${id}/?username=a`);
    const list = await get(`${sb.url}/api/public/datafiles`);
    expect(list.status).toBe(301);
    expect(list.headers.get('location')).toBe('/api/public/datafiles/');
    const post = await get(`${sb.url}/api/public/datafiles/`, { method: 'POST' });
    expect(post.status).toBe(405);
    expect(post.text).toBe('{"detail":"Method \\"POST\\" not allowed."}');
    expect((await get(`${sb.url}/api/public/nothing-here/`)).status).toBe(404);
  });
});

describe('P3/P4 datatypes', () => {
  it('lists all datatypes by id with relative source_projects and ignores filters', async () => {
    const p = await page(`${sb.url}/api/public/datatypes/?source_project_id=1&uploadable=false`);
    expect(p.count).toBe(25);
    expect(p.results.map((r) => r.id)).toEqual([...Array(25).keys()].map((i) => i + 1));
    const withChildren = p.results.find((r) => (r.children as number[]).length > 0) as Record<
      string,
      unknown
    >;
    expect(Object.keys(withChildren)).toEqual(DATATYPE_KEYS);
    const child = p.results.find((r) => r.id === (withChildren.children as number[])[0]);
    expect(child?.parent).toBe(withChildren.id);
    for (const sp of p.results.flatMap((r) => r.source_projects as string[]))
      expect(sp).toMatch(/^\/api\/public\/project\/\d+\/$/);
  });

  it('P4 returns one datatype; 404 with the DataType message', async () => {
    expect(obj(await get(`${sb.url}/api/public/datatype/3/`)).id).toBe(3);
    const nf = await get(`${sb.url}/api/public/datatype/999/`);
    expect(nf.status).toBe(404);
    expect(nf.json).toEqual({ detail: 'No DataType matches the given query.' });
  });
});

describe('P5 /api/public/datatype/<id>/datafiles/', () => {
  const root = () =>
    sb.store.listDataTypes().find((d) => d.children.length > 0 && d.parent === null);

  it('filters by the datatype, and with include_children by its descendants (duplicates kept)', async () => {
    const d = root();
    if (!d) throw new Error('no root datatype');
    const only = await page(`${sb.url}/api/public/datatype/${d.id}/datafiles/?limit=1000000`);
    expect(only.results.map((r) => r.id)).toEqual(
      expectedPublic((f) => f.datatypes.includes(d.id)),
    );
    const tree = new Set([d.id, ...sb.store.descendants(d.id)]);
    const withKids = await page(
      `${sb.url}/api/public/datatype/${d.id}/datafiles/?include_children=YES&limit=1000000`,
    );
    const expectedRows = expectedPublic((f) => f.datatypes.some((t) => tree.has(t))).flatMap(
      (id) =>
        Array(sb.store.file(id)?.datatypes.filter((t) => tree.has(t)).length ?? 0).fill(
          id,
        ) as number[],
    );
    expect(withKids.results.map((r) => r.id)).toEqual(expectedRows);
    expect(withKids.count).toBeGreaterThan(only.count);
    for (const v of ['0', 'off', 'N', 'false']) {
      expect(
        (await page(`${sb.url}/api/public/datatype/${d.id}/datafiles/?include_children=${v}`))
          .count,
      ).toBe(only.count);
    }
  });

  it('answers the HTML 500 page for a bad include_children or an unknown datatype', async () => {
    const d = root();
    for (const url of [
      `/api/public/datatype/${d?.id}/datafiles/?include_children=maybe`,
      '/api/public/datatype/9999/datafiles/',
    ]) {
      const r = await get(`${sb.url}${url}`);
      expect(r.status).toBe(500);
      expect(r.headers.get('content-type')).toContain('text/html');
      expect(r.text).toContain('Server Error (500)');
    }
  });
});

describe('members P6–P9', () => {
  it('P6 lists active members by username, ignoring filters; P7 details; 404 otherwise', async () => {
    const expected = sb.store.publicMembers().map((u) => u.username);
    const p = await page(`${sb.url}/api/public/members/?limit=1000000&username=zzz&name=zzz`);
    expect(p.results.map((r) => r.username)).toEqual(expected);
    expect(expected).not.toContain('api-administrator');
    expect([...expected].sort()).toEqual(expected);
    const u = sb.store.publicMembers()[3];
    expect(p.results[3]).toEqual({
      name: u?.name,
      profile_url: `${ORG}/member/${u?.username}/`,
      username: u?.username,
    });
    expect((await get(`${sb.url}/api/public/member/${u?.username}/`)).json).toEqual(p.results[3]);
    const nf = await get(`${sb.url}/api/public/member/nobody_here/`);
    expect(nf.status).toBe(404);
    expect(nf.json).toEqual({ detail: 'No Member matches the given query.' });
  });

  it("P8 lists one member's public files of visible memberships; unknown member → 500", async () => {
    const f = sb.store
      .publicIndexes()
      .all.find((x) => sb.store.membership(x.projectId, x.userId)?.visible) as DataFile;
    const user = sb.store.user(f.userId);
    const p = await page(`${sb.url}/api/public/member/${user?.username}/datafiles/?limit=1000000`);
    const expected = expectedPublic((x) => {
      const m = sb.store.membership(x.projectId, x.userId);
      return (
        x.userId === f.userId &&
        m?.visible === true &&
        m.joined &&
        m.authorized &&
        sb.store.project(x.projectId)?.approved === true
      );
    });
    expect(p.results.map((r) => r.id)).toEqual(expected);
    expect((await get(`${sb.url}/api/public/member/nobody_here/datafiles/`)).status).toBe(500);
    expect((await get(`${sb.url}/api/public/member/nobody_here/projects/`)).status).toBe(500);
  });

  it('P9 lists approved projects of visible memberships', async () => {
    const m = sb.store.membershipsOf(sb.projectId).find((x) => x.visible && x.joined);
    const user = sb.store.user(m?.userId ?? -1);
    const p = await page(`${sb.url}/api/public/member/${user?.username}/projects/`);
    expect(p.results.map((r) => r.id)).toContain(sb.projectId);
    for (const r of p.results) expect(r.approved).toBe(true);
  });
});

describe('projects P10–P13', () => {
  it('P10 lists approved projects by name with relative URL lists, ignoring filters', async () => {
    const p = await page(`${sb.url}/api/public/projects/?active=false&id=1&name=zzz`);
    const expected = sb.store
      .listProjects()
      .filter((x) => x.approved)
      .sort((a, b) => (a.name < b.name ? -1 : 1))
      .map((x) => x.id);
    expect(p.results.map((r) => r.id)).toEqual(expected);
    const own = p.results.find((r) => r.id === sb.projectId) as Record<string, unknown>;
    expect(Object.keys(own)).toEqual(PROJECT_KEYS);
    expect(own.id_label).toBe(`direct-sharing-${sb.projectId}`);
    for (const u of own.registered_datatypes as string[])
      expect(u).toMatch(/^\/api\/public\/datatype\/\d+\/$/);
    for (const u of own.requested_sources as string[])
      expect(u).toMatch(/^\/api\/public\/project\/\d+\/$/);
    expect(own.authorized_members).toBe(sb.store.activeMembers(sb.projectId).length);
  });

  it('P11 shows approved projects only', async () => {
    expect(obj(await get(`${sb.url}/api/public/project/${sb.projectId}/`)).id).toBe(sb.projectId);
    const nf = await get(`${sb.url}/api/public/project/${sb.secondProject.projectId}/`);
    expect(nf.status).toBe(404);
    expect(nf.json).toEqual({ detail: 'No DataRequestProject matches the given query.' });
  });

  it('P12 filters by project; unknown or unapproved project → 500; without the slash it is P11 (unanchored)', async () => {
    const pid = sb.store.publicIndexes().all[0]?.projectId ?? -1;
    const p = await page(`${sb.url}/api/public/project/${pid}/datafiles/?limit=1000000`);
    expect(p.results.map((r) => r.id)).toEqual(expectedPublic((f) => f.projectId === pid));
    expect((await get(`${sb.url}/api/public/project/99999/datafiles/`)).status).toBe(500);
    expect(
      (await get(`${sb.url}/api/public/project/${sb.secondProject.projectId}/datafiles/`)).status,
    ).toBe(500);
    const quirk = await get(`${sb.url}/api/public/project/${pid}/datafiles`);
    expect(quirk.status).toBe(200);
    expect(Object.keys(obj(quirk))).toEqual(PROJECT_KEYS);
  });

  it('P13 lists visible active members by username, with or without the trailing slash', async () => {
    const expected = sb.store
      .membershipsOf(sb.projectId)
      .filter((m) => m.visible && m.joined && m.authorized && sb.store.user(m.userId)?.active)
      .map((m) => sb.store.user(m.userId)?.username ?? '')
      .sort();
    const hidden = sb.store.membershipsOf(sb.projectId).filter((m) => !m.visible).length;
    expect(hidden).toBeGreaterThan(0);
    for (const suffix of ['members', 'members/']) {
      const p = await page(`${sb.url}/api/public/project/${sb.projectId}/${suffix}?limit=1000`);
      expect(p.results.map((r) => r.username)).toEqual(expected);
    }
    expect((await get(`${sb.url}/api/public/project/99999/members/`)).status).toBe(500);
  });
});

describe('DRF format override', () => {
  it('serves .json suffixes and ?format=json; unknown formats are DRF 404s', async () => {
    const plain = await page(`${sb.url}/api/public/projects/?limit=3`);
    const suffixed = await get(`${sb.url}/api/public/projects.json?limit=3`);
    expect(suffixed.status).toBe(200);
    expect((suffixed.json as { results: unknown[] }).results).toEqual(plain.results);
    const detail = await get(`${sb.url}/api/public/project/${sb.projectId}.json`);
    expect(obj(detail).id).toBe(sb.projectId);
    expect((await get(`${sb.url}/api/public/projects/?format=json`)).status).toBe(200);
    for (const url of ['/api/public/projects.xml', '/api/public/projects/?format=xml']) {
      const r = await get(`${sb.url}${url}`);
      expect(r.status, url).toBe(404);
      expect(r.json).toEqual({ detail: 'Not found.' });
    }
  });
});
