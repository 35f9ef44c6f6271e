// Builds the whole synthetic Open Humans from a seed. Same seed + sizes (+ clock) = same data.

import { makeProjects } from './generate-projects.js';
import { ADJECTIVES, DATATYPE_TREE, EXTENSIONS, FIRST, LAST, NOUNS, TAGS } from './names.js';
import { Rng } from './random.js';
import type { StoreData } from './store.js';
import type {
  AccessToken,
  DataFile,
  DataType,
  Membership,
  Project,
  RefreshToken,
  SandboxSizes,
  User,
} from './types.js';

export interface GenerateOptions {
  seed: number;
  sizes: SandboxSizes;
  /** Epoch ms at start; token expiries are relative to it. */
  now: number;
  webhook?: { url: string; secret?: string };
}

export interface Generated {
  data: StoreData;
  ownProjectId: number;
  secondProjectId: number;
  /** Unapproved project whose master token has already expired. */
  expiredProjectId: number;
  /** An OAuth2 access token of an own-project member, expired. */
  expiredMemberToken: string;
}

const DAY = 86_400_000;
const EPOCH_2016 = Date.UTC(2016, 0, 1);
/** DOT's ACCESS_TOKEN_EXPIRE_SECONDS. */
export const ACCESS_TOKEN_TTL_MS = 36_000_000;
export const OAUTH_SCOPE = 'american-gut read wildlife open-humans write pgp go-viral';

export function generate(opts: GenerateOptions): Generated {
  const rng = new Rng(opts.seed);
  const { sizes } = opts;
  const dataTypes = makeDataTypes(rng, sizes.dataTypes);
  const users = makeUsers(
    rng,
    Math.max(sizes.users, sizes.members + 5, sizes.secondProjectMembers + 5),
  );
  const { projects, own, second, expired } = makeProjects(rng, sizes, dataTypes, opts);
  const people = users.filter((u) => u.username !== 'api-administrator');
  const memberships: Membership[] = [];
  const pmis = new Set<string>();
  const member = (p: Project, u: User, tweak: Partial<Membership> = {}): Membership => {
    let pmi = '';
    do pmi = String(rng.int(10_000_000, 99_999_999));
    while (pmis.has(pmi));
    pmis.add(pmi);
    const revoked = rng.bool(0.02);
    const m: Membership = {
      projectId: p.id,
      userId: u.id,
      projectMemberId: pmi,
      created: EPOCH_2016 + rng.int(0, 8 * 365) * DAY + rng.int(0, DAY - 1),
      joined: !revoked,
      authorized: !revoked,
      revoked,
      visible: rng.bool(0.92),
      usernameShared: p.requestUsernameAccess,
      allSourcesShared: false,
      grantedSources: [],
      publicData: !revoked && rng.bool(0.65),
      erasureRequested: null,
      ...tweak,
    };
    memberships.push(m);
    return m;
  };

  // Public projects: every person joins a few.
  const publicProjects = projects.filter((p) => p.approved && p.id !== own.id);
  for (const u of people) for (const p of rng.sample(publicProjects, rng.int(0, 4))) member(p, u);

  // Own project: some hidden, some not sharing usernames, a few revoked, some sharing everything.
  const ownMembers = rng.sample(people, sizes.members).map((u, i) => {
    const revoked = i % 60 === 7;
    return member(own, u, {
      revoked,
      joined: !revoked,
      authorized: !revoked,
      visible: i % 17 !== 3,
      usernameShared: i % 9 !== 4,
      allSourcesShared: i % 5 === 0,
      grantedSources: rng.sample(own.requestedSources, rng.int(0, own.requestedSources.length)),
      publicData: !revoked && i % 7 === 0,
    });
  });
  const secondMembers = rng
    .sample(people, sizes.secondProjectMembers)
    .map((u) =>
      member(second, u, { revoked: false, joined: true, authorized: true, publicData: false }),
    );

  // Files.
  const files: DataFile[] = [];
  let nextId = 1000;
  const addFile = (m: Membership, completed = true): void => {
    const p = projects.find((x) => x.id === m.projectId) as Project;
    nextId += rng.int(1, 3);
    const id = nextId;
    const ext = rng.pick(EXTENSIONS);
    const basename = `${rng.pick(NOUNS)}-${rng.pick(ADJECTIVES)}-${id}.${ext}`;
    const types = p.registeredDatatypes.length
      ? rng.sample(p.registeredDatatypes, rng.int(1, 2))
      : [];
    const parent = types[0] !== undefined ? dataTypes.find((d) => d.id === types[0])?.parent : null;
    if (parent != null && rng.bool(0.1) && !types.includes(parent)) types.push(parent);
    const metadata: Record<string, unknown> = {
      tags: rng.sample(TAGS, rng.int(1, 3)),
      description: `Synthetic ${ext} file from ${p.name}`,
    };
    if (rng.bool(0.3))
      metadata.creation_date = new Date(m.created + rng.int(0, 400) * DAY).toISOString();
    files.push({
      id,
      projectId: p.id,
      userId: m.userId,
      basename,
      created: m.created + rng.int(0, 600) * DAY,
      metadata,
      datatypes: types.sort((a, b) => a - b),
      completed,
      size: rng.int(64, 40_000),
      md5: null,
      s3Key: `member-files/direct-sharing-${p.id}/${rng.uuid()}/${basename}`,
      content: { kind: 'seeded', seed: opts.seed },
    });
  };
  const publicOnes = memberships.filter(
    (m) => m.publicData && publicProjects.some((p) => p.id === m.projectId && !p.noPublicData),
  );
  for (let i = 0; i < sizes.publicFiles && publicOnes.length > 0; i++) {
    // Skewed: a few people own many files, like production.
    addFile(publicOnes[Math.floor(rng.next() ** 2 * publicOnes.length)] as Membership);
  }
  const privateOnes = memberships.filter(
    (m) => !m.publicData && m.projectId !== own.id && m.projectId !== second.id,
  );
  for (let i = 0; i < Math.floor(sizes.publicFiles / 10) && privateOnes.length > 0; i++)
    addFile(rng.pick(privateOnes));
  ownMembers.forEach((m, i) => {
    const n = i % 8 === 1 ? 0 : i % 8 === 2 ? rng.int(11, 30) : rng.int(1, 10);
    for (let k = 0; k < n; k++) addFile(m);
    if (i % 20 === 5) addFile(m, false); // an incomplete direct upload: never listed
  });
  for (const m of secondMembers) for (let k = rng.int(0, 5); k > 0; k--) addFile(m);

  // OAuth2 tokens for every active member of the two OAuth2 projects.
  const accessTokens: AccessToken[] = [];
  const refreshTokens: RefreshToken[] = [];
  const grant = (m: Membership, expires: number): string => {
    const token = rng.alnum(30);
    const refresh = rng.alnum(30);
    accessTokens.push({
      token,
      projectId: m.projectId,
      userId: m.userId,
      expires,
      refreshToken: refresh,
      scope: OAUTH_SCOPE,
    });
    refreshTokens.push({
      token: refresh,
      projectId: m.projectId,
      userId: m.userId,
      accessToken: token,
      revoked: false,
    });
    return token;
  };
  const activeUser = new Set(users.filter((u) => u.active).map((u) => u.id));
  for (const m of [...ownMembers, ...secondMembers]) {
    if (m.joined && m.authorized && !m.revoked && activeUser.has(m.userId))
      grant(m, opts.now + ACCESS_TOKEN_TTL_MS);
  }
  const firstActive =
    ownMembers.find((m) => !m.revoked && activeUser.has(m.userId)) ?? ownMembers[0];
  const expiredMemberToken = firstActive ? grant(firstActive, opts.now - 60_000) : '';

  return {
    data: {
      seed: opts.seed,
      dataTypes,
      projects,
      users,
      memberships,
      files,
      accessTokens,
      refreshTokens,
    },
    ownProjectId: own.id,
    secondProjectId: second.id,
    expiredProjectId: expired.id,
    expiredMemberToken,
  };
}

