/**
 * Start-up check of `UPLOAD_TMP_DIR` (`src/config/index.ts`): uploads are spooled there, so a
 * directory that is missing, not writable or full would otherwise only show as a masked error
 * on the first upload. Checked once at start, with a real write (permission bits say little
 * for root or read-only mounts).
 */
import { mkdtempSync, rmSync, statfsSync, statSync } from 'node:fs';
import { join } from 'node:path';

const MIB = 1024 * 1024;

/** What is wrong with `dir` for spooling uploads, or null when it is usable. */
export function uploadTmpDirProblem(dir: string, minFreeBytes: number): string | null {
  const name = `UPLOAD_TMP_DIR ("${dir}")`;
  try {
    if (!statSync(dir).isDirectory()) return `${name} is not a directory`;
  } catch (err) {
    return `${name} cannot be used: ${codeOf(err) === 'ENOENT' ? 'it does not exist' : (codeOf(err) ?? 'unreadable')}`;
  }
  try {
    rmSync(mkdtempSync(join(dir, '.openhumans-graphql-probe-')), { recursive: true, force: true });
  } catch (err) {
    return `${name} is not writable (${codeOf(err) ?? 'write failed'})`;
  }
  if (minFreeBytes > 0) {
    const stats = statfsSync(dir);
    // Space an unprivileged process may use (bavail), not what only root may fill (bfree).
    const free = stats.bavail * stats.bsize;
    if (free < minFreeBytes) {
      return `${name} has ${mib(free)} free, below UPLOAD_TMP_MIN_FREE_BYTES (${mib(minFreeBytes)}); free some space or point it elsewhere`;
    }
  }
  return null;
}

const mib = (bytes: number): string => `${(bytes / MIB).toFixed(1)} MiB`;

function codeOf(err: unknown): string | undefined {
  const code = (err as { code?: unknown } | null)?.code;
  return typeof code === 'string' ? code : undefined;
}
