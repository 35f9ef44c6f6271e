/**
 * Uploads whose size the client declares (`input.size`): the bytes go straight from the request
 * into the pre-signed PUT with that `Content-Length`, counted and hashed on the way, instead of
 * being spooled first. See docs/design.md, Uploads.
 */
import { createHash } from 'node:crypto';
import type { Readable } from 'node:stream';
import { pipeline, Transform } from 'node:stream';
import { ChecksumMismatchError, FileTooLargeError, InputError } from './errors.js';

/**
 * Checks a declared size before anything is read or sent: a whole number of bytes, above zero,
 * within `MAX_UPLOAD_BYTES`. @returns the size, or undefined when none was declared.
 */
export function checkDeclaredSize(
  size: number | null | undefined,
  maxUploadBytes: number,
): number | undefined {
  if (size === null || size === undefined) return undefined;
  if (!Number.isSafeInteger(size) || size <= 0) {
    throw new InputError(
      'size',
      'size must be the exact number of bytes of the file, a whole number above 0.',
    );
  }
  if (size > maxUploadBytes) throw new FileTooLargeError(maxUploadBytes);
  return size;
}

/** The bytes received do not add up to the declared size. Nothing was stored. */
export function sizeMismatch(declared: number, received: number | 'more'): InputError {
  const got = received === 'more' ? `more than ${declared}` : String(received);
  return new InputError(
    'size',
    `size is ${declared} but the file received has ${got} bytes; nothing was stored.`,
  );
}

/** Bytes buffered between the client's stream and the PUT (each side of the checking stream). */
const WINDOW_BYTES = 1024 * 1024;

/** A file stream checked against what the client declared, as it flows. */
export interface VerifiedBody {
  /** What to send: the file's bytes, which fail instead of ending if they do not match. */
  body: Readable;
  /**
   * The first failure: the client's stream breaking off, or a size/md5 mismatch; else undefined.
   */
  failure(): unknown;
  /** The md5 of all the bytes (lower-case hex); only meaningful once `body` has ended. */
  md5(): string;
}

/**
 * Passes `source` through, counting and hashing. More bytes than `size` fail at once; fewer, or
 * an md5 other than `md5` (when given), fail at the end. The last chunk is held back until those
 * end-of-file checks pass, so a mismatching file never completes its PUT: storage sees a body
 * shorter than its `Content-Length` and keeps nothing. Memory: the stream windows plus one chunk.
 */
export function verifiedBody(
  source: Readable,
  expected: { size: number; md5?: string | undefined },
): VerifiedBody {
  const hash = createHash('md5');
  let received = 0;
  let held: Buffer | undefined;
  let failure: unknown;
  let digest = '';
  const fail = (error: unknown): unknown => {
    failure ??= error;
    return failure;
  };
  const body = new Transform({
    // A window of its own: the client and storage are two network peers whose pace differs.
    highWaterMark: WINDOW_BYTES,
    transform(chunk: Buffer, _encoding, callback) {
      received += chunk.length;
      if (received > expected.size)
        return callback(fail(sizeMismatch(expected.size, 'more')) as Error);
      hash.update(chunk);
      const previous = held;
      held = chunk;
      callback(null, previous);
    },
    flush(callback) {
      if (received !== expected.size)
        return callback(fail(sizeMismatch(expected.size, received)) as Error);
      digest = hash.digest('hex');
      const given = expected.md5?.toLowerCase();
      if (given && given !== digest)
        return callback(fail(new ChecksumMismatchError(given, digest)) as Error);
      callback(null, held);
    },
  });
  // Recorded before the pipeline tears the body down, so the cause is known when the PUT fails.
  source.once('error', (error) => fail(error));
  pipeline(source, body, () => undefined);
  return { body, failure: () => failure, md5: () => digest };
}
