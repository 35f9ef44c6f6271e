/**
 * Wire → model mapping of the public API (docs/upstream.md §5) and the loose metadata readers,
 * on bodies shaped like the production captures, including the quirks.
 */
import { describe, expect, it } from 'vitest';
import {
  idFromLink,
  profileUrlFor,
  rebaseDownloadUrl,
  toDataType,
  toListPage,
  toProject,
  toPublicDataFile,
  toPublicUser,
} from '../../src/datasources/wire.js';
import { FileDates, instantOf } from '../../src/datasources/wire-dates.js';
import { GatewayError } from '../../src/errors.js';

const BASE = 'http://127.0.0.1:8100';

/** The §5.1 capture, with the user redacted as in the doc. */
const CAPTURED_FILE = {
  id: 3305,
  basename: 'bacteria-kit-639.csv.bz2',
  created: '2016-02-09T01:36:08.377335Z',
  datatypes: ['https://www.openhumans.org/api/public/datatype/3/'],
  download_url:
    'https://www.openhumans.org/data-management/datafile-download/3305/?key=694b7f24-c159-4ddb-acf9-ef63dac5e7f1',
  metadata: { tags: ['bacteria', '16S'], description: 'Bacteria 16S-based OTU counts' },
  source_project: 'https://www.openhumans.org/api/public/project/142/',
  user: { id: 184, name: 'A Member', username: 'a_member' },
};

describe('toPublicDataFile', () => {
  it('maps the captured shape, reading ids from link paths and rebasing the download link', () => {
    const file = toPublicDataFile(CAPTURED_FILE, BASE);
    expect(file).toEqual({
      databaseId: 3305,
      basename: 'bacteria-kit-639.csv.bz2',
      created: '2016-02-09T01:36:08.377335Z',
      dates: expect.any(FileDates),
      dataTypeIds: [3],
      downloadUrl: `${BASE}/data-management/datafile-download/3305/?key=694b7f24-c159-4ddb-acf9-ef63dac5e7f1`,
      metadata: CAPTURED_FILE.metadata,
      sourceProjectId: 142,
      user: { username: 'a_member', name: 'A Member' },
    });
  });

  it('reads the dates in the conversion: the upload instant and the metadata dates as set', () => {
    const file = toPublicDataFile(CAPTURED_FILE, BASE);
    expect(file?.dates.createdAt).toBe('2016-02-09T01:36:08.377335Z');
    expect(file?.dates.metadataDates).toEqual({ creation: null, start: null, end: null });
    const dated = toPublicDataFile(
      {
        ...CAPTURED_FILE,
        created: 'not a date',
        metadata: { start_date: '2019-01', end_date: 5, creation_date: 'soon' },
      },
      BASE,
    );
    expect(dated?.dates.createdAt).toBeNull();
    expect(dated?.dates.metadataDates).toEqual({
      creation: { text: 'soon' },
      start: {
        text: '2019-01',
        precision: 'MONTH',
        utcOffset: null,
        instant: '2019-01-01T00:00:00.000Z',
      },
      end: {
        text: '5',
        precision: 'SECOND',
        utcOffset: '+00:00',
        instant: '1970-01-01T00:00:05.000Z',
      },
    });
  });

  it('leaves production download links alone against production', () => {
    const file = toPublicDataFile(CAPTURED_FILE, 'https://www.openhumans.org');
    expect(file?.downloadUrl).toBe(CAPTURED_FILE.download_url);
  });

  it('maps a hidden membership to a null user, and drops the `{}` placeholder', () => {
    const hidden = { ...CAPTURED_FILE, user: { id: null, name: null, username: null } };
    expect(toPublicDataFile(hidden, BASE)?.user).toBeNull();
    expect(toPublicDataFile({}, BASE)).toBeNull();
    const page = toListPage(
      { count: 3, next: null, previous: null, results: [CAPTURED_FILE, {}, hidden] },
      (i) => toPublicDataFile(i, BASE),
    );
    expect(page.totalCount).toBe(3);
    expect(page.items).toHaveLength(2);
  });

  it('fails loudly (UPSTREAM_ERROR) on a body that is not a file or not a list', () => {
    for (const bad of [null, 'x', { id: '3305' }, { basename: 'a' }]) {
      expect(() => toPublicDataFile(bad, BASE)).toThrow(GatewayError);
    }
    expect(() => toListPage({ results: [] }, (i) => i)).toThrow(/unexpected list/);
    expect(() => toListPage('<html>', (i) => i)).toThrow(GatewayError);
  });
});

