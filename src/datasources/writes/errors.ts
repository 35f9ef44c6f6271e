/**
 * Failures a client can act on, returned as typed errors in mutation payloads (Pothos errors
 * plugin, `src/schema/user-error-mutations.ts`). Everything else is a coded GraphQLError.
 */

/**
 * An input field was refused; `message` uses the upstream's wording where it has one. `field` is
 * the field's path in the write's own input (`metadata.md5`, `projectMemberIds`; '' for the input
 * as a whole): where that input sits in a GraphQL request is the schema's business.
 */
export class InputError extends Error {
  constructor(
    readonly field: string,
    message: string,
  ) {
    super(message);
    this.name = 'InputError';
  }
}

/** The file is larger than `MAX_UPLOAD_BYTES`. */
export class FileTooLargeError extends Error {
  constructor(readonly limitBytes: number) {
    super(`The file is larger than the maximum upload size of ${limitBytes} bytes.`);
    this.name = 'FileTooLargeError';
  }
}

/** `metadata.md5` does not match the bytes received. Nothing was stored. */
export class ChecksumMismatchError extends Error {
  constructor(
    readonly expectedMd5: string,
    readonly actualMd5: string,
  ) {
    super(
      `metadata.md5 is ${expectedMd5} but the file received has MD5 ${actualMd5}; nothing was stored.`,
    );
    this.name = 'ChecksumMismatchError';
  }
}

export type UploadHandleProblem = 'MALFORMED' | 'BAD_SIGNATURE' | 'EXPIRED' | 'OTHER_TOKEN';

/** The upload handle was not signed by this gateway, has expired, or belongs to another token. */
export class InvalidUploadHandleError extends Error {
  constructor(readonly reason: UploadHandleProblem) {
    super(
      reason === 'EXPIRED'
        ? 'The upload handle has expired; start a new upload.'
        : reason === 'OTHER_TOKEN'
          ? 'The upload handle was issued to another token.'
          : 'The upload handle is not valid.',
    );
    this.name = 'InvalidUploadHandleError';
  }
}

/** The idempotency key was used before with a different input. */
export class IdempotencyConflictError extends Error {
  constructor() {
    super('This idempotencyKey was already used for a different upload; use a new key.');
    this.name = 'IdempotencyConflictError';
  }
}
