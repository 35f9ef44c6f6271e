/**
 * The three steps of a direct upload (docs/upstream.md D7 → PUT → D8), shared by the spooled and
 * the declared-size (streamed) paths of `uploadDataFile` and by `createDataFileUpload`.
 */
import type { Readable } from 'node:stream';
import { ErrorCode, GatewayError } from '../../errors.js';
import { UpstreamError } from '../upstream-error.js';
import type { UploadMetadataInput } from './metadata.js';
import { toWireMetadata } from './metadata.js';
import type { WriteDeps } from './write-context.js';
import { write } from './write-context.js';

/** Who a write acts for: the token and the wire `project_member_id` (master tokens only). */
export interface WriteMember {
  token: string;
  wireId: string | undefined;
}

/** D7: creates the (still invisible) file and returns its pre-signed PUT URL. */
export async function startDirect(
  deps: WriteDeps,
  member: WriteMember,
  file: {
    filename: string;
    metadata: UploadMetadataInput;
    md5: string | undefined;
    dataTypeIds: number[] | null | undefined;
  },
): Promise<{ id: number; url: string }> {
  const fields = form({
    filename: file.filename,
    metadata: JSON.stringify(toWireMetadata(file.metadata, file.md5)),
    datatypes: file.dataTypeIds?.length ? JSON.stringify(file.dataTypeIds) : undefined,
    project_member_id: member.wireId,
  });
  const started = await write<{ id?: unknown; url?: unknown }>(deps, 'D7', { form: fields });
  if (typeof started?.url !== 'string') throw badAnswer('D7');
  return { id: fileIdOf(started), url: started.url };
}

/**
 * The PUT to storage with `Content-Length` and no `Content-Type`, then the ETag check (S3 answers
 * the md5 of what it stored). `expectedMd5` is a function: on the streamed path the md5 is only
 * known once the last byte went out. A failed PUT is mapped by `mapStorageError`.
 */
export async function putToStorage(
  deps: WriteDeps,
  url: string,
  body: Readable,
  contentLength: number,
  expectedMd5: () => string,
): Promise<void> {
  let put: { etag: string | undefined };
  try {
    put = await deps.putPresigned({ route: 'S3_PUT', url, body, contentLength });
  } catch (err) {
    throw mapStorageError(err);
  }
  const etag = put.etag?.replace(/"/g, '').toLowerCase();
  if (etag !== expectedMd5()) {
    // Not completed: the incomplete file stays invisible upstream and expires there.
    throw new GatewayError(
      ErrorCode.UPSTREAM_ERROR,
      'The storage acknowledged different bytes than were sent (ETag does not match the MD5); the upload was not completed.',
    );
  }
}

/** D8: makes the file visible; refuses a size recorded upstream that is not the size sent. */
export async function completeDirect(
  deps: WriteDeps,
  member: WriteMember,
  fileId: number,
  size: number,
): Promise<void> {
  const done = await write<{ size?: unknown }>(deps, 'D8', {
    form: form({ file_id: String(fileId), project_member_id: member.wireId }),
  });
  if (typeof done?.size === 'number' && done.size !== size) {
    throw new GatewayError(
      ErrorCode.UPSTREAM_ERROR,
      `Open Humans recorded ${done.size} bytes for a ${size}-byte file.`,
    );
  }
}

/** A form body without the fields that are undefined. */
export function form(fields: Record<string, string | undefined>): Record<string, string> {
  return Object.fromEntries(
    Object.entries(fields).filter((e): e is [string, string] => e[1] !== undefined),
  );
}

export function fileIdOf(answer: { id?: unknown } | undefined): number {
  if (typeof answer?.id !== 'number' || !Number.isInteger(answer.id)) throw badAnswer('upload');
  return answer.id;
}

export const badAnswer = (route: string): GatewayError =>
  new GatewayError(ErrorCode.UPSTREAM_ERROR, `Open Humans sent an unexpected answer to ${route}.`);

/** A failed PUT to storage: never FORBIDDEN/NOT_FOUND (those would blame the caller's token). */
function mapStorageError(err: unknown): unknown {
  if (!(err instanceof UpstreamError)) return err;
  const code =
    err.kind === 'status' || err.kind === 'bad_response'
      ? ErrorCode.UPSTREAM_ERROR
      : ErrorCode.UPSTREAM_UNAVAILABLE;
  return new GatewayError(
    code,
    'The file storage did not accept the upload; it was not completed. Try again.',
    {
      cause: err,
      extensions: {
        upstream: { route: err.route, ...(err.status !== undefined ? { status: err.status } : {}) },
      },
    },
  );
}
