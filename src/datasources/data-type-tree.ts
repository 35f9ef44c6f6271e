/**
 * A data type's files with its descendants' (`include_children`), as `PublicDataApi` reads them:
 * Open Humans lists a file once per matching type, so the list is read whole and deduplicated
 * (docs/paging-and-consistency.md). The bound and the helpers live here.
 */
import type { GatewayError } from '../errors.js';
import { badUserInput } from '../errors.js';
import type { DataFile } from './models.js';

/**
 * The most rows one data type's tree of files may list: such a list is read whole, in one call
 * (about 7 MB of JSON at this size), to drop the files it lists twice.
 */
export const MAX_TREE_ROWS = 10_000;

/** The files of a list, each once (the first time it appears), in list order. */
export function distinctFiles(files: readonly DataFile[]): DataFile[] {
  const seen = new Set<number>();
  return files.filter((f) => !seen.has(f.databaseId) && seen.add(f.databaseId));
}

/** A tree too large to read whole: the client is told how to page it instead. */
export const treeTooLarge = (id: number, rows: number): GatewayError =>
  badUserInput(
    `Data type ${id} with its descendants lists ${rows} files, more than the ${MAX_TREE_ROWS} ` +
      'that `includeChildren` reads: list its child data types one by one instead.',
    { argumentName: 'includeChildren', maxRows: MAX_TREE_ROWS },
  );
