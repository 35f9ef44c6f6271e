/**
 * The token-bound direct-sharing client (`/api/direct-sharing/…`, docs/upstream.md §2.3), one
 * instance per GraphQL request, built from the caller's token and the shared `OpenHumansHttp`.
 * It owns the token (and whether the `Authorization` header was unusable): every read, access
 * check and write asks `requireToken()`, so a query and a mutation answer the same code for the
 * same header. The token itself never leaves this object except towards Open Humans.
 *
 * Reads are deduplicated within the request (`ReadChannel`) and may be kept briefly across requests
 * in a `TokenScopedCache` partitioned by a hash of the token; nothing here touches the public
 * cache. Writes (uploads, deletes, messages, removals: `datasources/writes`) go out through
 * `post`/`putPresigned` here and call `invalidateMember` for the members they change.
 */

import { setMaxListeners } from 'node:events';
import {
  masterTokenRequired,
  requireToken,
  TokenKind,
  tokenKey,
  tokenKindOf,
} from '../auth/token.js';
import { MEMBER_LIST_TAG, memberTag, type TokenScopedCache } from '../auth/token-scoped-cache.js';
import { ErrorCode, GatewayError } from '../errors.js';
import { PATHS, ReadChannel, type ReadSpec, unknownMember } from './direct-sharing-reads.js';
import {
  type MemberFilesPage,
  type MemberRecord,
  type Page,
  PROJECT_PLACEHOLDER,
  toMemberFilesPage,
  toMemberPage,
} from './direct-sharing-wire.js';
import type { Project } from './models.js';
import type { OpenHumansHttp, PresignedPut, RequestBody } from './open-humans-http.js';
import { stampRead } from './read-order.js';
import type { RouteId } from './routes.js';
import { toProject } from './wire.js';

export interface DirectSharingApiOptions {
  http: OpenHumansHttp;
  /** The caller's token, or null: only the methods that need one fail (TOKEN_MISSING). */
  token: string | null;
  /** An unusable `Authorization` header was sent: token fields answer TOKEN_INVALID. */
  tokenMalformed?: boolean;
  /** Aborts this request's upstream calls when the client goes away. */
  signal?: AbortSignal;
  /** Optional cross-request cache, partitioned by token. */
  cache?: TokenScopedCache;
  /**
   * After a write to a member: shared invalidation (public cache, other instances). The write
   * answers only once it resolved, so a read through any instance right after sees the change.
   */
  onMemberWrite?: (projectMemberId: string) => Promise<void>;
}

/** Listeners one request may add to its abort signal (its calls here and on the public API). */
const MAX_SIGNAL_LISTENERS = 250;

/**
 * How many files to ask exchange-member for when a member is loaded on its own: the largest
 * connection page, so that any first page of `dataFiles` is served from that same answer.
 */
export const MEMBER_FILES_WINDOW = 100;

/** Project member ids are digits (8, legacy 16): anything else names no member, at no cost. */
const PROJECT_MEMBER_ID = /^\d{1,32}$/;

export class DirectSharingApi {
  /** MASTER or MEMBER from the token's shape; null without a token. */
  readonly tokenKind: TokenKind | null;
  private readonly http: OpenHumansHttp;
  private readonly token: string | null;
  private readonly tokenMalformed: boolean;
  private readonly signal: AbortSignal | undefined;
  private readonly baseUrl: string;
  private readonly cache: TokenScopedCache | undefined;
  private readonly onMemberWrite: ((projectMemberId: string) => Promise<void>) | undefined;
  private readonly reads: ReadChannel;
  /** Project objects known to be the token's own project (D1 answers and placeholders). */
  private readonly ownProjects = new WeakSet<Project>();

  constructor(options: DirectSharingApiOptions) {
    this.http = options.http;
    this.token = options.token;
    this.tokenMalformed = options.tokenMalformed ?? false;
    this.signal = options.signal;
    // Every upstream call of the request listens on this one signal: more than node's default 10.
    if (options.signal) setMaxListeners(MAX_SIGNAL_LISTENERS, options.signal);
    // Download links in bodies name www.openhumans.org: rebased onto the configured origin.
    this.baseUrl = options.http.baseUrl;
    this.tokenKind = options.token ? tokenKindOf(options.token) : null;
    this.cache = options.cache;
    this.onMemberWrite = options.onMemberWrite;
    const scope = options.token && options.cache ? options.cache.forToken(options.token) : null;
    this.reads = new ReadChannel(options.http, options.signal, scope);
  }