function makeDataTypes(rng: Rng, n: number): DataType[] {
  const out: DataType[] = [];
  for (let i = 0; i < n; i++) {
    const base = DATATYPE_TREE[i % DATATYPE_TREE.length] as [string, number | null, boolean];
    const round = Math.floor(i / DATATYPE_TREE.length);
    const parentIndex = base[1] === null ? null : base[1] + round * DATATYPE_TREE.length;
    out.push({
      id: i + 1,
      name: round ? `${base[0]} ${round + 1}` : base[0],
      parent: parentIndex === null || parentIndex >= i ? null : parentIndex + 1,
      children: [],
      description: `${base[0]} data (synthetic)`,
      details: rng.bool(0.5) ? `Sandbox datatype ${i + 1}.` : '',
      uploadable: base[2],
    });
  }
  for (const d of out) if (d.parent !== null) out[d.parent - 1]?.children.push(d.id);
  return out;
}

function makeUsers(rng: Rng, n: number): User[] {
  const users: User[] = [
    {
      id: 1,
      username: 'api-administrator',
      name: 'API Administrator',
      active: true,
      memberId: '00000001',
    },
  ];
  const names = new Set<string>();
  let id = 100;
  while (users.length <= n) {
    let username = `${rng.pick(ADJECTIVES)}_${rng.pick(NOUNS)}${rng.int(1, 99)}`;
    if (rng.bool(0.1)) username = username[0]?.toUpperCase() + username.slice(1);
    if (names.has(username)) continue;
    names.add(username);
    id += rng.int(1, 3);
    users.push({
      id,
      username,
      name: `${rng.pick(FIRST)} ${rng.pick(LAST)}`,
      active: rng.bool(0.97),
      memberId: String(10_000_000 + id * 7),
    });
  }
  return users;
}
