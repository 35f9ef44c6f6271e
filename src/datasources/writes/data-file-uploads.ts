import { createReadStream, openAsBlob } from 'node:fs';
import type { Readable } from 'node:stream';
import { TokenKind, tokenKindOf } from '../../auth/token.js';
import { ErrorCode, GatewayError } from '../../errors.js';
import type { PrivateDataFile } from '../direct-sharing-wire.js';
import { checkDeclaredSize, sizeMismatch, verifiedBody } from './declared-size.js';
import type { WriteMember } from './direct-steps.js';
import { completeDirect, fileIdOf, form, putToStorage, startDirect } from './direct-steps.js';
import {
  ChecksumMismatchError,
  FileTooLargeError,
  IdempotencyConflictError,
  InputError,
  InvalidUploadHandleError,
} from './errors.js';
import { fingerprintOf } from './idempotency.js';
import type { UploadMetadataInput } from './metadata.js';
import { checkMetadata, toWireMetadata } from './metadata.js';
import type { SpooledFile } from './spool.js';
import { spoolToFile } from './spool.js';
import type { FileUpload } from './upload-file.js';
import { UploadClientError, UploadTooLargeError } from './upload-file.js';
import { presignedExpiry } from './upload-handle.js';
import type { UploadServices } from './upload-services.js';
import type { WriteDeps } from './write-context.js';
import { resolveMember, write } from './write-context.js';

export interface UploadDataFileInput {
  projectMemberId?: string | null;
  file: FileUpload;
  metadata: UploadMetadataInput;
  /** Data type databaseIds (already decoded from global ids). */
  dataTypeIds?: number[] | null;
  idempotencyKey?: string | null;
  /** The file's exact size in bytes, when the client declares it (`input.size`). */
  size?: number | null;
}

/** What an upload produced. */
export interface UploadedDataFile {
  fileId: number;
  projectMemberId: string;
  size: number;
  md5: string;
  /** Which way the bytes went upstream. */
  method: 'SIMPLE' | 'DIRECT';
}

export interface CreateUploadInput {
  projectMemberId?: string | null;
  filename: string;
  metadata: UploadMetadataInput;
  dataTypeIds?: number[] | null;
}

export interface CreatedUpload {
  fileId: number;
  projectMemberId: string;
  uploadUrl: string;
  expiresAt: Date;
  handle: string;
}

/**
 * Writes files to a member (D6, or D7 → PUT → D8), through the gateway or, for very large files,
 * straight from the client to storage with a gateway-signed handle. See docs/design.md, Uploads.
 */
export class DataFileUploads {
  constructor(
    private readonly deps: WriteDeps,
    private readonly services: UploadServices,
  ) {}

  /**
   * `uploadDataFile`: validates, streams the file to a spool, then on upstream. With an
   * idempotency key, the record's fingerprint covers the file (md5, size, name) as well as the
   * member, metadata and data types, so a key reused for anything else is a conflict rather than
   * the first file silently returned. The bytes are spooled (never sent upstream) before that
   * comparison: a retry has to be read to be compared.
   */
  async upload(input: UploadDataFileInput): Promise<UploadedDataFile> {
    const problem = checkMetadata(input.metadata);
    if (problem) throw new InputError(problem.field, problem.message);
    const declared = checkDeclaredSize(input.size, this.services.settings.maxUploadBytes);
    const member = await resolveMember(this.deps, input.projectMemberId);
    if (declared !== undefined && this.streams(input, declared))
      return this.uploadStreamed(input, member, declared);
    const { filename, spooled } = await this.receive(input.file);
    try {
      if (spooled.size === 0) throw new InputError('file', 'The submitted file is empty.');
      if (declared !== undefined && spooled.size !== declared)
        throw sizeMismatch(declared, spooled.size);
      const given = input.metadata.md5?.toLowerCase();
      if (given && given !== spooled.md5) throw new ChecksumMismatchError(given, spooled.md5);
      const store = () => this.store(input, member, filename, spooled);
      if (!input.idempotencyKey) return await store();
      const fingerprint = uploadFingerprint(input, member.projectMemberId, filename, spooled);
      return await this.once(member.token, input.idempotencyKey, fingerprint, store);
    } finally {
      await spooled.remove();
    }
  }

  /**
   * Whether a declared-size upload streams straight into the pre-signed PUT: only files that go
   * the direct way, and, with an idempotency key, only when `metadata.md5` is given (the key's
   * fingerprint must name the bytes before they are read; without it the file is spooled).
   */
  private streams(input: UploadDataFileInput, declared: number): boolean {
    if (declared <= this.services.settings.directThresholdBytes) return false;
    return !input.idempotencyKey || Boolean(input.metadata.md5);
  }