  /**
   * The token, or UNAUTHENTICATED: TOKEN_INVALID for an unusable `Authorization` header, else
   * TOKEN_MISSING. The one check of every read and write; only the data sources (writes keying
   * idempotency and upload handles) use the value. Resolvers ask `requireTokenKind()`.
   */
  requireToken(): string {
    return requireToken(this.token, this.tokenMalformed);
  }

  /** The token's kind after the same check (the token itself stays here). */
  requireTokenKind(): TokenKind {
    return tokenKindOf(this.requireToken());
  }

  /** UNAUTHENTICATED as `requireToken`; FORBIDDEN for a member token (`what` names the field). */
  requireMasterToken(what: string): void {
    this.requireToken();
    if (this.tokenKind !== TokenKind.MASTER) throw masterTokenRequired(what);
  }

  /** D1: the token's own project (also an unapproved one). Either token kind. */
  async projectInfo(): Promise<Project> {
    const project = await this.read({
      route: 'D1',
      path: PATHS.project,
      via: 'header',
      map: toProject,
      tags: () => [],
    });
    this.ownProjects.add(project);
    return project;
  }

  /**
   * A stand-in for the token's own project when none of its data is asked for (only fields that
   * the token itself scopes, like `members`): it saves the D1 call and must never be rendered.
   */
  ownProjectPlaceholder(): Project {
    this.requireToken();
    const placeholder: Project = { ...PROJECT_PLACEHOLDER };
    this.ownProjects.add(placeholder);
    return placeholder;
  }

  /** Whether `project` came from this token's own project (D1 or placeholder). */
  isOwnProjectRef(project: Project): boolean {
    return this.ownProjects.has(project);
  }

  /**
   * Checks that `project` is the token's own project before a master-token-only read of it (its
   * members). The token's own project (D1 answer or placeholder) needs no call; any other is
   * compared with D1, kept per token, so a request pays for it at most once. Errors:
   * UNAUTHENTICATED without a usable token; FORBIDDEN for a member token, or for the master
   * token of another project.
   */
  async requireOwnProject(project: Project, what: string): Promise<void> {
    this.requireMasterToken(what);
    if (this.isOwnProjectRef(project)) return;
    const own = await this.projectInfo();
    if (own.databaseId !== project.databaseId) {
      throw new GatewayError(
        ErrorCode.FORBIDDEN,
        `${what} needs the master token of project ${project.databaseId}; ` +
          'this token belongs to another project.',
      );
    }
  }

  /** The token's own membership (member token), or null for a master token (it has none). */
  async viewerMember(): Promise<MemberRecord | null> {
    this.requireToken();
    if (this.tokenKind !== TokenKind.MEMBER) return null;
    const page = await this.exchangeMember({ limit: MEMBER_FILES_WINDOW, offset: 0 });
    return page.member;
  }

  /**
   * A member by projectMemberId with the project's master token (errors: FORBIDDEN for a member
   * token, NOT_FOUND for an id outside the project). Upstream also answers for revoked members.
   */
  async projectMember(projectMemberId: string): Promise<MemberRecord> {
    this.requireMasterToken('Reading a project member');
    if (!PROJECT_MEMBER_ID.test(projectMemberId)) throw unknownMember();
    const page = await this.exchangeMember({
      projectMemberId,
      limit: MEMBER_FILES_WINDOW,
      offset: 0,
    });
    return page.member;
  }

