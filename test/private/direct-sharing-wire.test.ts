import { describe, expect, it } from 'vitest';
import { TokenKind, tokenKey, tokenKindOf } from '../../src/auth/token.js';
import { memberTag, TokenScopedCache } from '../../src/auth/token-scoped-cache.js';
import {
  projectIdFromLabel,
  toMemberFilesPage,
  toMemberFromList,
} from '../../src/datasources/direct-sharing-wire.js';

const ORIGIN = 'https://www.openhumans.org';
const BASE = 'http://127.0.0.1:9999';
const FAKE_MASTER = 'FAKEmasterTOKEN'.padEnd(64, 'x');

const file = (id: number, source: number) => ({
  id,
  basename: `f${id}.json`,
  created: '2020-01-01T00:00:00.000000Z',
  datatypes: [`${ORIGIN}/api/public/datatype/${id % 3}/`],
  download_url: `${ORIGIN}/data-management/datafile-download/${id}/?key=fake-key`,
  metadata: { description: 'd', tags: ['t'] },
  source: `direct-sharing-${source}`,
  source_project: `${ORIGIN}/api/public/project/${source}/`,
});

const member = (files: ReturnType<typeof file>[], fileCount = files.length) => ({
  created: '2020-01-01T00:00:00.000000Z',
  project_member_id: '12345678',
  file_count: fileCount,
  exchange_member: `${ORIGIN}/api/direct-sharing/project/exchange-member/?project_member_id=12345678&access_token=${FAKE_MASTER}`,
  sources_shared: ['direct-sharing-13', 'direct-sharing-128'],
  data: files,
});

describe('token kinds', () => {
  it('tells master tokens (64 letters and digits) from member tokens', () => {
    expect(tokenKindOf(FAKE_MASTER)).toBe(TokenKind.MASTER);
    expect(tokenKindOf('fakeMemberToken0123456789abcde')).toBe(TokenKind.MEMBER);
    expect(tokenKindOf(`${FAKE_MASTER}y`)).toBe(TokenKind.MEMBER);
    expect(tokenKindOf(`${FAKE_MASTER.slice(0, 63)}-`)).toBe(TokenKind.MEMBER);
  });

  it('keys tokens by a hash that does not contain them', () => {
    expect(tokenKey(FAKE_MASTER)).toMatch(/^[0-9a-f]{64}$/);
    expect(tokenKey(FAKE_MASTER)).not.toContain(FAKE_MASTER.slice(0, 8));
    expect(tokenKey(FAKE_MASTER)).not.toBe(tokenKey(`${FAKE_MASTER.slice(0, 63)}y`));
  });
});

describe('direct-sharing wire mapping', () => {
  it('keeps embedded files only when they are all of them, in exchange-member order', () => {
    // Unordered, as production's `[:10]` on an unordered queryset sends them.
    const shuffled = [file(9, 128), file(4, 13), file(2, 128), file(7, 13)];
    const mapped = toMemberFromList(member(shuffled), BASE);
    // `source` compares as text: "direct-sharing-128" < "direct-sharing-13".
    expect(mapped.knownFiles?.map((f) => f.databaseId)).toEqual([2, 9, 4, 7]);
    expect(mapped.fileCount).toBe(4);
    expect(toMemberFromList(member(shuffled, 12), BASE).knownFiles).toBeNull();
  });

  it('reads ids from link paths, rebases downloads and drops the exchange_member link', () => {
    const mapped = toMemberFromList(member([file(5, 13)]), BASE);
    const [f] = mapped.knownFiles ?? [];
    expect(f).toMatchObject({
      databaseId: 5,
      dataTypeIds: [2],
      sourceProjectId: 13,
      source: 'direct-sharing-13',
    });
    expect(f?.downloadUrl).toBe(`${BASE}/data-management/datafile-download/5/?key=fake-key`);
    expect(mapped.username).toBeNull();
    expect(JSON.stringify(mapped)).not.toContain(FAKE_MASTER);
    expect(JSON.stringify(mapped)).not.toContain('exchange');
  });

  it('maps an exchange-member page; only a page at offset 0 seeds the known files', () => {
    const wire = {
      count: 3,
      next: null,
      previous: null,
      created: '2020-01-01T00:00:00Z',
      project_member_id: '87654321',
      sources_shared: [],
      username: 'someone',
      data: [file(1, 13)],
    };
    expect(toMemberFilesPage(wire, 0, BASE).member).toMatchObject({
      projectMemberId: '87654321',
      username: 'someone',
      fileCount: 3,
    });
    expect(toMemberFilesPage(wire, 0, BASE).member.knownFiles).toHaveLength(1);
    expect(toMemberFilesPage(wire, 2, BASE).member.knownFiles).toBeNull();
  });

  it('refuses bodies without the fields the graph needs (UPSTREAM_ERROR)', () => {
    expect(() => toMemberFromList({ project_member_id: 1 }, BASE)).toThrow(/unexpected/);
    expect(() => toMemberFilesPage({ data: [] }, 0, BASE)).toThrow(/unexpected/);
    // Files of a partial list are dropped unbuilt, but a malformed one still fails the page.
    const partial = (bad: unknown) => member([file(1, 13), bad as ReturnType<typeof file>], 12);
    expect(toMemberFromList(partial(file(2, 13)), BASE).knownFiles).toBeNull();
    expect(() => toMemberFromList(partial({ id: '2' }), BASE)).toThrow(/unexpected data file/);
    expect(() => toMemberFromList(partial({ ...file(2, 13), datatypes: [3] }), BASE)).toThrow(
      /unexpected data file/,
    );
  });

  it('reads project ids from source labels', () => {
    expect(projectIdFromLabel('direct-sharing-128')).toBe(128);
    expect(projectIdFromLabel('twenty_three_and_me')).toBeNull();
  });
});

describe('TokenScopedCache', () => {
  it("never answers one token with another token's entry", () => {
    const cache = new TokenScopedCache({ ttlMs: 60_000 });
    cache.forToken('tokenA-fake').set('D1 /x', 'A');
    expect(cache.forToken('tokenA-fake').get('D1 /x')).toBe('A');
    expect(cache.forToken('tokenB-fake').get('D1 /x')).toBeUndefined();
  });

  it("drops every token's entries that list a member", () => {
    const cache = new TokenScopedCache({ ttlMs: 60_000 });
    cache.forToken('master-fake').set('D2 page', 'list', [memberTag('1'), memberTag('2')]);
    cache.forToken('member-fake').set('D3 me', 'me', [memberTag('2')]);
    cache.forToken('master-fake').set('D3 other', 'other', [memberTag('3')]);
    cache.invalidateTag(memberTag('2'));
    expect(cache.forToken('master-fake').get('D2 page')).toBeUndefined();
    expect(cache.forToken('member-fake').get('D3 me')).toBeUndefined();
    expect(cache.forToken('master-fake').get('D3 other')).toBe('other');
  });
});
