import { TokenKind } from '../../auth/token.js';
import { InputError } from './errors.js';
import { checkProjectMemberIds } from './metadata.js';
import type { WriteDeps } from './write-context.js';
import { memberTokenScope, ownMemberId, write } from './write-context.js';

export interface SendMessageInput {
  subject?: string | null;
  message: string;
  projectMemberIds?: string[] | null;
  allMembers?: boolean | null;
}

/**
 * D4, sent as JSON: form encoding keeps only the last of repeated `project_member_ids`
 * (docs/upstream.md §2.3 D4), which would silently message the wrong people. Checks mirror the
 * upstream's, with its wording. A member token may message only itself (the upstream would
 * silently redirect anything else to the member; the gateway refuses instead).
 */
export async function sendMessage(
  deps: WriteDeps,
  input: SendMessageInput,
): Promise<{ recipients: string[] | null }> {
  deps.requireToken();
  if (input.message.trim() === '') throw new InputError('message', 'This field is required.');
  const ids = input.projectMemberIds ?? [];
  const all = input.allMembers === true;
  if (!all && ids.length === 0)
    throw new InputError('', 'You must specify either all members or provide a list of IDs.');
  if (all && ids.length > 0)
    throw new InputError(
      '',
      'You must specify either all members or provide a list of IDs, but not both.',
    );
  const problem = checkProjectMemberIds(ids, 'projectMemberIds');
  if (problem) throw new InputError(problem.field, problem.message);
  if (deps.tokenKind === TokenKind.MEMBER) {
    const own = await ownMemberId(deps);
    if (all || ids.some((id) => id !== own)) throw memberTokenScope();
  }
  const body: Record<string, unknown> = { message: input.message, all_members: all };
  if (input.subject) body.subject = input.subject;
  if (!all) body.project_member_ids = ids;
  await write<unknown>(deps, 'D4', { json: body });
  return { recipients: all ? null : ids };
}

/**
 * D5, sent as JSON (same repeated-key problem as D4). Removes members from the project (revokes
 * their authorization; fires the deauthorization webhook upstream). A member token may remove
 * only itself.
 */
export async function removeMembers(
  deps: WriteDeps,
  projectMemberIds: string[],
): Promise<string[]> {
  deps.requireToken();
  if (projectMemberIds.length === 0)
    throw new InputError('projectMemberIds', 'You must provide a list of project member IDs.');
  const problem = checkProjectMemberIds(projectMemberIds, 'projectMemberIds');
  if (problem) throw new InputError(problem.field, problem.message);
  if (deps.tokenKind === TokenKind.MEMBER) {
    const own = await ownMemberId(deps);
    if (projectMemberIds.some((id) => id !== own)) throw memberTokenScope();
  }
  try {
    await write<unknown>(deps, 'D5', { json: { project_member_ids: projectMemberIds } });
  } finally {
    await Promise.all([...new Set(projectMemberIds)].map((id) => deps.invalidateMember(id)));
  }
  return [...new Set(projectMemberIds)];
}
