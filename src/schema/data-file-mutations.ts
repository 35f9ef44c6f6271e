/**
 * Writing files to members: `uploadDataFile` (through the gateway, streamed), the two-step
 * `createDataFileUpload` / `completeDataFileUpload` (client → storage directly) and
 * `deleteDataFiles`. Never retried; each invalidates the member's cached file lists.
 */
import { encodeGlobalID } from '@pothos/plugin-relay';
import { TokenKind } from '../auth/token.js';
import type { Context } from '../context.js';
import { deleteDataFiles } from '../datasources/writes/data-file-deletes.js';
import { DataFileUploads, findMemberFile } from '../datasources/writes/data-file-uploads.js';
import {
  ChecksumMismatchError,
  FileTooLargeError,
  IdempotencyConflictError,
  InputError,
  InvalidUploadHandleError,
} from '../datasources/writes/errors.js';
import { builder } from './builder.js';
import { decodeGlobalId } from './node-lookup.js';
import { DataFileRef } from './refs.js';
import './upload.js';
import './user-error-mutations.js';

/**
 * A databaseId from a global id of `typename` (canonical, as `node` takes it) or from plain digits.
 */
export function databaseIdOf(id: string, typename: string, field: string): number {
  if (/^\d{1,15}$/.test(id)) return Number(id);
  try {
    const decoded = decodeGlobalId(id);
    if (decoded.typename === typename && /^\d{1,15}$/.test(decoded.id)) return Number(decoded.id);
  } catch {
    // fall through to the error below
  }
  throw new InputError(field, `Expected a ${typename} id (global id or databaseId).`);
}

const isMaster = (ctx: Context): boolean => ctx.directSharing.tokenKind === TokenKind.MASTER;

const MetadataInput = builder.inputType('DataFileMetadataInput', {
  description:
    'Metadata stored with a file. Checked like Open Humans checks it, with its wording ' +
    '("Dates must be in ISO 8601 format", "Invalid MD5 specified", …).',
  fields: (t) => ({
    description: t.string({ required: true, description: 'What the file holds (may be empty).' }),
    tags: t.stringList({ required: true, description: 'Tags (may be empty).' }),
    md5: t.string({
      description:
        'MD5 of the content (hex). Checked against the bytes received; filled in when omitted, except on ' +
        'an upload streamed with a declared `size` (it is only known once the file is stored).',
    }),
    creationDate: t.string({
      description:
        'When the data was created: ISO 8601 in any form Open Humans accepts (see `MetadataDate`), stored exactly as given.',
    }),
    startDate: t.string({
      description:
        'Start of the period the data covers: ISO 8601 in any form Open Humans accepts (see `MetadataDate`), stored exactly as given.',
    }),
    endDate: t.string({
      description:
        'End of the period the data covers: ISO 8601 in any form Open Humans accepts (see `MetadataDate`), stored exactly as given.',
    }),
    extra: t.field({
      type: 'JSONObject',
      description: 'Any other metadata keys, stored unchanged.',
    }),
  }),
});

const MEMBER_ID_DESCRIPTION =
  'The member (8-digit project member id). Required with a master token; a member token always ' +
  'acts on its own membership (naming another member is FORBIDDEN).';

const UploadDataFileInput = builder.inputType('UploadDataFileInput', {
  description: 'Input of `uploadDataFile`.',
  fields: (t) => ({
    projectMemberId: t.string({ description: MEMBER_ID_DESCRIPTION }),
    file: t.field({
      type: 'Upload',
      required: true,
      description: 'The file, as a multipart part (GraphQL multipart request spec).',
    }),
    metadata: t.field({
      type: MetadataInput,
      required: true,
      description: 'Metadata stored with the file.',
    }),
    dataTypeIds: t.idList({
      description:
        'Data types of the file (DataType global ids or databaseIds), registered for the project.',
    }),
    size: t.float({
      description:
        "The file's exact size in bytes, when known (a whole number above 0, at most the maximum upload " +
        'size). A file above the direct-upload threshold then streams straight into storage with that ' +
        'length instead of being set aside first; it is completed only if the bytes received add up to ' +
        '`size` (and match `metadata.md5`, when given), else nothing is stored: `InvalidInputError` on ' +
        '`input.size` (or `ChecksumMismatchError`). With an `idempotencyKey` the file streams only when ' +
        '`metadata.md5` is given.',
    }),
    idempotencyKey: t.string({
      description:
        'Makes retries safe: a retry with the same key (same token), file and input returns the first upload instead of storing a second file; the key reused with another file or input is an `IdempotencyKeyConflictError`.',
    }),
  }),
});

const UploadMethodEnum = builder.enumType('UploadMethod', {
  description: 'How the gateway sent the bytes to Open Humans.',
  values: {
    SIMPLE: { description: 'One multipart POST (small files).' },
    DIRECT: {
      description: 'Pre-signed PUT to storage, then complete (files above the threshold).',
    },
  } as const,
});

interface UploadPayloadShape {
  fileId: number;
  projectMemberId: string;
  size: number;
  md5: string;
  method: 'SIMPLE' | 'DIRECT';
  asMaster: boolean;
}

