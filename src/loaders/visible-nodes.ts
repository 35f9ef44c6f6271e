/**
 * What `node(id)`, `nodes(ids)` and the subgraph's `_entities` load, with one rule for all three:
 * an object resolves when the caller can see it anywhere in the graph, and only then.
 *
 * - A `DataFile`: a public one through the public API; otherwise a private one from the member
 *   files this token can list (a member token: its own; a master token: its project's members).
 * - A `Project`: an approved one through the public API; otherwise the token's own project, which
 *   Open Humans serves through project info even before it is approved (new projects start so).
 *
 * Anything else is NOT_FOUND (null for `node`): the answer never tells whether the id exists.
 * A token that Open Humans refuses still fails loudly.
 */
import type DataLoader from 'dataloader';
import { TokenKind } from '../auth/token.js';
import { type DirectSharingApi, MEMBER_FILES_WINDOW } from '../datasources/direct-sharing-api.js';
import type { MemberRecord, PrivateDataFile } from '../datasources/direct-sharing-wire.js';
import type { DataFile, Project } from '../datasources/models.js';
import { badUserInput, ErrorCode, GatewayError, notFound } from '../errors.js';

/** Members per members-list page while looking for a file's member (the largest page). */
const MEMBER_PAGE = 100;

/**
 * Upstream calls one master-token lookup of a private file may make (members-list pages plus
 * one exchange-member page per member with more files than the list embeds). About 2,000
 * members at production's file spread; beyond it the lookup is refused rather than answered
 * with a null that would say "not visible" about a file that may well be.
 */
export const PRIVATE_FILE_SCAN_CALLS = 100;

const HIDDEN: ReadonlySet<string> = new Set([ErrorCode.NOT_FOUND, ErrorCode.FORBIDDEN]);

const isNotFound = (value: unknown): boolean =>
  value instanceof GatewayError && value.code === ErrorCode.NOT_FOUND;

const isDatabaseId = (id: number): boolean => Number.isSafeInteger(id) && id > 0;

/** `work`, with answers that mean "not visible to this token" turned into null. */
async function orHidden<T>(work: () => Promise<T | null>): Promise<T | null> {
  try {
    return await work();
  } catch (err) {
    if (err instanceof GatewayError && HIDDEN.has(err.code)) return null;
    throw err;
  }
}

/** Counts upstream calls of one lookup against `PRIVATE_FILE_SCAN_CALLS`. */
class CallBudget {
  private used = 0;
  spend(): void {
    this.used += 1;
    if (this.used > PRIVATE_FILE_SCAN_CALLS) {
      throw badUserInput(
        `Finding a private file by id with a master token reads every member's file list, and this ` +
          `project needs more than ${PRIVATE_FILE_SCAN_CALLS} Open Humans calls for it. Read the file ` +
          'through `viewer.project.member(projectMemberId:) { dataFiles }` instead.',
      );
    }
  }
}

/** The file with `id` among `member`'s files, reading exchange-member pages beyond those known. */
async function fileOfMember(
  api: DirectSharingApi,
  member: MemberRecord,
  id: number,
  budget: CallBudget | null,
): Promise<PrivateDataFile | null> {
  const known = member.knownFiles ?? [];
  const found = known.find((file) => file.databaseId === id);
  if (found || known.length >= member.fileCount) return found ?? null;
  const asMaster = api.tokenKind === TokenKind.MASTER;
  for (let offset = known.length; offset < member.fileCount; offset += MEMBER_FILES_WINDOW) {
    budget?.spend();
    const page = await api.exchangeMember({
      projectMemberId: asMaster ? member.projectMemberId : undefined,
      limit: MEMBER_FILES_WINDOW,
      offset,
    });
    const hit = page.files.find((file) => file.databaseId === id);
    if (hit || page.files.length === 0) return hit ?? null;
  }
  return null;
}

/**
 * A master token's private file: every active member's files, members-list page by page. The
 * list embeds each member's files when they have few; only the others cost an exchange-member
 * call. Reads are the cached per-token ones, so a second lookup soon after costs little.
 */