  /**
   * The declared-size path: D7, then the request's bytes straight into the PUT (counted and
   * hashed on the way, see `verifiedBody`), then D8 only if the size, the md5 and the ETag all
   * match. On any failure the file is not completed: it stays invisible upstream and expires.
   */
  private async uploadStreamed(
    input: UploadDataFileInput,
    member: { token: string; projectMemberId: string; wireId: string | undefined },
    declared: number,
  ): Promise<UploadedDataFile> {
    const part = await input.file.open().catch((err: unknown) => {
      throw uploadFailure(err);
    });
    const filename = safeFilename(part.filename, 'file');
    const given = input.metadata.md5?.toLowerCase();
    const store = () =>
      this.streamToStorage(input, member, { filename, stream: part.stream, size: declared });
    if (!input.idempotencyKey || !given) return store();
    // The declared md5 and size stand for the bytes: they are checked before completion.
    const fingerprint = uploadFingerprint(input, member.projectMemberId, filename, {
      md5: given,
      size: declared,
    });
    return this.once(member.token, input.idempotencyKey, fingerprint, store);
  }

  /** Runs `store` once per (token, key); a retry gets the first answer, other bytes a conflict. */
  private async once(
    token: string,
    key: string,
    fingerprint: string,
    store: () => Promise<UploadedDataFile>,
  ): Promise<UploadedDataFile> {
    const outcome = await this.services.idempotency.run(token, key, fingerprint, store);
    if (outcome.kind === 'conflict') throw new IdempotencyConflictError();
    return await outcome.value;
  }

  private async streamToStorage(
    input: UploadDataFileInput,
    member: { token: string; projectMemberId: string; wireId: string | undefined },
    file: { filename: string; stream: Readable; size: number },
  ): Promise<UploadedDataFile> {
    const started = await startDirect(this.deps, member, {
      filename: file.filename,
      metadata: input.metadata,
      md5: undefined,
      dataTypeIds: input.dataTypeIds,
    });
    const verified = verifiedBody(file.stream, {
      size: file.size,
      md5: input.metadata.md5 ?? undefined,
    });
    try {
      await putToStorage(this.deps, started.url, verified.body, file.size, verified.md5);
    } catch (err) {
      // The client's side failed first (mismatch, broke off): that is the error, not the PUT's.
      const cause = verified.failure();
      throw cause === undefined ? err : uploadFailure(cause);
    } finally {
      verified.body.destroy();
    }
    await completeDirect(this.deps, member, started.id, file.size);
    await this.deps.invalidateMember(member.projectMemberId);
    return {
      fileId: started.id,
      projectMemberId: member.projectMemberId,
      size: file.size,
      md5: verified.md5(),
      method: 'DIRECT',
    };
  }

  /** `createDataFileUpload`: D7, and a handle that lets only this token complete it. */
  async createUpload(input: CreateUploadInput): Promise<CreatedUpload> {
    const problem = checkMetadata(input.metadata);
    if (problem) throw new InputError(problem.field, problem.message);
    const filename = safeFilename(input.filename, 'filename');
    const member = await resolveMember(this.deps, input.projectMemberId);
    const started = await startDirect(this.deps, member, {
      filename,
      metadata: input.metadata,
      md5: undefined,
      dataTypeIds: input.dataTypeIds,
    });
    const expiresAt = presignedExpiry(started.url, Date.now());
    const handle = this.services.handles.sign(
      { fileId: started.id, projectMemberId: member.projectMemberId, expiresAt },
      member.token,
    );
    return {
      fileId: started.id,
      projectMemberId: member.projectMemberId,
      uploadUrl: started.url,
      expiresAt: new Date(expiresAt * 1000),
      handle,
    };
  }

  /** `completeDataFileUpload`: only with a valid handle signed for this very token. */
  async completeUpload(
    handle: string,
  ): Promise<{ fileId: number; projectMemberId: string; size: number }> {
    const token = this.deps.requireToken();
    const checked = this.services.handles.check(handle, token);
    if (!checked.ok) throw new InvalidUploadHandleError(checked.reason);
    // Replay protection: one completion per handle; a replay gets the first answer.
    const outcome = await this.services.completions.run(
      token,
      `complete:${handle}`,
      'complete',
      () => this.completeOnce(token, checked.claims),
    );
    // One fingerprint for every completion: a conflict cannot happen.
    if (outcome.kind === 'conflict') throw new InvalidUploadHandleError('MALFORMED');
    return outcome.value;
  }

  private async completeOnce(
    token: string,
    claims: { fileId: number; projectMemberId: string },
  ): Promise<{ fileId: number; projectMemberId: string; size: number }> {
    const { fileId, projectMemberId } = claims;
    // The handle is bound to this token, so a member token completes its own file.
    const wireId = tokenKindOf(token) === TokenKind.MASTER ? projectMemberId : undefined;
    const done = await write<{ size?: unknown }>(this.deps, 'D8', {
      form: form({ file_id: String(fileId), project_member_id: wireId }),
    });
    await this.deps.invalidateMember(projectMemberId);
    return { fileId, projectMemberId, size: typeof done?.size === 'number' ? done.size : 0 };
  }