const UploadDataFilePayload = builder
  .objectRef<UploadPayloadShape>('UploadDataFilePayload')
  .implement({
    description: 'The stored file.',
    fields: (t) => ({
      dataFile: t.field({
        type: DataFileRef,
        nullable: true,
        description:
          "The new file as the member's file list shows it (null if it cannot be listed right away).",
        resolve: (p, _args, ctx) =>
          findMemberFile(ctx.directSharing, p.projectMemberId, p.fileId, p.asMaster),
      }),
      dataFileId: t.id({
        description: 'Global id of the new DataFile.',
        resolve: (p) => encodeGlobalID('DataFile', p.fileId),
      }),
      databaseId: t.exposeInt('fileId', { description: 'Open Humans id of the new file.' }),
      projectMemberId: t.exposeString('projectMemberId', {
        description: 'The member the file belongs to.',
      }),
      size: t.float({ description: 'Bytes stored.', resolve: (p) => p.size }),
      md5: t.exposeString('md5', { description: 'MD5 of the bytes stored (hex).' }),
      uploadMethod: t.field({
        type: UploadMethodEnum,
        description: 'Which upstream path was used.',
        resolve: (p) => p.method,
      }),
    }),
  });

builder.mutationField('uploadDataFile', (t) =>
  t.field({
    // Nullable: a failure leaves the results of the request's other mutations standing.
    nullable: true,
    description:
      'Stores a file for a member. Send it with the GraphQL multipart request spec plus a CSRF ' +
      'header (e.g. `graphql-preflight: 1`). The bytes stream through the gateway (memory stays ' +
      'flat); files above the configured threshold go to storage with a pre-signed PUT whose ' +
      'checksum is verified before the upload is completed. Never retried automatically.',
    type: UploadDataFilePayload,
    errors: {
      types: [InputError, FileTooLargeError, ChecksumMismatchError, IdempotencyConflictError],
      directResult: true,
      union: {
        name: 'UploadDataFileResult',
        description: 'The stored file, or why nothing was stored.',
      },
    },
    args: {
      input: t.arg({
        type: UploadDataFileInput,
        required: true,
        description: 'What to store, and for whom.',
      }),
    },
    resolve: async (_root, { input }, ctx) => {
      const uploads = new DataFileUploads(ctx.directSharing, ctx.uploads);
      const result = await uploads.upload({
        projectMemberId: input.projectMemberId,
        file: input.file,
        metadata: input.metadata,
        dataTypeIds: input.dataTypeIds?.map((id) =>
          databaseIdOf(String(id), 'DataType', 'dataTypeIds'),
        ),
        idempotencyKey: input.idempotencyKey,
        size: input.size,
      });
      return { ...result, asMaster: isMaster(ctx) };
    },
  }),
);

const CreateDataFileUploadInput = builder.inputType('CreateDataFileUploadInput', {
  description: 'Input of `createDataFileUpload`.',
  fields: (t) => ({
    projectMemberId: t.string({ description: MEMBER_ID_DESCRIPTION }),
    filename: t.string({
      required: true,
      description: 'The file name to store (a plain name, no path).',
    }),
    metadata: t.field({
      type: MetadataInput,
      required: true,
      description: 'Metadata stored with the file.',
    }),
    dataTypeIds: t.idList({
      description: 'Data types of the file (DataType global ids or databaseIds).',
    }),
  }),
});

interface CreatedShape {
  fileId: number;
  projectMemberId: string;
  uploadUrl: string;
  expiresAt: Date;
  handle: string;
}

const CreateDataFileUploadPayload = builder
  .objectRef<CreatedShape>('CreateDataFileUploadPayload')
  .implement({
    description:
      'Where to PUT the bytes. Send `PUT uploadUrl` with `Content-Length` and WITHOUT `Content-Type` ' +
      '(it breaks the signature), then call `completeDataFileUpload` with `handle`.',
    fields: (t) => ({
      uploadUrl: t.field({
        type: 'URL',
        description: 'Pre-signed storage URL (a secret: do not log it).',
        resolve: (p) => p.uploadUrl,
      }),
      method: t.string({ description: 'Always `PUT`.', resolve: () => 'PUT' }),
      requiredHeaders: t.stringList({
        description: 'Headers the PUT must carry.',
        resolve: () => ['Content-Length'],
      }),
      forbiddenHeaders: t.stringList({
        description: 'Headers the PUT must not carry.',
        resolve: () => ['Content-Type'],
      }),
      expiresAt: t.field({
        type: 'DateTime',
        description: 'When the URL and the handle stop working.',
        resolve: (p) => p.expiresAt,
      }),
      handle: t.exposeString('handle', {
        description: 'Gateway-signed proof for `completeDataFileUpload` (this token only).',
      }),
      databaseId: t.exposeInt('fileId', {
        description: 'Open Humans id of the (still incomplete, invisible) file.',
      }),
      projectMemberId: t.exposeString('projectMemberId', {
        description: 'The member the file will belong to.',
      }),
    }),
  });

