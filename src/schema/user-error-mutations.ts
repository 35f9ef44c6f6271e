/**
 * Typed errors of the mutations (Pothos errors plugin): failures the client can act on come back
 * as members of the payload union, each implementing `UserError`. Everything else is a GraphQL
 * error with a stable `extensions.code`.
 */
import {
  ChecksumMismatchError,
  FileTooLargeError,
  IdempotencyConflictError,
  InputError,
  InvalidUploadHandleError,
} from '../datasources/writes/errors.js';
import { builder } from './builder.js';

/** Every mutation takes one `input` argument; an `InputError` names a field inside it. */
const inputPath = (field: string): string => (field === '' ? 'input' : `input.${field}`);

export const UserErrorRef = builder.interfaceRef<Error>('UserError').implement({
  description: 'A problem with the request that the client can fix; nothing was changed upstream.',
  fields: (t) => ({
    message: t.exposeString('message', { description: 'What went wrong, for people.' }),
  }),
});

builder.objectType(InputError, {
  name: 'InvalidInputError',
  description: 'An input field was refused (the wording follows Open Humans where it has a rule).',
  interfaces: [UserErrorRef],
  isTypeOf: (value) => value instanceof InputError,
  fields: (t) => ({
    field: t.string({
      description: 'The input path, e.g. `input.metadata.md5`.',
      resolve: (e) => inputPath(e.field),
    }),
  }),
});

builder.objectType(FileTooLargeError, {
  name: 'FileTooLargeError',
  description:
    'The file is larger than the gateway accepts (`MAX_UPLOAD_BYTES`). Nothing was stored.',
  interfaces: [UserErrorRef],
  isTypeOf: (value) => value instanceof FileTooLargeError,
  fields: (t) => ({
    limitBytes: t.float({
      description: 'The largest accepted file, in bytes.',
      resolve: (e) => e.limitBytes,
    }),
  }),
});

builder.objectType(ChecksumMismatchError, {
  name: 'ChecksumMismatchError',
  description: '`metadata.md5` does not match the bytes received. Nothing was stored.',
  interfaces: [UserErrorRef],
  isTypeOf: (value) => value instanceof ChecksumMismatchError,
  fields: (t) => ({
    expectedMd5: t.exposeString('expectedMd5', { description: 'The MD5 given in the metadata.' }),
    actualMd5: t.exposeString('actualMd5', { description: 'The MD5 of the bytes received.' }),
  }),
});

const UploadHandleProblemEnum = builder.enumType('UploadHandleProblem', {
  description: 'Why an upload handle was refused.',
  values: {
    MALFORMED: { description: 'Not a handle this gateway issues.' },
    BAD_SIGNATURE: { description: 'Altered or forged: the signature does not match.' },
    EXPIRED: { description: 'Past its expiry (the pre-signed URL has expired too).' },
    OTHER_TOKEN: { description: 'Issued to a different token.' },
  } as const,
});

builder.objectType(InvalidUploadHandleError, {
  name: 'InvalidUploadHandleError',
  description: 'The upload handle is not one this gateway issued to this token, or it has expired.',
  interfaces: [UserErrorRef],
  isTypeOf: (value) => value instanceof InvalidUploadHandleError,
  fields: (t) => ({
    reason: t.field({
      type: UploadHandleProblemEnum,
      description: 'Why it was refused.',
      resolve: (e) => e.reason,
    }),
  }),
});

builder.objectType(IdempotencyConflictError, {
  name: 'IdempotencyKeyConflictError',
  description:
    'The idempotency key was already used (same token) with a different file (bytes or name), ' +
    'member, metadata or data types. Nothing was stored; use a new key for a new upload.',
  interfaces: [UserErrorRef],
  isTypeOf: (value) => value instanceof IdempotencyConflictError,
  fields: () => ({}),
});
