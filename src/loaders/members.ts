/**
 * Member reads of the loader layer, over the request's token-bound `DirectSharingApi` (which
 * already deduplicates and caches per token): the `member` node loader's batch function, and
 * which upstream call serves a page of a member's files, so that a page of members with nested
 * files costs one members-list call plus one exchange-member call per member whose files the
 * list did not fully embed.
 */
import { TokenKind } from '../auth/token.js';
import type { DirectSharingApi } from '../datasources/direct-sharing-api.js';
import type { MemberRecord, PrivateDataFile } from '../datasources/direct-sharing-wire.js';
import { readOrderOf } from '../datasources/read-order.js';
import { ErrorCode, GatewayError, notFound } from '../errors.js';
import type { MemberSnapshot } from './member-snapshot.js';

/** Answers that mean "not visible to this token": `node` gives null, not an error, for them. */
const HIDDEN_CODES: ReadonlySet<string> = new Set([ErrorCode.NOT_FOUND, ErrorCode.FORBIDDEN]);

/**
 * A member for `node(id)`: with a master token, one of its project's members; with a member
 * token, only that member. Anything the token may not see (or no token) is null, never an error
 * that would say whether the id exists. A token upstream refuses still fails loudly.
 */
async function loadVisibleMember(
  api: DirectSharingApi,
  projectMemberId: string,
): Promise<MemberRecord | null> {
  if (!api.tokenKind) return null;
  try {
    if (api.tokenKind === TokenKind.MASTER) return await api.projectMember(projectMemberId);
    const own = await api.viewerMember();
    return own?.projectMemberId === projectMemberId ? own : null;
  } catch (err) {
    const hidden = err instanceof GatewayError && HIDDEN_CODES.has(err.code);
    if (hidden) return null;
    throw err;
  }
}

/**
 * Members by projectMemberId for the `member` node loader: NOT_FOUND for one this token may not
 * see (so `node` answers null whether or not it exists); a refused token still fails loudly.
 */
export function loadMembersForNode(
  ids: readonly string[],
  api: DirectSharingApi,
): Promise<(MemberRecord | Error)[]> {
  return Promise.all(
    ids.map(async (id) => {
      try {
        return (
          (await loadVisibleMember(api, id)) ?? notFound(`No member ${id} visible to this token.`)
        );
      } catch (err) {
        return err instanceof Error ? err : new Error(String(err));
      }
    }),
  );
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
