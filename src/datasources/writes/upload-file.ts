import type { Readable } from 'node:stream';

/*
 * What the upload writers need from a file to upload, whatever transport brought it: the
 * multipart transport (src/http/multipart) implements these, the writers never import the
 * transport.
 */

/** One file part of a request, as handed to a resolver. */
export interface UploadedFile {
  /** The client's file name (the part's `filename`); never trusted as a path. */
  filename: string;
  /** The part's declared media type (informational only). */
  mimeType: string;
  /**
   * The bytes, streamed as they arrive from the client. Errors with `UploadTooLargeError` past
   * the size limit, and with an `UploadClientError` when the client's request breaks off or is
   * malformed.
   */
  stream: Readable;
}

/** A file the client is sending; its bytes are read once, while they arrive. */
export interface FileUpload {
  open(): Promise<UploadedFile>;
}

/** The file is larger than the configured `MAX_UPLOAD_BYTES`. */
export class UploadTooLargeError extends Error {
  constructor(readonly limitBytes: number) {
    super(`The file is larger than the maximum upload size of ${limitBytes} bytes.`);
    this.name = 'UploadTooLargeError';
  }
}

/** The client's request did not deliver a usable file; its message is safe to show the client. */
export class UploadClientError extends Error {}

/** The request ended or broke off before the file was complete, or was malformed. */
export class UploadAbortedError extends UploadClientError {
  constructor(message = 'The upload was interrupted before the file was complete.') {
    super(message);
    this.name = 'UploadAbortedError';
  }
}
