import { randomUUID } from 'node:crypto';
import { createWriteStream } from 'node:fs';
import { join } from 'node:path';
import { PassThrough } from 'node:stream';
import { pipeline } from 'node:stream/promises';
import type { BusboyFileStream, BusboyInstance } from '@fastify/busboy';
import { Busboy } from '@fastify/busboy';
import type { SpoolCapacity } from '../../datasources/writes/upload-capacity.js';
import type { Spool } from './multipart-parts.js';
import { asAbort, discardSpool, missingPart, openSpool, parseMap } from './multipart-parts.js';
import type { UploadedFile, UploadSource } from './upload.js';
import { MultipartRequestError, UploadAbortedError, UploadTooLargeError } from './upload.js';

/** Limits of one multipart GraphQL request. */
export interface MultipartLimits {
  /** Largest file part, in bytes (`MAX_UPLOAD_BYTES`). */
  maxFileBytes: number;
  /** Most file parts in one request. */
  maxFiles: number;
  /** Largest `operations` / `map` field, in bytes. */
  maxFieldBytes: number;
  /** Where parts that must be set aside (read out of order) are spooled. */
  tmpDir: string;
  /** Process-wide spool budget and disk floor; none = unbounded (tests of the parser alone). */
  capacity?: SpoolCapacity;
}

/** The two leading fields of the GraphQL multipart request spec, parsed. */
export interface MultipartFields {
  operations: string;
  map: Record<string, string[]>;
}

interface PartInfo {
  file: BusboyFileStream;
  filename: string;
  mimeType: string;
}

type Waiter = { resolve: (file: UploadedFile) => void; reject: (error: Error) => void };

/**
 * Parses one multipart GraphQL request as it streams in (busboy). `fields` resolves once
 * `operations` and `map` have arrived; file parts are then handed to resolvers live through
 * `claim`, with backpressure all the way back to the client socket, so memory stays flat.
 *
 * A part nobody has asked for yet stays paused (backpressure) until it is claimed; if a resolver
 * asks for a later part meanwhile, the paused part is spooled to a temporary file so parsing can
 * go on (no deadlock). `finish()` (after execution) discards whatever was never claimed and drains
 * the rest of the body.
 */
export class MultipartSession implements UploadSource {
  readonly fields: Promise<MultipartFields>;
  private resolveFields!: (fields: MultipartFields) => void;
  private rejectFields!: (error: Error) => void;
  private operations: string | undefined;
  private mapKeys = new Set<string>();
  private readonly seen = new Set<string>();
  private readonly claimed = new Set<string>();
  private readonly waiting = new Map<string, Waiter>();
  private readonly pending = new Map<string, PartInfo>();
  private readonly spools = new Map<string, Spool>();
  private readonly live = new Set<PassThrough>();
  private readonly busboy: BusboyInstance;
  private failure: Error | undefined;
  private parsed = false;
  private finished = false;

  /** @throws MultipartRequestError when the content type has no usable boundary. */
  constructor(
    private readonly body: AsyncIterable<Uint8Array>,
    contentType: string,
    private readonly limits: MultipartLimits,
  ) {
    this.fields = new Promise<MultipartFields>((resolve, reject) => {
      this.resolveFields = resolve;
      this.rejectFields = reject;
    });
    // Callers may abandon `fields` on early failure; never let that become an unhandled rejection.
    this.fields.catch(() => undefined);
    try {
      this.busboy = Busboy({
        headers: { 'content-type': contentType },
        limits: {
          fileSize: limits.maxFileBytes,
          files: limits.maxFiles,
          fieldSize: limits.maxFieldBytes,
          fields: 16,
          parts: limits.maxFiles + 16,
        },
      });
    } catch {
      throw new MultipartRequestError('The multipart request has no valid boundary.');
    }
    this.busboy.on('field', (name, value, _nameTruncated, valueTruncated) =>
      this.onField(name, value, valueTruncated),
    );
    this.busboy.on('file', (name, file, filename, _encoding, mimeType) =>
      this.onFile(name, file, filename, mimeType),
    );
    this.busboy.on('filesLimit', () =>
      this.fail(new MultipartRequestError(`At most ${limits.maxFiles} files per request.`, 413)),
    );
    this.busboy.on('error', (error: unknown) => this.fail(asAbort(error)));
    this.busboy.on('finish', () => this.onParsed());
    void this.pump();
  }

  /** Hands out the part sent under `key` once its bytes start arriving. Once per key. */
  claim(key: string): Promise<UploadedFile> {
    if (!this.mapKeys.has(key)) {
      return Promise.reject(new MultipartRequestError(`No file was mapped under "${key}".`));
    }
    if (this.claimed.has(key)) {
      return Promise.reject(new MultipartRequestError(`The file "${key}" can be read only once.`));
    }
    this.claimed.add(key);
    const part = this.pending.get(key);
    if (part) {
      this.pending.delete(key);
      return Promise.resolve(this.handLive(part));
    }
    const spool = this.spools.get(key);
    if (spool) {
      this.spools.delete(key);
      return spool.written.then(() => openSpool(spool));
    }
    if (this.failure) return Promise.reject(this.failure);
    if (this.parsed || this.finished) return Promise.reject(missingPart(key));
    return new Promise<UploadedFile>((resolve, reject) => {
      this.waiting.set(key, { resolve, reject });
      // Someone wants a later part: set aside whatever earlier part is blocking the parser.
      for (const [pendingKey, info] of this.pending) {
        this.pending.delete(pendingKey);
        this.spool(pendingKey, info);
      }
    });
  }

