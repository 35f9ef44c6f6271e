// Contract suite: replays every Open Humans exchange recorded in test/fixtures/cassettes (2018,
// ohapi + django-open-humans) against the sandbox and checks status and body — exactly for
// errors and small bodies, by shape where ids/tokens/URLs differ by nature. Third-party hosts are
// not replayed, and every deliberate 2018-vs-today difference is named in cassettes-specs.ts and
// asserted to still hold.
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { Membership } from '../../sandbox/data/types.js';
import type { Sandbox } from '../../sandbox/index.js';
import {
  configureOAuthApp,
  mintAuthorizationCode,
  mintTokens,
} from '../../sandbox/routes/direct-sharing-controls.js';
import { cassettesDir, type Interaction, listCassettes, readCassette } from './cassettes-reader.js';
import {
  type Difference,
  type Placeholder,
  SPECS,
  type Spec,
  THIRD_PARTY_HOSTS,
  type TokenKind,
} from './cassettes-specs.js';
import { memberWhere, startSmallSandbox } from './direct-sharing-support.js';

const RECORDED_REDIRECT = 'http://127.0.0.1:5000/authorize_openhumans/';
const OH_HOST = 'www.openhumans.org';
const S3_HOST = 'open-humans-production.s3.amazonaws.com';
const dir = cassettesDir();

/** Per-cassette replay state: resolved placeholders and the last direct upload. */
class Replay {
  private cache = new Map<string, string>();
  uploadUrl = '';
  uploadedId = '';
  constructor(
    private readonly sb: Sandbox,
    private readonly spec: Spec,
  ) {}

  private member(kind: 'member' | 'member2' | 'emptyMember'): {
    membership: Membership;
    token: string;
  } {
    const own = (m: Membership) =>
      this.sb.store.memberFilesForProject(m).filter((f) => f.projectId === this.sb.projectId)
        .length;
    if (kind === 'emptyMember') return memberWhere(this.sb, (m) => own(m) === 0);
    const first = memberWhere(this.sb, (m) => m.usernameShared && own(m) > 0);
    return kind === 'member'
      ? first
      : memberWhere(this.sb, (m) => m.userId !== first.membership.userId);
  }

  value(p: Placeholder): string {
    if (p === 'uploadedFileId') return this.uploadedId;
    const hit = this.cache.get(p);
    if (hit !== undefined) return hit;
    const pmi = this.member('member').membership.projectMemberId;
    const resolved: Record<Exclude<Placeholder, 'uploadedFileId'>, () => string> = {
      member: () => pmi,
      member2: () => this.member('member2').membership.projectMemberId,
      emptyMember: () => this.member('emptyMember').membership.projectMemberId,
      unknownA: () => '10000001',
      unknownB: () => '10000002',
      code: () => mintAuthorizationCode(this.sb.state, pmi, RECORDED_REDIRECT).code,
      refresh: () => mintTokens(this.sb.state, pmi).refreshToken,
    };
    const value = resolved[p]();
    this.cache.set(p, value);
    return value;
  }

  token(kind: TokenKind): string {
    switch (kind) {
      case 'master':
        return this.sb.masterToken;
      case 'member':
        return this.member('member').token;
      case 'emptyMember':
        return this.member('emptyMember').token;
      case 'expiredMember':
        return this.sb.expiredMemberToken;
      case 'expiredMaster':
        return this.sb.expiredMasterToken;
      case 'invalid':
        return 'INVALID-not-a-real-token';
    }
  }

  /** The recorded text with every placeholder replaced by what it stands for. */
  substitute(text: string): string {
    let out = text;
    for (const [name, p] of Object.entries(this.spec.values ?? {})) {
      // Recorded responses carry the recorded upload id itself; only requests refer to ours.
      if (p !== 'uploadedFileId') out = out.split(name).join(this.value(p));
    }
    return out;
  }

  request(i: Interaction): { url: string; init: RequestInit } {
    const recorded = new URL(i.request.uri);
    let url: string;
    if (recorded.hostname === S3_HOST) url = this.uploadUrl;
    else {
      const query = new URLSearchParams(recorded.search);
      if (query.has('access_token'))
        query.set('access_token', this.token(this.spec.token ?? 'invalid'));
      const search = query.toString();
      url = `${this.sb.url}${recorded.pathname}${search ? `?${search}` : ''}`;
    }
    const headers: Record<string, string> = {};
    const contentType = i.request.headers['Content-Type']?.[0];
    if (contentType) headers['content-type'] = contentType;
    if (this.spec.client) headers.authorization = this.basic(this.spec.client);
    let body: string | Uint8Array<ArrayBuffer> | undefined;
    if (typeof i.request.body === 'string') {
      const values = this.spec.values ?? {};
      const form = new URLSearchParams(i.request.body);
      body = new URLSearchParams(
        [...form].map(([k, v]) => [k, values[v] ? this.value(values[v]) : v]),
      ).toString();
    } else if (i.request.body) body = Uint8Array.from(i.request.body);
    return {
      url,
      init: {
        method: i.request.method,
        headers,
        ...(body !== undefined ? { body } : {}),
        redirect: 'manual',
      },
    };
  }

  private basic(client: NonNullable<Spec['client']>): string {
    const id = client === 'unknownClient' ? 'unknown-client-id' : this.sb.clientId;
    const secret = client === 'wrongSecret' ? 'wrong-secret' : this.sb.clientSecret;
    return `Basic ${Buffer.from(`${id}:${secret}`).toString('base64')}`;
  }
}

function parse(text: string): unknown {
  try {
    return JSON.parse(text);
  } catch {
    return undefined;
  }
}

/**
 * Structural differences: keys and value types; `{}` items and `null`s are hand-edited wildcards.
 */