  /** Opens the request's file part and spools it (size and md5 known afterwards). */
  private async receive(file: FileUpload): Promise<{ filename: string; spooled: SpooledFile }> {
    const part = await file.open().catch((err: unknown) => {
      throw uploadFailure(err);
    });
    const filename = safeFilename(part.filename, 'file');
    const spooled = await spoolToFile(
      part.stream,
      this.services.settings.tmpDir,
      this.services.capacity,
    ).catch((err: unknown) => {
      throw uploadFailure(err);
    });
    return { filename, spooled };
  }

  /** Sends a spooled, checked file upstream (the spool is removed by the caller). */
  private async store(
    input: UploadDataFileInput,
    member: { token: string; projectMemberId: string; wireId: string | undefined },
    filename: string,
    spooled: SpooledFile,
  ): Promise<UploadedDataFile> {
    const direct = spooled.size > this.services.settings.directThresholdBytes;
    const fileId = direct
      ? await this.uploadDirect(member, filename, spooled, input)
      : await this.uploadSimple(member, filename, spooled, input);
    await this.deps.invalidateMember(member.projectMemberId);
    return {
      fileId,
      projectMemberId: member.projectMemberId,
      size: spooled.size,
      md5: spooled.md5,
      method: direct ? 'DIRECT' : 'SIMPLE',
    };
  }

  /** D6: one multipart POST, the file part streamed from the spool with a known length. */
  private async uploadSimple(
    member: { token: string; wireId: string | undefined },
    filename: string,
    spooled: SpooledFile,
    input: UploadDataFileInput,
  ): Promise<number> {
    const body = new FormData();
    body.append('data_file', await openAsBlob(spooled.path), filename);
    body.append('metadata', JSON.stringify(toWireMetadata(input.metadata, spooled.md5)));
    if (input.dataTypeIds?.length) body.append('datatypes', JSON.stringify(input.dataTypeIds));
    if (member.wireId) body.append('project_member_id', member.wireId);
    const created = await write<{ id?: unknown }>(this.deps, 'D6', { multipart: body });
    return fileIdOf(created);
  }

  /** D7 → PUT (Content-Length, no Content-Type) → ETag check → D8, from the spool. */
  private async uploadDirect(
    member: WriteMember,
    filename: string,
    spooled: SpooledFile,
    input: UploadDataFileInput,
  ): Promise<number> {
    const started = await startDirect(this.deps, member, {
      filename,
      metadata: input.metadata,
      md5: spooled.md5,
      dataTypeIds: input.dataTypeIds,
    });
    await putToStorage(
      this.deps,
      started.url,
      createReadStream(spooled.path),
      spooled.size,
      () => spooled.md5,
    );
    await completeDirect(this.deps, member, started.id, spooled.size);
    return started.id;
  }
}

/**
 * What an idempotency record is compared on: the member, the metadata (its `md5` is left out: a
 * given one must equal the file's anyway), the data types and the file itself (md5, size, name).
 */
function uploadFingerprint(
  input: UploadDataFileInput,
  projectMemberId: string,
  filename: string,
  file: { md5: string; size: number },
): string {
  const { md5: _given, ...metadata } = input.metadata;
  return fingerprintOf({
    m: projectMemberId,
    md: metadata,
    d: input.dataTypeIds ?? null,
    f: { md5: file.md5, size: file.size, name: filename },
  });
}

/**
 * Finds a member's file by id in exchange-member pages (newest uploads are usually near the end).
 */
export async function findMemberFile(
  deps: WriteDeps,
  projectMemberId: string,
  fileId: number,
  asMaster: boolean,
): Promise<PrivateDataFile | null> {
  const limit = 100;
  for (let offset = 0, pages = 0; pages < 20; offset += limit, pages += 1) {
    const page = await deps.exchangeMember({
      projectMemberId: asMaster ? projectMemberId : undefined,
      limit,
      offset,
    });
    const found = page.files.find((f) => f.databaseId === fileId);
    if (found) return found;
    if (offset + limit >= page.totalCount) return null;
  }
  return null;
}

// biome-ignore lint/suspicious/noControlCharactersInRegex: control characters are what it refuses
const CONTROL_CHARACTER = /[\x00-\x1f]/;

/** The client's file name, reduced to a base name (it becomes part of a storage key upstream). */
function safeFilename(name: string, field: string): string {
  const base = name.split(/[/\\]/).pop()?.trim() ?? '';
  if (
    base === '' ||
    base === '.' ||
    base === '..' ||
    base.length > 255 ||
    CONTROL_CHARACTER.test(base)
  ) {
    throw new InputError(
      field,
      'The file needs a plain name (no path, no control characters, at most 255 characters).',
    );
  }
  return base;
}

function uploadFailure(err: unknown): unknown {
  if (err instanceof UploadTooLargeError) return new FileTooLargeError(err.limitBytes);
  if (err instanceof UploadClientError) {
    return new GatewayError(ErrorCode.BAD_USER_INPUT, err.message);
  }
  return err;
}