builder.mutationField('createDataFileUpload', (t) =>
  t.field({
    // Nullable: a failure leaves the results of the request's other mutations standing.
    nullable: true,
    description:
      'Starts an upload that goes from the client straight to storage (for very large files).',
    type: CreateDataFileUploadPayload,
    errors: {
      types: [InputError],
      directResult: true,
      union: { name: 'CreateDataFileUploadResult', description: 'Where to upload, or why not.' },
    },
    args: {
      input: t.arg({
        type: CreateDataFileUploadInput,
        required: true,
        description: 'What will be stored, and for whom.',
      }),
    },
    resolve: (_root, { input }, ctx) =>
      new DataFileUploads(ctx.directSharing, ctx.uploads).createUpload({
        projectMemberId: input.projectMemberId,
        filename: input.filename,
        metadata: input.metadata,
        dataTypeIds: input.dataTypeIds?.map((id) =>
          databaseIdOf(String(id), 'DataType', 'dataTypeIds'),
        ),
      }),
  }),
);

const CompleteDataFileUploadInput = builder.inputType('CompleteDataFileUploadInput', {
  description: 'Input of `completeDataFileUpload`.',
  fields: (t) => ({
    handle: t.string({
      required: true,
      description: 'The `handle` from `createDataFileUpload`, with the same token.',
    }),
  }),
});

const CompleteDataFileUploadPayload = builder
  .objectRef<{ fileId: number; projectMemberId: string; size: number; asMaster: boolean }>(
    'CompleteDataFileUploadPayload',
  )
  .implement({
    description: 'The completed file.',
    fields: (t) => ({
      dataFile: t.field({
        type: DataFileRef,
        nullable: true,
        description:
          "The file as the member's file list shows it (null if it cannot be listed right away).",
        resolve: (p, _args, ctx) =>
          findMemberFile(ctx.directSharing, p.projectMemberId, p.fileId, p.asMaster),
      }),
      databaseId: t.exposeInt('fileId', { description: 'Open Humans id of the file.' }),
      size: t.float({
        description: 'Bytes stored, as Open Humans measured them.',
        resolve: (p) => p.size,
      }),
    }),
  });

builder.mutationField('completeDataFileUpload', (t) =>
  t.field({
    // Nullable: a failure leaves the results of the request's other mutations standing.
    nullable: true,
    description:
      'Completes an upload started with `createDataFileUpload`, after the PUT succeeded.',
    type: CompleteDataFileUploadPayload,
    errors: {
      types: [InvalidUploadHandleError, InputError],
      directResult: true,
      union: {
        name: 'CompleteDataFileUploadResult',
        description: 'The completed file, or why not.',
      },
    },
    args: {
      input: t.arg({
        type: CompleteDataFileUploadInput,
        required: true,
        description: 'The upload to complete.',
      }),
    },
    resolve: async (_root, { input }, ctx) => ({
      ...(await new DataFileUploads(ctx.directSharing, ctx.uploads).completeUpload(input.handle)),
      asMaster: isMaster(ctx),
    }),
  }),
);

const DeleteDataFilesInput = builder.inputType('DeleteDataFilesInput', {
  description: 'Input of `deleteDataFiles`: exactly one of `fileId`, `basename`, `all`.',
  fields: (t) => ({
    projectMemberId: t.string({ description: MEMBER_ID_DESCRIPTION }),
    fileId: t.id({ description: 'One file (DataFile global id or databaseId).' }),
    basename: t.string({ description: 'Every file with this name.' }),
    all: t.boolean({
      description: 'Every file this project stored for the member; must be explicitly `true`.',
    }),
  }),
});

const DeleteDataFilesPayload = builder
  .objectRef<{ ids: number[] }>('DeleteDataFilesPayload')
  .implement({
    description: 'What was deleted (files of other projects, or unknown ids, are never touched).',
    fields: (t) => ({
      deletedFileIds: t.idList({
        description: 'Global ids of the deleted files.',
        resolve: (p) => p.ids.map((id) => encodeGlobalID('DataFile', id)),
      }),
      deletedDatabaseIds: t.intList({
        description: 'Open Humans ids of the deleted files.',
        resolve: (p) => p.ids,
      }),
    }),
  });

builder.mutationField('deleteDataFiles', (t) =>
  t.field({
    // Nullable: a failure leaves the results of the request's other mutations standing.
    nullable: true,
    description: 'Deletes files this project stored for a member. Never retried.',
    type: DeleteDataFilesPayload,
    errors: {
      types: [InputError],
      directResult: true,
      union: {
        name: 'DeleteDataFilesResult',
        description: 'What was deleted, or why nothing was.',
      },
    },
    args: {
      input: t.arg({ type: DeleteDataFilesInput, required: true, description: 'Which files.' }),
    },
    resolve: async (_root, { input }, ctx) => ({
      ids: await deleteDataFiles(ctx.directSharing, {
        projectMemberId: input.projectMemberId,
        fileId:
          input.fileId == null ? null : databaseIdOf(String(input.fileId), 'DataFile', 'fileId'),
        basename: input.basename,
        all: input.all,
      }),
    }),
  }),
);