async function projectPrivateFile(
  api: DirectSharingApi,
  id: number,
): Promise<PrivateDataFile | null> {
  const budget = new CallBudget();
  for (let offset = 0; ; offset += MEMBER_PAGE) {
    budget.spend();
    const page = await api.listMembers({ limit: MEMBER_PAGE, offset });
    const complete = page.items.map((m) => m.knownFiles?.find((file) => file.databaseId === id));
    const direct = complete.find((file) => file !== undefined);
    if (direct) return direct;
    // Members whose files the list did not embed whole: read together (the API bounds how many
    // calls run at once).
    const rest = page.items.filter((m) => m.knownFiles === null && m.fileCount > 0);
    const hits = await Promise.all(rest.map((member) => fileOfMember(api, member, id, budget)));
    const hit = hits.find((file) => file !== null);
    if (hit) return hit;
    if (page.items.length < MEMBER_PAGE || offset + MEMBER_PAGE >= page.totalCount) return null;
  }
}

/** A private file this token can list, or null. */
export async function findPrivateFile(
  api: DirectSharingApi,
  id: number,
): Promise<PrivateDataFile | null> {
  if (api.tokenKind === TokenKind.MEMBER) {
    return orHidden(async () => {
      const member = await api.viewerMember();
      return member ? fileOfMember(api, member, id, null) : null;
    });
  }
  if (api.tokenKind === TokenKind.MASTER) return orHidden(() => projectPrivateFile(api, id));
  return null;
}

/** A private file of a member token, as an outcome: the file, null, or the error to report. */
async function ownFileOutcome(
  api: DirectSharingApi,
  id: number,
): Promise<PrivateDataFile | Error | null> {
  if (!isDatabaseId(id)) return null;
  return findPrivateFile(api, id).catch((err: unknown) =>
    err instanceof Error ? err : new Error(String(err)),
  );
}

/**
 * Files by id for the node loader. A member token sees its own files first, as its file list
 * shows them (with `source`), so a refetch by id gives the same view as the listing it came
 * from; then public files (`publicFiles`). Other callers see public files first, then (a master
 * token) its members' private files.
 */
export async function loadVisibleDataFiles(
  ids: readonly number[],
  api: DirectSharingApi,
  publicFiles: DataLoader<number, DataFile | null>,
): Promise<(DataFile | Error)[]> {
  const asMember = api.tokenKind === TokenKind.MEMBER;
  const own = asMember ? await Promise.all(ids.map((id) => ownFileOutcome(api, id))) : [];
  const pending = ids.filter((_id, i) => own[i] == null);
  const loaded = new Map<number, DataFile | Error | null>();
  const publicOnes = await publicFiles.loadMany(pending);
  pending.forEach((id, i) => {
    loaded.set(id, publicOnes[i] ?? null);
  });
  return Promise.all(
    ids.map(async (id, i) => {
      const mine = own[i];
      if (mine) return mine;
      const value = loaded.get(id);
      if (value && !(value instanceof Error)) return value;
      if (value instanceof Error && !isNotFound(value)) return value;
      const missing = notFound(`No data file with databaseId ${id} visible to this request.`);
      if (!isDatabaseId(id) || api.tokenKind !== TokenKind.MASTER) return missing;
      try {
        return (await findPrivateFile(api, id)) ?? missing;
      } catch (err) {
        return err instanceof Error ? err : new Error(String(err));
      }
    }),
  );
}

/** Projects by id for the node loader: approved ones, then the token's own (even unapproved). */
export async function loadVisibleProjects(
  ids: readonly number[],
  api: DirectSharingApi,
  publicProjects: DataLoader<number, Project | null>,
): Promise<(Project | Error)[]> {
  const loaded = await publicProjects.loadMany(ids);
  return Promise.all(
    loaded.map(async (value, i) => {
      const id = ids[i] as number;
      if (value && !(value instanceof Error)) return value;
      if (value instanceof Error && !isNotFound(value)) return value;
      const missing = notFound(`No project with databaseId ${id} visible to this request.`);
      if (api.tokenKind === null || !isDatabaseId(id)) return missing;
      try {
        const own = await orHidden(() => api.projectInfo());
        return own?.databaseId === id ? own : missing;
      } catch (err) {
        return err instanceof Error ? err : new Error(String(err));
      }
    }),
  );
}