describe('links and other shapes', () => {
  it('reads ids from absolute and relative links, never anything else', () => {
    expect(idFromLink('https://www.openhumans.org/api/public/project/142/', 'project')).toBe(142);
    expect(idFromLink('/api/public/datatype/7/', 'datatype')).toBe(7);
    expect(idFromLink('/api/public/datatype/7', 'datatype')).toBe(7);
    expect(idFromLink('/api/public/project/7/', 'datatype')).toBeNull();
    expect(idFromLink('/api/public/project/7/members/', 'project')).toBeNull();
  });

  it('rebases only the origin of a download link', () => {
    expect(
      rebaseDownloadUrl(
        'https://www.openhumans.org/data-management/datafile-download/1/?key=k',
        'http://localhost:9/x',
      ),
    ).toBe('http://localhost:9/data-management/datafile-download/1/?key=k');
    expect(rebaseDownloadUrl('not a url', BASE)).toBe('not a url');
    expect(rebaseDownloadUrl('https://www.openhumans.org/x/?key=k', 'not a base')).toBe(
      'https://www.openhumans.org/x/?key=k',
    );
  });

  it('leaves a link on the base origin as it is, and rebases one on a look-alike host', () => {
    const link = `${BASE}/data-management/datafile-download/1/?key=k`;
    expect(rebaseDownloadUrl(link, `${BASE}/`)).toBe(link);
    // Rebasing twice (mapping, then the resolver) changes nothing more.
    const once = rebaseDownloadUrl('https://www.openhumans.org/d/1/?key=k', BASE);
    expect(once).toBe(`${BASE}/d/1/?key=k`);
    expect(rebaseDownloadUrl(once, BASE)).toBe(once);
    // Another port or a user-info trick: another origin, rebased.
    expect(rebaseDownloadUrl('http://127.0.0.1:81/d/1/', BASE)).toBe(`${BASE}/d/1/`);
    expect(rebaseDownloadUrl('http://127.0.0.1:8100@evil.test/d/1/?key=k', BASE)).toBe(
      `${BASE}/d/1/?key=k`,
    );
    // The base's origin, not its path.
    expect(rebaseDownloadUrl('https://www.openhumans.org/d/2/', 'http://localhost:9/x/y')).toBe(
      'http://localhost:9/d/2/',
    );
  });

  it('maps a §5.2 project with relative links and an enum type', () => {
    const project = toProject({
      active: true,
      approved: true,
      authorized_members: 12,
      badge_image: null,
      contact_email: 'x@example.org',
      id: 128,
      id_label: 'direct-sharing-128',
      info_url: '',
      is_academic_or_nonprofit: true,
      is_study: false,
      leader: 'L',
      long_description: 'long',
      name: 'Example',
      organization: 'Org',
      registered_datatypes: ['/api/public/datatype/3/', '/api/public/datatype/9/'],
      requested_sources: ['/api/public/project/70/'],
      request_sources_access: ['direct-sharing-70'],
      request_username_access: false,
      returned_data_description: 'r',
      short_description: 's',
      slug: 'example',
      type: 'oauth2',
    });
    expect(project).toMatchObject({
      databaseId: 128,
      registeredDataTypeIds: [3, 9],
      requestedSourceIds: [70],
      type: 'oauth2',
      badgeImage: null,
    });
    expect(toProject({ id: 1, name: 'n', type: 'something-new' }).type).toBeNull();
  });

  it('maps §5.3 data types and §5.4 members', () => {
    expect(
      toDataType({
        id: 4,
        name: 'Genome',
        parent: null,
        children: [5, 6],
        description: 'd',
        details: '',
        uploadable: true,
        source_projects: ['/api/public/project/128/'],
      }),
    ).toEqual({
      databaseId: 4,
      name: 'Genome',
      parentId: null,
      childIds: [5, 6],
      description: 'd',
      details: '',
      uploadable: true,
      sourceProjectIds: [128],
    });
    expect(
      toPublicUser({
        name: 'N',
        profile_url: 'https://www.openhumans.org/member/n_1/',
        username: 'n_1',
      }),
    ).toEqual({
      username: 'n_1',
      name: 'N',
    });
    // The one builder of profile links gives production's own URL against production.
    expect(profileUrlFor('n_1', 'https://www.openhumans.org')).toBe(
      'https://www.openhumans.org/member/n_1/',
    );
    expect(() => toPublicUser({ name: 'N' })).toThrow(GatewayError);
  });
});

describe('instantOf (typed metadata never throws)', () => {
  it('reads the ISO forms Open Humans stores, without a zone as UTC, keeping microseconds', () => {
    expect(instantOf('2018-06-08 10:07:26+00:00')).toBe('2018-06-08T10:07:26.000Z');
    expect(instantOf('2016-02-09T01:36:08.377335Z')).toBe('2016-02-09T01:36:08.377335Z');
    expect(instantOf('2019-01-02')).toBe('2019-01-02T00:00:00.000Z');
    expect(instantOf('2019-01-02T03:04')).toBe('2019-01-02T03:04:00.000Z');
    expect(instantOf('2019-01-02T03:04:05+0200')).toBe('2019-01-02T01:04:05.000Z');
    // A number is a Unix timestamp to Open Humans' parser.
    expect(instantOf(5)).toBe('1970-01-01T00:00:05.000Z');
  });

  it('answers null for anything else', () => {
    for (const v of [
      undefined,
      null,
      Number.NaN,
      '',
      'yesterday',
      '1',
      '2019-02-31',
      '2019-13-01',
      '2019-01-01T25:00:00Z',
      {},
      ['2019-01-01'],
    ]) {
      expect(instantOf(v), JSON.stringify(v)).toBeNull();
    }
  });
});
