import { createHash, type Hash } from 'node:crypto';
import type { FileContent } from '../data/types.js';

/**
 * How the sandbox keeps uploaded bytes. 'memory' keeps them (downloads return them); 'hash' keeps
 * only size and md5 and drops the bytes as they stream past, so multi-gigabyte upload tests and
 * benchmarks need neither disk nor memory.
 */
export type StorageMode = 'memory' | 'hash';

/** What the sandbox remembers about one stored object. */
export interface StoredBlob {
  readonly size: number;
  /** Lower-case hex md5 of the bytes: S3's ETag for a single PUT. */
  readonly md5: string;
  /** The bytes as received (memory mode), or null when they were discarded (hash mode). */
  readonly chunks: readonly Buffer[] | null;
}

/**
 * Consumes an upload chunk by chunk: hashes and counts every byte and, in memory mode, keeps the
 * chunks (that is what memory mode is for). In hash mode nothing outlives the current chunk.
 */
export class BlobWriter {
  private readonly hash: Hash = createHash('md5');
  private readonly chunks: Buffer[] | null;
  private size = 0;
  private finished: StoredBlob | null = null;

  constructor(readonly mode: StorageMode) {
    this.chunks = mode === 'memory' ? [] : null;
  }

  /** Bytes written so far. */
  get bytesWritten(): number {
    return this.size;
  }

  write(chunk: Buffer): void {
    if (this.finished) throw new Error('BlobWriter already finished');
    if (chunk.length === 0) return;
    this.hash.update(chunk);
    this.size += chunk.length;
    // Copy: callers hand out slices of parser buffers that are reused or retained elsewhere.
    if (this.chunks) this.chunks.push(Buffer.from(chunk));
  }

  finish(): StoredBlob {
    if (!this.finished) {
      this.finished = { size: this.size, md5: this.hash.digest('hex'), chunks: this.chunks };
    }
    return this.finished;
  }
}

/** The store's view of a finished blob: its bytes (memory mode) or only its hash. */
export function blobContent(blob: StoredBlob): FileContent {
  return blob.chunks ? { kind: 'chunks', chunks: blob.chunks } : { kind: 'hash' };
}

/** A blob from bytes already in hand (tests, seeded content). */
export function blobFromBytes(bytes: Buffer, mode: StorageMode = 'memory'): StoredBlob {
  const writer = new BlobWriter(mode);
  writer.write(bytes);
  return writer.finish();
}
