import { createHash, randomUUID } from 'node:crypto';
import { createWriteStream } from 'node:fs';
import { unlink } from 'node:fs/promises';
import { join } from 'node:path';
import type { Readable } from 'node:stream';
import { Transform } from 'node:stream';
import { pipeline } from 'node:stream/promises';
import type { SpoolCapacity } from './upload-capacity.js';

/** A file set aside on disk, with what was measured on the way. */
export interface SpooledFile {
  path: string;
  size: number;
  /** Lower-case hex MD5 of the content. */
  md5: string;
  /** Removes the file; safe to call more than once. */
  remove(): Promise<void>;
}

/**
 * Writes a stream to a private temporary file (mode 0600) while counting and hashing it, so the
 * size is known for `Content-Length` and the md5 for the integrity checks, with flat memory.
 * On any failure the partial file is removed before the error is rethrown. With `capacity`, the
 * bytes count against the process-wide spool budget (and disk floor) until the file is removed.
 */
export async function spoolToFile(
  source: Readable,
  dir: string,
  capacity?: SpoolCapacity,
): Promise<SpooledFile> {
  const path = join(dir, `oh-graphql-upload-${randomUUID()}`);
  const hash = createHash('md5');
  let size = 0;
  const measure = new Transform({
    transform(chunk: Buffer, _encoding, callback) {
      size += chunk.length;
      hash.update(chunk);
      callback(null, chunk);
    },
  });
  const meter = capacity?.meter();
  const remove = async (): Promise<void> => {
    await unlink(path).catch(() => undefined);
    meter?.release();
  };
  try {
    const out = createWriteStream(path, { flags: 'wx', mode: 0o600 });
    await (meter ? pipeline(source, meter.stream, measure, out) : pipeline(source, measure, out));
  } catch (error) {
    await remove();
    throw error;
  }
  return { path, size, md5: hash.digest('hex'), remove };
}
