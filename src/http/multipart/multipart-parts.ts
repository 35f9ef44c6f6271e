import { createReadStream } from 'node:fs';
import { unlink } from 'node:fs/promises';
import type { UploadedFile } from './upload.js';
import { MultipartRequestError, UploadAbortedError } from './upload.js';

/** A part set aside on disk because a resolver asked for a later part first. */
export interface Spool {
  path: string;
  filename: string;
  mimeType: string;
  written: Promise<void>;
  /** Gives its bytes back to the spool budget once the file is gone. */
  release(): void;
}

export function openSpool(spool: Spool): UploadedFile {
  const stream = createReadStream(spool.path);
  stream.once('close', () => void discardSpool(spool));
  return { filename: spool.filename, mimeType: spool.mimeType, stream };
}

export function parseMap(value: string): Record<string, string[]> | MultipartRequestError {
  let parsed: unknown;
  try {
    parsed = JSON.parse(value);
  } catch {
    return new MultipartRequestError('The "map" field is not valid JSON.');
  }
  if (typeof parsed !== 'object' || parsed === null || Array.isArray(parsed)) {
    return new MultipartRequestError(
      'The "map" field must be a JSON object of file keys to paths.',
    );
  }
  const map: Record<string, string[]> = {};
  for (const [key, paths] of Object.entries(parsed)) {
    if (!Array.isArray(paths) || paths.length === 0 || !paths.every((p) => typeof p === 'string')) {
      return new MultipartRequestError(
        `The "map" entry "${key}" must be a non-empty array of paths.`,
      );
    }
    map[key] = paths as string[];
  }
  return map;
}

export function missingPart(key: string): MultipartRequestError {
  return new MultipartRequestError(`The request has no file part "${key}" (named in "map").`);
}

export function asAbort(error: unknown): Error {
  if (error instanceof MultipartRequestError || error instanceof UploadAbortedError) return error;
  return new UploadAbortedError('The multipart request is malformed or ended early.');
}

/** Removes a spool file and gives its bytes back to the budget. */
export async function discardSpool(spool: Spool): Promise<void> {
  await removeQuietly(spool.path);
  spool.release();
}

export async function removeQuietly(path: string): Promise<void> {
  await unlink(path).catch(() => undefined);
}
