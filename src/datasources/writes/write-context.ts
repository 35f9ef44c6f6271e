import { TokenKind } from '../../auth/token.js';
import { ErrorCode, GatewayError, notFound } from '../../errors.js';
import type { MemberFilesPage } from '../direct-sharing-wire.js';
import type { PresignedPut, RequestBody } from '../open-humans-http.js';
import type { RouteId } from '../routes.js';
import { toGatewayError, UpstreamError } from '../upstream-error.js';
import { InputError } from './errors.js';
import { checkProjectMemberIds } from './metadata.js';

/** Upstream paths of the direct-sharing writes (docs/upstream.md §2.3). */
export const WRITE_PATHS = {
  D4: '/api/direct-sharing/project/message/',
  D5: '/api/direct-sharing/project/remove-members/',
  D6: '/api/direct-sharing/project/files/upload/',
  D7: '/api/direct-sharing/project/files/upload/direct/',
  D8: '/api/direct-sharing/project/files/upload/complete/',
  D9: '/api/direct-sharing/project/files/delete/',
} as const;

/**
 * What the writes of one request use: the request's token-bound direct-sharing client
 * (`DirectSharingApi`). Its `requireToken()` is the same check its reads make, so a write and a
 * read answer the same code for the same `Authorization` header.
 */
export interface WriteDeps {
  /** The token, or UNAUTHENTICATED (TOKEN_MISSING, or TOKEN_INVALID for an unusable header). */
  requireToken(): string;
  /** MASTER or MEMBER from the token's shape; null without a token. */
  readonly tokenKind: TokenKind | null;
  exchangeMember(args: {
    projectMemberId?: string;
    limit: number;
    offset: number;
  }): Promise<MemberFilesPage>;
  invalidateMember(projectMemberId: string): Promise<void>;
  /** POSTs one write with the token; never retried. */
  post<T>(route: RouteId, path: string, body: RequestBody): Promise<T>;
  putPresigned(
    put: Omit<PresignedPut, 'signal'>,
  ): Promise<{ status: number; etag: string | undefined }>;
}

/** Upstream form field → field of the write's input (`InputError.field`), for typed errors. */
const FIELD_PATHS: Record<string, string> = {
  project_member_id: 'projectMemberId',
  project_member_ids: 'projectMemberIds',
  metadata: 'metadata',
  datatypes: 'dataTypeIds',
  data_file: 'file',
  filename: 'filename',
  message: 'message',
  subject: 'subject',
  file_id: 'fileId',
  file_basename: 'basename',
  all_files: 'all',
  __all__: '',
};

/**
 * The member a write acts on, and the wire `project_member_id`. A master token must name one;
 * a member token always acts on its own membership (the upstream overrides the id), and naming
 * another member is refused rather than silently redirected.
 */
export async function resolveMember(
  deps: WriteDeps,
  projectMemberId: string | null | undefined,
): Promise<{ token: string; projectMemberId: string; wireId: string | undefined }> {
  const token = deps.requireToken();
  if (deps.tokenKind === TokenKind.MASTER) {
    if (!projectMemberId)
      throw new InputError('projectMemberId', 'projectMemberId is required with a master token.');
    const problem = checkProjectMemberIds([projectMemberId], 'projectMemberId');
    if (problem) throw new InputError(problem.field, problem.message);
    return { token, projectMemberId, wireId: projectMemberId };
  }
  const own = await ownMemberId(deps);
  if (projectMemberId && projectMemberId !== own) throw memberTokenScope();
  return { token, projectMemberId: own, wireId: undefined };
}

/** The member id of a member token (D3, cached per request by `DirectSharingApi`). */
export async function ownMemberId(deps: WriteDeps): Promise<string> {
  const page = await deps.exchangeMember({ limit: 1, offset: 0 });
  return page.member.projectMemberId;
}

export const memberTokenScope = (): GatewayError =>
  new GatewayError(
    ErrorCode.FORBIDDEN,
    'A member access token can only act on its own membership; use the project master token for other members.',
  );

/**
 * Maps a failed write: the upstream's field errors become typed `InputError`s (same wording),
 * an unknown or inactive member NOT_FOUND; anything else goes through the one mapping.
 */
export function mapWriteError(err: unknown): unknown {
  if (!(err instanceof UpstreamError) || err.status !== 400) return toGatewayError(err);
  const body = err.body;
  if (body && typeof body === 'object' && !Array.isArray(body)) {
    const record = body as Record<string, unknown>;
    if (record.project_member_id === 'project_member_id is invalid') {
      return notFound('No active member of this project has that projectMemberId.');
    }
    const fields = (
      record.errors && typeof record.errors === 'object' ? record.errors : record
    ) as Record<string, unknown>;
    for (const [field, value] of Object.entries(fields)) {
      const message = Array.isArray(value) ? value.find((v) => typeof v === 'string') : value;
      const path = FIELD_PATHS[field];
      if (path && typeof message === 'string' && message.length <= 300)
        return new InputError(path, message);
    }
  }
  return toGatewayError(err);
}

/** Calls one write endpoint (never retried), mapping failures with `mapWriteError`. */
export async function write<T>(
  deps: WriteDeps,
  route: keyof typeof WRITE_PATHS,
  body: RequestBody,
): Promise<T> {
  try {
    return await deps.post<T>(route, WRITE_PATHS[route], body);
  } catch (err) {
    throw mapWriteError(err);
  }
}
