import { statfs } from 'node:fs/promises';
import type { TransformCallback } from 'node:stream';
import { Transform } from 'node:stream';
import { ErrorCode, ErrorReason, GatewayError } from '../../errors.js';

/** The process-wide upload limits (config `UPLOAD_*`, see `src/config/intake-limits.ts`). */
export interface UploadCapacityLimits {
  maxConcurrent: number;
  maxConcurrentPerToken: number;
  maxSpoolBytes: number;
  minFreeDiskBytes: number;
  /** The spool directory whose file system is watched. */
  tmpDir: string;
}

/** Free bytes for unprivileged writers on the file system holding `dir`. */
export type FreeDiskProbe = (dir: string) => Promise<number>;

export const freeDiskBytes: FreeDiskProbe = async (dir) => {
  const stats = await statfs(dir);
  return stats.bavail * stats.bsize;
};

/** Free space is measured again after every this many spooled bytes of one file. */
const DISK_RECHECK_BYTES = 16 * 1024 * 1024;

/** An upload's place among the running ones; `release` is idempotent. */
export interface UploadSlot {
  release(): void;
}

/** Counts one spool's bytes against the process-wide budget; `release` gives them back. */
export interface SpoolMeter {
  stream: Transform;
  release(): void;
}

/** What the spool writers need: a meter per spooled file. */
export interface SpoolCapacity {
  meter(): SpoolMeter;
}

/** A refusal with its HTTP status (sent before the body is read) and a Retry-After hint. */
export class CapacityError extends GatewayError {
  constructor(
    readonly status: number,
    reason: ErrorReason,
    message: string,
  ) {
    super(ErrorCode.RATE_LIMITED, message, { reason, extensions: { retryAfterSeconds: 5 } });
  }
}

/**
 * How many streamed uploads run at once (overall and per token), how many bytes their spools hold
 * together, and the free-disk floor. All state is in this process; one instance per gateway.
 */
export class UploadCapacity implements SpoolCapacity {
  private active = 0;
  private readonly perToken = new Map<string, number>();
  private spooled = 0;

  constructor(
    private readonly limits: UploadCapacityLimits,
    private readonly probe: FreeDiskProbe = freeDiskBytes,
  ) {}

  /** Running uploads and spooled bytes (tests, metrics). */
  stats(): { active: number; spoolBytes: number } {
    return { active: this.active, spoolBytes: this.spooled };
  }

  /** Takes a slot for `key` (a token hash), or says which cap is reached. */
  acquire(key: string): UploadSlot | CapacityError {
    const mine = this.perToken.get(key) ?? 0;
    if (mine >= this.limits.maxConcurrentPerToken) {
      return new CapacityError(
        429,
        ErrorReason.TOKEN_UPLOADS_BUSY,
        `This token already has ${this.limits.maxConcurrentPerToken} uploads running; wait for one to finish.`,
      );
    }
    if (this.active >= this.limits.maxConcurrent) {
      return new CapacityError(
        503,
        ErrorReason.UPLOADS_BUSY,
        'The gateway is handling as many uploads as it can; try again shortly.',
      );
    }
    this.active += 1;
    this.perToken.set(key, mine + 1);
    let released = false;
    return {
      release: () => {
        if (released) return;
        released = true;
        this.active -= 1;
        const left = (this.perToken.get(key) ?? 1) - 1;
        if (left > 0) this.perToken.set(key, left);
        else this.perToken.delete(key);
      },
    };
  }

  /** Refuses when the spools are full or the disk is below its floor (before any byte is read). */
  async admit(): Promise<CapacityError | undefined> {
    if (this.spooled >= this.limits.maxSpoolBytes) return spoolFull();
    return (await this.diskLow()) ? diskLow() : undefined;
  }

  meter(): SpoolMeter {
    let own = 0;
    let sinceCheck = 0;
    const stream = new Transform({
      transform: (chunk: Buffer, _encoding: BufferEncoding, callback: TransformCallback) => {
        if (this.spooled + chunk.length > this.limits.maxSpoolBytes) return callback(spoolFull());
        this.spooled += chunk.length;
        own += chunk.length;
        sinceCheck += chunk.length;
        if (sinceCheck < DISK_RECHECK_BYTES) return callback(null, chunk);
        sinceCheck = 0;
        this.diskLow().then(
          (low) => callback(low ? diskLow() : null, low ? undefined : chunk),
          () => callback(null, chunk),
        );
      },
    });
    return {
      stream,
      release: () => {
        this.spooled -= own;
        own = 0;
      },
    };
  }

  private async diskLow(): Promise<boolean> {
    if (this.limits.minFreeDiskBytes === 0) return false;
    // A failing probe (unusual file systems) does not block uploads; the spool cap still holds.
    const free = await this.probe(this.limits.tmpDir).catch(() => Number.POSITIVE_INFINITY);
    return free < this.limits.minFreeDiskBytes;
  }
}

const spoolFull = (): CapacityError =>
  new CapacityError(
    503,
    ErrorReason.SPOOL_FULL,
    'The gateway holds as many upload bytes as it may; try again shortly.',
  );

const diskLow = (): CapacityError =>
  new CapacityError(
    503,
    ErrorReason.DISK_LOW,
    'The gateway is low on disk space for uploads; try again later.',
  );
