// Entities of the sandbox's in-memory Open Humans. Field names follow the Django models
// (docs/upstream.md §5) in camelCase; serializers map them to the wire shapes.

export const ROUTE_IDS = [
  'P1',
  'P2',
  'P3',
  'P4',
  'P5',
  'P6',
  'P7',
  'P8',
  'P9',
  'P10',
  'P11',
  'P12',
  'P13',
  'D1',
  'D2',
  'D3',
  'D4',
  'D5',
  'D6',
  'D7',
  'D8',
  'D9',
  'DOWNLOAD',
  'S3_GET',
  'S3_PUT',
  'OAUTH_TOKEN',
  'OAUTH_AUTHORIZE',
] as const;
/** Route ids used by counters, the request log and fault injection (docs/upstream.md §2). */
export type RouteId = (typeof ROUTE_IDS)[number];

/** Origin named by links inside response bodies (production's `full_url`). */
export const PUBLIC_ORIGIN = 'https://www.openhumans.org';

export interface DataType {
  id: number;
  name: string;
  parent: number | null;
  /** Child ids, ascending. */
  children: number[];
  description: string;
  details: string;
  uploadable: boolean;
}

export interface OAuth2App {
  clientId: string;
  clientSecret: string;
  redirectUrl: string;
  /** Deauthorization webhook URL (`deauth_webhook`), '' when unset. */
  webhookUrl: string;
  /** `webhook_secret`, '' when unset. */
  webhookSecret: string;
}

export interface Project {
  id: number;
  name: string;
  slug: string;
  active: boolean;
  approved: boolean;
  badgeImage: string | null;
  contactEmail: string;
  infoUrl: string;
  isAcademicOrNonprofit: boolean;
  isStudy: boolean;
  leader: string;
  longDescription: string;
  organization: string;
  /** DataType ids registered by the project. */
  registeredDatatypes: number[];
  /** Project ids whose data this project requests. */
  requestedSources: number[];
  requestUsernameAccess: boolean;
  returnedDataDescription: string;
  shortDescription: string;
  type: 'oauth2' | 'on-site' | null;
  /** Projects with `no_public_data` never contribute to public lists. */
  noPublicData: boolean;
  anyDatatypes: boolean;
  autoAddDatatypes: boolean;
  /** 64 chars of [A-Za-z0-9]. */
  masterToken: string;
  /** Epoch ms; the token is expired at or after this instant. */
  masterTokenExpires: number;
  tokenExpirationDisabled: boolean;
  /** User id of the coordinator. */
  coordinatorId: number;
  /** Set for OAuth2 projects. */
  oauth2: OAuth2App | null;
}

export interface User {
  /** `Member.pk`, the integer shown as `user.id` in public files. */
  id: number;
  username: string;
  name: string;
  active: boolean;
  /** Legacy 8-digit `Member.member_id`. */
  memberId: string;
}

export interface Membership {
  projectId: number;
  userId: number;
  /** 8 digits, unique over all memberships. */
  projectMemberId: string;
  /** Epoch ms. */
  created: number;
  joined: boolean;
  authorized: boolean;
  revoked: boolean;
  /** false = hidden membership (§2.1). */
  visible: boolean;
  usernameShared: boolean;
  allSourcesShared: boolean;
  /** Project ids the member granted this project access to. */
  grantedSources: number[];
  /** `PublicDataAccess.is_public` for this membership's files. */
  publicData: boolean;
  erasureRequested: boolean | null;
}

/** Where a file's bytes come from. */
export type FileContent =
  | { kind: 'seeded'; seed: number } // deterministic bytes from (seed, file id, size)
  | { kind: 'stored'; bytes: Buffer }
  | { kind: 'chunks'; chunks: readonly Buffer[] } // streamed upload kept as received
  | { kind: 'hash' } // 'hash' storage mode: only size and md5 were kept
  | { kind: 'none' }; // direct upload not PUT yet

export interface DataFile {
  id: number;
  projectId: number;
  userId: number;
  basename: string;
  /** Epoch ms. */
  created: number;
  metadata: Record<string, unknown>;
  datatypes: number[];
  completed: boolean;
  /** Bytes; null until known (direct upload before the PUT). */
  size: number | null;
  /** Hex md5; null until known. Seeded files compute it lazily (see store.md5Of). */
  md5: string | null;
  /** S3 object key `member-files/direct-sharing-<pid>/<uuid>/<basename>`. */
  s3Key: string;
  content: FileContent;
}

export interface AccessToken {
  token: string;
  projectId: number;
  userId: number;
  /** Epoch ms. */
  expires: number;
  /** The refresh token issued with it. */
  refreshToken: string;
  scope: string;
}

export interface RefreshToken {
  token: string;
  projectId: number;
  userId: number;
  /** The access token it was issued with ('' once that one is gone). */
  accessToken: string;
  revoked: boolean;
}

export interface SandboxSizes {
  /** Approved public projects. */
  projects: number;
  /** Extra unapproved projects. */
  unapprovedProjects: number;
  dataTypes: number;
  users: number;
  publicFiles: number;
  /** Members of the own OAuth2 project. */
  members: number;
  secondProjectMembers: number;
}

export const DEFAULT_SIZES: SandboxSizes = {
  projects: 40,
  unapprovedProjects: 4,
  dataTypes: 25,
  users: 300,
  publicFiles: 15_000,
  members: 250,
  secondProjectMembers: 20,
};
