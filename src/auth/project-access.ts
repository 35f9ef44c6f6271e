import type { DirectSharingApi } from '../datasources/direct-sharing-api.js';
import type { Project } from '../datasources/models.js';
import { ErrorCode, GatewayError } from '../errors.js';

/**
 * Checks that `project` is the token's own project before a master-token-only read of it (its
 * members). The viewer's own project (from `Viewer.project`, placeholder or D1 answer) needs no
 * call; any other project is compared with the token's project from D1, which the data source
 * keeps per token, so a request pays for it at most once.
 *
 * Errors: TOKEN_MISSING without a token; FORBIDDEN for a member token, or for the master token
 * of another project.
 */
export async function requireOwnProject(
  api: DirectSharingApi,
  project: Project,
  what: string,
): Promise<void> {
  api.requireMasterToken(what);
  if (api.isOwnProjectRef(project)) return;
  const own = await api.projectInfo();
  if (own.databaseId !== project.databaseId) {
    throw new GatewayError(
      ErrorCode.FORBIDDEN,
      `${what} needs the master token of project ${project.databaseId}; ` +
        'this token belongs to another project.',
    );
  }
}
