import type { Readable } from 'node:stream';

/** One file part of a multipart request, as handed to a resolver. */
export interface UploadedFile {
  /** The client's file name (the part's `filename`); never trusted as a path. */
  filename: string;
  /** The part's declared media type (informational only). */
  mimeType: string;
  /**
   * The bytes, streamed as they arrive from the client. Errors with `UploadTooLargeError` past
   * the size limit, and with `UploadAbortedError` when the request breaks off.
   */
  stream: Readable;
}

/** Where an `Upload` gets its bytes from: the multipart session of the current request. */
export interface UploadSource {
  claim(key: string): Promise<UploadedFile>;
}

/**
 * The value of an `Upload` variable. It does not hold the file: `open()` hands out the live part
 * once its bytes start arriving, so a resolver reads the file while the client is still sending
 * it and memory does not grow with the file size. An upload can be opened once.
 */
export class Upload {
  constructor(
    /** The multipart field name that carries the file (a key of the `map` field). */
    readonly key: string,
    private readonly source: UploadSource,
  ) {}

  open(): Promise<UploadedFile> {
    return this.source.claim(this.key);
  }
}

/** The file is larger than the configured `MAX_UPLOAD_BYTES`. */
export class UploadTooLargeError extends Error {
  constructor(readonly limitBytes: number) {
    super(`The file is larger than the maximum upload size of ${limitBytes} bytes.`);
    this.name = 'UploadTooLargeError';
  }
}

/** The request ended or broke off before the file was complete, or was malformed. */
export class UploadAbortedError extends Error {
  constructor(message = 'The upload was interrupted before the file was complete.') {
    super(message);
    this.name = 'UploadAbortedError';
  }
}

/** A client mistake in the multipart request itself (order, map, missing file, reuse). */
export class MultipartRequestError extends Error {
  constructor(
    message: string,
    /** The HTTP status to answer with when this happens before execution. */
    readonly status = 400,
  ) {
    super(message);
    this.name = 'MultipartRequestError';
  }
}
