import type { FileUpload, UploadedFile } from '../../datasources/writes/upload-file.js';
import { UploadClientError } from '../../datasources/writes/upload-file.js';

// The writers' contract, re-exported for the transport's modules.
export type { UploadedFile } from '../../datasources/writes/upload-file.js';
export { UploadAbortedError, UploadTooLargeError } from '../../datasources/writes/upload-file.js';

/** Where an `Upload` gets its bytes from: the multipart session of the current request. */
export interface UploadSource {
  claim(key: string): Promise<UploadedFile>;
}

/**
 * The value of an `Upload` variable. It does not hold the file: `open()` hands out the live part
 * once its bytes start arriving, so a resolver reads the file while the client is still sending
 * it and memory does not grow with the file size. An upload can be opened once.
 */
export class Upload implements FileUpload {
  constructor(
    /** The multipart field name that carries the file (a key of the `map` field). */
    readonly key: string,
    private readonly source: UploadSource,
  ) {}

  open(): Promise<UploadedFile> {
    return this.source.claim(this.key);
  }
}

/** A client mistake in the multipart request itself (order, map, missing file, reuse). */
export class MultipartRequestError extends UploadClientError {
  constructor(
    message: string,
    /** The HTTP status to answer with when this happens before execution. */
    readonly status = 400,
  ) {
    super(message);
    this.name = 'MultipartRequestError';
  }
}