  /**
   * D2: a page of the project's active members, each with up to 10 embedded files. Master token
   * only; it must travel as `?access_token=` (a header-only call is a 500 upstream, §1.2).
   */
  listMembers(page: { limit: number; offset: number }): Promise<Page<MemberRecord>> {
    this.requireMasterToken('Listing project members');
    return this.read({
      route: 'D2',
      path: PATHS.members,
      query: { limit: page.limit, offset: page.offset },
      via: 'query',
      map: (wire) => {
        const page = toMemberPage(wire, this.baseUrl);
        return stampRead(page, ...page.items);
      },
      tags: (value) => [MEMBER_LIST_TAG, ...value.items.map((m) => memberTag(m.projectMemberId))],
    });
  }

  /**
   * D3: one member and a page of their files, in exchange-member order (source, then id).
   * With a master token `projectMemberId` is required (upstream answers 500 without it, and a
   * 400 for an id not in the project → NOT_FOUND). A member token always reads its own
   * membership; asking it for another id → NOT_FOUND.
   */
  async exchangeMember(args: {
    projectMemberId?: string;
    limit: number;
    offset: number;
    /** Read upstream now, not from a cache (a response found its cached copy stale). */
    fresh?: boolean;
  }): Promise<MemberFilesPage> {
    this.requireToken();
    const asMaster = this.tokenKind === TokenKind.MASTER;
    if (asMaster && !args.projectMemberId) {
      throw new GatewayError(
        ErrorCode.BAD_USER_INPUT,
        'A projectMemberId is needed with a master token.',
      );
    }
    const page = await this.read({
      route: 'D3',
      path: PATHS.exchangeMember,
      query: {
        project_member_id: asMaster ? args.projectMemberId : undefined,
        limit: args.limit,
        offset: args.offset,
      },
      via: 'header',
      map: (wire) => {
        const page = toMemberFilesPage(wire, args.offset, this.baseUrl);
        return stampRead(page, page.member);
      },
      tags: (value) => [memberTag(value.member.projectMemberId)],
      fresh: args.fresh,
    });
    if (args.projectMemberId && page.member.projectMemberId !== args.projectMemberId) {
      throw unknownMember();
    }
    return page;
  }

  /**
   * Forgets what this request and the shared cache hold about a member, for every token, and
   * every cached members-list page (after a write: upload, delete, message, removal).
   */
  async invalidateMember(projectMemberId: string): Promise<void> {
    this.reads.forget();
    this.cache?.invalidateTag(memberTag(projectMemberId));
    this.cache?.invalidateTag(MEMBER_LIST_TAG);
    await this.onMemberWrite?.(projectMemberId);
  }

  /**
   * POSTs one write (D4–D9) with this token. Never retried (writes are not idempotent upstream);
   * failures leave as upstream errors, for the writes to map (`uploads/write-context.ts`).
   */
  post<T>(route: RouteId, path: string, body: RequestBody): Promise<T> {
    const token = this.requireToken();
    return this.http.request<T>({
      route,
      method: 'POST',
      path,
      auth: { token, via: 'header' },
      body,
      signal: this.signal,
    });
  }

  /** A PUT to a pre-signed storage URL handed out by a write (no token travels). */
  putPresigned(
    put: Omit<PresignedPut, 'signal'>,
  ): Promise<{ status: number; etag: string | undefined }> {
    return this.http.putPresigned({ ...put, signal: this.signal });
  }

  /**
   * A client for another token on the same request (the access token an OAuth2 exchange just
   * issued): no cross-request cache, as nothing is known about that token yet.
   */
  withToken(token: string): DirectSharingApi {
    return new DirectSharingApi({ http: this.http, token, signal: this.signal });
  }

  /**
   * A client for this token that reads upstream every time, on its own signal: a live
   * subscription proving its token again must not be answered from a cache.
   */
  uncached(signal: AbortSignal): DirectSharingApi {
    return new DirectSharingApi({
      http: this.http,
      token: this.token,
      tokenMalformed: this.tokenMalformed,
      signal,
    });
  }

  /** A stable, non-reversible key for this token (sha256), or `none`: never the token itself. */
  credentialKey(): string {
    return this.token === null ? 'none' : tokenKey(this.token);
  }

  /** One read through the request's channel, after the one token check. */
  private read<T>(spec: ReadSpec<T>): Promise<T> {
    return this.reads.read(spec, this.requireToken());
  }
}
