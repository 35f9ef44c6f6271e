/**
 * Member reads on top of the per-request `DirectSharingApi` (which already deduplicates and
 * caches per token). These decide which upstream call serves a member or a page of their files,
 * so that a page of members with nested files costs one members-list call plus one
 * exchange-member call per member whose files the list did not fully embed.
 */
import { TokenKind } from '../auth/token.js';
import type { DirectSharingApi } from '../datasources/direct-sharing-api.js';
import type { MemberRecord, PrivateDataFile } from '../datasources/direct-sharing-wire.js';
import { readOrderOf } from '../datasources/read-order.js';
import { ErrorCode, GatewayError, notFound } from '../errors.js';
import type { MemberSnapshot } from './member-snapshot.js';

/**
 * How many files to ask exchange-member for when a member is loaded on its own: the largest
 * connection page, so that any first page of `dataFiles` is served from that same answer.
 */
export const MEMBER_FILES_WINDOW = 100;

const PROJECT_MEMBER_ID = /^\d{1,32}$/;

/** Answers that mean "not visible to this token": `node` gives null, not an error, for them. */
const HIDDEN_CODES: ReadonlySet<string> = new Set([ErrorCode.NOT_FOUND, ErrorCode.FORBIDDEN]);

/** The token's own membership (member token), or null for a master token (it has none). */
export async function loadViewerMember(api: DirectSharingApi): Promise<MemberRecord | null> {
  api.requireToken();
  if (api.tokenKind !== TokenKind.MEMBER) return null;
  const page = await api.exchangeMember({ limit: MEMBER_FILES_WINDOW, offset: 0 });
  return page.member;
}

/**
 * A member by projectMemberId with the project's master token (errors: FORBIDDEN for a member
 * token, NOT_FOUND for an id outside the project). Upstream also answers for revoked members.
 */
export async function loadProjectMember(
  api: DirectSharingApi,
  projectMemberId: string,
): Promise<MemberRecord> {
  api.requireMasterToken('Reading a project member');
  // Project member ids are digits (8, legacy 16): anything else names no member, at no cost.
  if (!PROJECT_MEMBER_ID.test(projectMemberId)) {
    throw notFound('No member of this project has that projectMemberId.');
  }
  const page = await api.exchangeMember({ projectMemberId, limit: MEMBER_FILES_WINDOW, offset: 0 });
  return page.member;
}

/**
 * A member for `node(id)`: with a master token, one of its project's members; with a member
 * token, only that member. Anything the token may not see (or no token) is null, never an error
 * that would say whether the id exists. A token upstream refuses still fails loudly.
 */
export async function loadVisibleMember(
  api: DirectSharingApi,
  projectMemberId: string,
): Promise<MemberRecord | null> {
  if (!api.tokenKind) return null;
  try {
    if (api.tokenKind === TokenKind.MASTER) return await loadProjectMember(api, projectMemberId);
    const own = await loadViewerMember(api);
    return own?.projectMemberId === projectMemberId ? own : null;
  } catch (err) {
    const hidden = err instanceof GatewayError && HIDDEN_CODES.has(err.code);
    if (hidden) return null;
    throw err;
  }
}

/**
 * The files of `member` in [offset, offset + limit), in exchange-member order, with the total.
 * Served from files already known (all of them embedded in the members list, or the first window
 * of an exchange-member answer) when they cover the range; else one exchange-member page.
 * `fresh` skips the known files and the caches; `snapshot` hears the count every read reports.
 */
export async function loadMemberFiles(
  api: DirectSharingApi,
  member: MemberRecord,
  range: { offset: number; limit: number },
  options: { fresh?: boolean; snapshot?: MemberSnapshot } = {},
): Promise<{ items: PrivateDataFile[]; totalCount: number }> {
  const known = options.fresh ? null : member.knownFiles;
  const end = range.offset + range.limit;
  if (known && (end <= known.length || known.length >= member.fileCount)) {
    return { items: known.slice(range.offset, end), totalCount: member.fileCount };
  }
  const page = await api.exchangeMember({
    projectMemberId: member.projectMemberId,
    limit: range.limit,
    offset: range.offset,
    fresh: options.fresh,
  });
  options.snapshot?.observe(page.totalCount, readOrderOf(page));
  return { items: page.files, totalCount: page.totalCount };
}
