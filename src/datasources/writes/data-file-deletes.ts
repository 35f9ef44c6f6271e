import { InputError } from './errors.js';
import type { WriteDeps } from './write-context.js';
import { resolveMember, write } from './write-context.js';

export interface DeleteSelector {
  projectMemberId?: string | null;
  fileId?: number | null;
  basename?: string | null;
  all?: boolean | null;
}

/**
 * D9: deletes one file, every file with a basename, or all of this project's files of a member.
 * Exactly one selector (the upstream's rule), and `all` only when it is explicitly `true`, so a
 * client bug cannot wipe a member's files by omission. Returns the ids the upstream deleted.
 */
export async function deleteDataFiles(
  deps: WriteDeps,
  selector: DeleteSelector,
): Promise<number[]> {
  const given = [selector.fileId != null, selector.basename != null, selector.all != null].filter(
    Boolean,
  ).length;
  if (given === 0) throw new InputError('', 'one of fileId, basename, or all is required');
  if (given > 1) throw new InputError('', 'only one of fileId, basename, or all may be given');
  if (selector.all === false)
    throw new InputError('all', '"all" must be true to delete every file; leave it out otherwise');
  if (selector.basename != null && selector.basename.trim() === '')
    throw new InputError('basename', 'basename must not be empty');
  const member = await resolveMember(deps, selector.projectMemberId);
  const fields: Record<string, string> = {};
  if (member.wireId) fields.project_member_id = member.wireId;
  if (selector.fileId != null) fields.file_id = String(selector.fileId);
  if (selector.basename != null) fields.file_basename = selector.basename;
  if (selector.all) fields.all_files = 'true';
  try {
    const answer = await write<{ ids?: unknown }>(deps, 'D9', { form: fields });
    const ids = Array.isArray(answer?.ids)
      ? answer.ids.filter((id): id is number => Number.isInteger(id))
      : [];
    return ids;
  } finally {
    // Even a failed delete may have removed some files upstream: forget the cached lists.
    await deps.invalidateMember(member.projectMemberId);
  }
}