  /**
   * Execution is over: discard parts never claimed, remove their spools, and keep reading the
   * body to its end (discarding) so the connection stays usable.
   */
  finish(): void {
    if (this.finished) return;
    this.finished = true;
    for (const info of this.pending.values()) info.file.resume();
    this.pending.clear();
    for (const spool of this.spools.values())
      void spool.written.catch(() => undefined).finally(() => discardSpool(spool));
    this.spools.clear();
    for (const [key, waiter] of this.waiting) waiter.reject(missingPart(key));
    this.waiting.clear();
  }

  private async pump(): Promise<void> {
    try {
      for await (const chunk of this.body) {
        if (this.failure) break;
        if (!this.busboy.write(chunk)) {
          await new Promise<void>((resolve) => {
            const done = (): void => {
              this.busboy.off('drain', done);
              this.busboy.off('close', done);
              resolve();
            };
            this.busboy.on('drain', done);
            this.busboy.on('close', done);
          });
        }
      }
      if (!this.failure) this.busboy.end();
    } catch {
      this.fail(new UploadAbortedError());
    }
  }

  private onField(name: string, value: string, truncated: boolean): void {
    if (name !== 'operations' && name !== 'map') return; // extra fields are ignored
    if (truncated) {
      this.fail(
        new MultipartRequestError(
          `The "${name}" field is larger than ${this.limits.maxFieldBytes} bytes.`,
          413,
        ),
      );
      return;
    }
    if (name === 'operations') {
      if (this.operations === undefined) this.operations = value;
      return;
    }
    if (this.operations === undefined) {
      this.fail(new MultipartRequestError('The "operations" field must come before "map".'));
      return;
    }
    const map = parseMap(value);
    if (map instanceof Error) {
      this.fail(map);
      return;
    }
    this.mapKeys = new Set(Object.keys(map));
    this.resolveFields({ operations: this.operations, map });
  }

  private onFile(name: string, file: BusboyFileStream, filename: string, mimeType: string): void {
    // A part that errors with nobody listening would crash the process.
    file.on('error', () => undefined);
    if (this.mapKeys.size === 0 && !this.failure) {
      file.resume();
      this.fail(
        new MultipartRequestError('Files must come after the "operations" and "map" fields.'),
      );
      return;
    }
    if (this.finished || this.failure || !this.mapKeys.has(name) || this.seen.has(name)) {
      file.resume(); // not asked for: discard
      return;
    }
    this.seen.add(name);
    const info = { file, filename, mimeType };
    const waiter = this.waiting.get(name);
    if (waiter) {
      this.waiting.delete(name);
      waiter.resolve(this.handLive(info));
    } else if (this.waiting.size > 0) {
      this.spool(name, info);
    } else {
      this.pending.set(name, info);
    }
  }

  private onParsed(): void {
    this.parsed = true;
    if (this.mapKeys.size === 0) {
      this.rejectFields(
        new MultipartRequestError('The multipart request needs the "operations" and "map" fields.'),
      );
    }
    for (const [key, waiter] of this.waiting) waiter.reject(missingPart(key));
    this.waiting.clear();
  }

  private fail(error: Error): void {
    if (this.failure) return;
    this.failure = error;
    this.rejectFields(error);
    for (const out of this.live)
      out.destroy(error instanceof UploadTooLargeError ? error : asAbort(error));
    for (const waiter of this.waiting.values()) waiter.reject(error);
    this.waiting.clear();
    for (const info of this.pending.values()) info.file.resume();
    this.pending.clear();
    this.busboy.destroy();
    this.finish();
  }

  /**
   * Pipes the live part into a stream the resolver owns; a resolver that stops early discards the
   * rest.
   */
  private handLive({ file, filename, mimeType }: PartInfo): UploadedFile {
    const out = new PassThrough();
    this.live.add(out);
    file.once('limit', () => out.destroy(new UploadTooLargeError(this.limits.maxFileBytes)));
    file.once('error', () => out.destroy(new UploadAbortedError()));
    out.once('close', () => {
      this.live.delete(out);
      if (!file.readableEnded) {
        file.unpipe(out);
        file.resume();
      }
    });
    file.pipe(out);
    return { filename, mimeType, stream: out };
  }

  private spool(key: string, { file, filename, mimeType }: PartInfo): void {
    const path = join(this.limits.tmpDir, `oh-graphql-part-${randomUUID()}`);
    let tooLarge = false;
    file.once('limit', () => {
      tooLarge = true;
    });
    const meter = this.limits.capacity?.meter();
    const out = createWriteStream(path, { flags: 'wx', mode: 0o600 });
    const written = (meter ? pipeline(file, meter.stream, out) : pipeline(file, out)).then(() => {
      if (tooLarge) throw new UploadTooLargeError(this.limits.maxFileBytes);
    });
    const spool: Spool = { path, filename, mimeType, written, release: () => meter?.release() };
    written.catch(() => discardSpool(spool));
    this.spools.set(key, spool);
  }
}
