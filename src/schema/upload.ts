import { badUserInput } from '../errors.js';
import { Upload } from '../http/multipart/upload.js';
import { builder } from './builder.js';

/**
 * The `Upload` scalar of the GraphQL multipart request spec. Its value is never inlined in a
 * query: the file travels as a multipart part, and `src/http/multipart/streaming-uploads.ts` puts
 * an `Upload` (a handle on the live part) into the variables.
 */
builder.scalarType('Upload', {
  description:
    'A file sent with the GraphQL multipart request spec (a `multipart/form-data` POST with ' +
    '`operations`, `map` and the file parts, plus a CSRF header such as `graphql-preflight: 1`). ' +
    'Input only.',
  serialize: () => {
    throw badUserInput('Upload is an input-only scalar.');
  },
  parseValue: (value) => {
    if (value instanceof Upload) return value;
    throw badUserInput(
      'An Upload must be sent as a file part of a multipart request (GraphQL multipart request spec).',
    );
  },
  parseLiteral: () => {
    throw badUserInput('An Upload cannot be written inline; send the file as a multipart part.');
  },
});
