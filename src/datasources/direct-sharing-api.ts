/**
 * The direct-sharing project API (`/api/direct-sharing/…`, docs/upstream.md §2.3), one instance
 * per GraphQL request, built from the caller's token and the shared `OpenHumansHttp`.
 *
 * Reads are deduplicated within the request (`inflight`) and may be kept briefly across requests
 * in a `TokenScopedCache` partitioned by a hash of the token; nothing here touches the public
 * cache. Write methods (uploads, deletes, messages, removals) live beside the reads and must call
 * `invalidateMember` for the members they change.
 */
import { setMaxListeners } from 'node:events';
import { TokenKind, masterTokenRequired, requireToken, tokenKindOf } from '../auth/token.js';
import {
  MEMBER_LIST_TAG,
  memberTag,
  type TokenScope,
  type TokenScopedCache,
} from '../auth/token-scoped-cache.js';
import { ErrorCode, GatewayError, notFound } from '../errors.js';
import {
  PROJECT_PLACEHOLDER,
  toMemberFilesPage,
  toMemberPage,
  type MemberFilesPage,
  type MemberRecord,
  type Page,
} from './direct-sharing-wire.js';
import { isUpstreamError, toGatewayError, type Auth, type OpenHumansHttp } from './http.js';
import type { Project } from './models.js';
import { stampRead } from './read-order.js';
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
 * Upstream calls one request keeps in flight at once: a page of members may need one
 * exchange-member call each, and Open Humans has no rate limits of its own to protect it.
 * 32 lets a typical 100-member page (about a quarter of members have more than 10 files) make
 * its exchange-member calls in one round, as a hand-written client would; the process-wide cap
 * (UPSTREAM_CONCURRENCY) still bounds the total across requests.
 */
const MAX_CONCURRENT_CALLS = 32;

const PATHS = {
  project: '/api/direct-sharing/project/',
  members: '/api/direct-sharing/project/members/',
  exchangeMember: '/api/direct-sharing/project/exchange-member/',
} as const;

interface ReadSpec<T> {
  route: 'D1' | 'D2' | 'D3';
  path: string;
  query?: Record<string, string | number | undefined>;
  via: Auth['via'];
  map: (wire: unknown) => T;
  /** Tags for the cross-request cache (members the answer lists). */
  tags: (value: T) => string[];
  /** Skip the request's and the token's caches (the value is still cached for later reads). */
  fresh?: boolean;
}

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
  private readonly scope: TokenScope | null;
  private readonly inflight = new Map<string, Promise<unknown>>();
  private readonly slots = new CallSlots(MAX_CONCURRENT_CALLS);
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
    this.scope = options.token && options.cache ? options.cache.forToken(options.token) : null;
  }

  /** The token, or UNAUTHENTICATED / TOKEN_MISSING. */
  requireToken(): string {
    return requireToken(this.token, this.tokenMalformed);
  }

  /** The token if it is a master token; FORBIDDEN for a member token (`what` names the field). */
  requireMasterToken(what: string): string {
    const token = this.requireToken();
    if (this.tokenKind !== TokenKind.MASTER) throw masterTokenRequired(what);
    return token;
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
    this.inflight.clear();
    this.cache?.invalidateTag(memberTag(projectMemberId));
    this.cache?.invalidateTag(MEMBER_LIST_TAG);
    await this.onMemberWrite?.(projectMemberId);
  }

  /** One read: deduplicated in the request, then the token's cache, then upstream. */
  private read<T>(spec: ReadSpec<T>): Promise<T> {
    const token = this.requireToken();
    const key = readKey(spec);
    const pending = spec.fresh ? undefined : this.inflight.get(key);
    if (pending) return pending as Promise<T>;
    const cached = spec.fresh ? undefined : this.scope?.get<T>(key);
    if (cached !== undefined) return Promise.resolve(cached);
    const promise = this.fetch(spec, token).then((value) => {
      this.scope?.set(key, value, spec.tags(value));
      return value;
    });
    // A failed read is not remembered: a retry in the same request may succeed.
    promise.catch(() => this.inflight.delete(key));
    this.inflight.set(key, promise);
    return promise;
  }

  private async fetch<T>(spec: ReadSpec<T>, token: string): Promise<T> {
    let wire: unknown;
    try {
      wire = await this.slots.run(() =>
        this.http.request<unknown>({
          route: spec.route,
          method: 'GET',
          path: spec.path,
          query: spec.query,
          auth: { token, via: spec.via },
          signal: this.signal,
        }),
      );
    } catch (err) {
      if (spec.route === 'D3' && upstreamStatus(err) === 400) throw unknownMember();
      throw toGatewayError(err);
    }
    return spec.map(wire);
  }
}

const unknownMember = (): GatewayError =>
  notFound('No member of this project has that projectMemberId.');

function readKey(spec: Pick<ReadSpec<unknown>, 'route' | 'path' | 'query'>): string {
  const query = Object.entries(spec.query ?? {})
    .filter(([, v]) => v !== undefined)
    .sort(([a], [b]) => (a < b ? -1 : 1))
    .map(([k, v]) => `${k}=${String(v)}`)
    .join('&');
  return `${spec.route} ${spec.path}?${query}`;
}

/** The HTTP status of an upstream failure (`UpstreamError.status`), if it is one. */
const upstreamStatus = (err: unknown): number | undefined =>
  isUpstreamError(err) ? err.status : undefined;

/** A small counting semaphore: at most `size` tasks run at once, the rest wait in order. */
class CallSlots {
  private active = 0;
  private readonly waiting: (() => void)[] = [];

  constructor(private readonly size: number) {}

  async run<T>(task: () => Promise<T>): Promise<T> {
    if (this.active < this.size) this.active += 1;
    // A finishing task hands its slot straight to the next waiter, so `active` never overshoots.
    else await new Promise<void>((resolve) => this.waiting.push(resolve));
    try {
      return await task();
    } finally {
      const next = this.waiting.shift();
      if (next) next();
      else this.active -= 1;
    }
  }
}