function shapeProblems(
  expected: unknown,
  actual: unknown,
  diff: Difference | undefined,
  path = '$',
): string[] {
  if (expected === null)
    return actual === null || typeof actual === 'string' ? [] : [`${path}: expected null`];
  if (Array.isArray(expected)) {
    if (!Array.isArray(actual)) return [`${path}: expected an array`];
    if (expected.length > 0 && actual.length === 0) return [`${path}: expected a non-empty array`];
    return expected.length === 0
      ? []
      : actual.flatMap((a, i) => shapeProblems(expected[0], a, diff, `${path}[${i}]`));
  }
  if (typeof expected === 'object') {
    if (actual === null || typeof actual !== 'object' || Array.isArray(actual))
      return [`${path}: expected an object`];
    const e = expected as Record<string, unknown>;
    const a = actual as Record<string, unknown>;
    if (Object.keys(e).length === 0) return [];
    const skip = (k: string, list?: string[]) =>
      list?.includes(k) || diff?.optionalKeys?.includes(k);
    return [
      ...Object.keys(e).flatMap((k) =>
        k in a
          ? shapeProblems(e[k], a[k], diff, `${path}.${k}`)
          : skip(k, diff?.removedKeys)
            ? []
            : [`${path}: missing ${k}`],
      ),
      ...Object.keys(a)
        .filter((k) => !(k in e) && !skip(k, diff?.addedKeys))
        .map((k) => `${path}: unexpected ${k}`),
    ];
  }
  return typeof expected === typeof actual
    ? []
    : [`${path}: expected ${typeof expected}, got ${typeof actual}`];
}

function keysAnywhere(value: unknown, out = new Set<string>()): Set<string> {
  if (Array.isArray(value)) {
    for (const v of value) keysAnywhere(v, out);
  } else if (value !== null && typeof value === 'object') {
    for (const [k, v] of Object.entries(value)) {
      out.add(k);
      keysAnywhere(v, out);
    }
  }
  return out;
}

/** A named difference must still be a difference, or the entry is stale. */
function expectDifferenceHolds(
  diff: Difference,
  recorded: { status: number; json: unknown },
  actual: { status: number; json: unknown },
): void {
  if (diff.status !== undefined) {
    expect(recorded.status, diff.reason).not.toBe(diff.status);
    expect(actual.status, diff.reason).toBe(diff.status);
  }
  if (diff.body !== undefined) {
    expect(recorded.json, diff.reason).not.toEqual(diff.body);
    expect(actual.json, diff.reason).toEqual(diff.body);
  }
  const [was, now] = [keysAnywhere(recorded.json), keysAnywhere(actual.json)];
  for (const k of diff.addedKeys ?? [])
    expect(!was.has(k) && now.has(k), `${k} added: ${diff.reason}`).toBe(true);
  for (const k of diff.removedKeys ?? [])
    expect(was.has(k) && !now.has(k), `${k} removed: ${diff.reason}`).toBe(true);
}

describe.skipIf(dir === null && process.env.CI !== 'true')(
  'recorded Open Humans exchanges replayed against the sandbox',
  () => {
    const files = dir ? listCassettes(dir) : [];
    let sb: Sandbox;
    beforeAll(async () => {
      sb = await startSmallSandbox();
      // The recording's OAuth2 app had this redirect URI registered.
      configureOAuthApp(sb.state, { redirectUrl: RECORDED_REDIRECT });
    });
    afterAll(() => sb?.close());

    it('finds the cassettes, and every cassette has a replay spec (and every spec a cassette)', () => {
      expect(
        dir,
        'cassettes directory (test/fixtures/cassettes or OPENHUMANS_CASSETTES_DIR)',
      ).not.toBeNull();
      expect(files.length).toBeGreaterThanOrEqual(41);
      expect([...files].sort()).toEqual(Object.keys(SPECS).sort());
    });

    for (const file of files) {
      it(file, async () => {
        const spec = SPECS[file] ?? {};
        const replay = new Replay(sb, spec);
        const interactions = readCassette(`${dir}/${file}`);
        for (const [index, i] of interactions.entries()) {
          const host = new URL(i.request.uri).hostname;
          if (THIRD_PARTY_HOSTS.includes(host)) {
            expect(spec.thirdParty?.[index], `${host} is named as third-party`).toBeTruthy();
            continue;
          }
          expect([OH_HOST, S3_HOST]).toContain(host);
          const { url, init } = replay.request(i);
          const res = await fetch(url, init);
          const text = await res.text();
          const actual = { status: res.status, json: parse(text) };
          const recorded = {
            status: i.response.status,
            json: parse(replay.substitute(i.response.body)),
          };
          const diff = spec.differences?.[index];
          if (diff) expectDifferenceHolds(diff, recorded, actual);
          expect(actual.status, `${file}#${index} status`).toBe(diff?.status ?? recorded.status);

          if (host === S3_HOST) {
            // The recorded ETag is the md5 of the recorded bytes: the sandbox must agree exactly.
            expect(res.headers.get('etag')).toBe(i.response.headers.ETag?.[0]);
          } else if (diff?.body !== undefined) {
            // Checked by expectDifferenceHolds.
          } else if (diff?.shapeOnly) {
            expect(
              shapeProblems(recorded.json, actual.json, diff),
              `${file}#${index} shape`,
            ).toEqual([]);
          } else {
            expect(actual.json, `${file}#${index} body`).toEqual(recorded.json);
          }
          const created = actual.json as { id?: number; url?: string } | undefined;
          if (actual.status === 201 && created?.url) {
            replay.uploadUrl = created.url;
            replay.uploadedId = String(created.id);
          }
        }
      });
    }
  },
);
