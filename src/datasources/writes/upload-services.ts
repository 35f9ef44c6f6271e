import { tmpdir } from 'node:os';
import type { Idempotency } from './idempotency.js';
import { IdempotencyStore } from './idempotency.js';
import type { UploadCapacityLimits } from './upload-capacity.js';
import { UploadCapacity } from './upload-capacity.js';
import { UploadHandleSigner } from './upload-handle.js';

/** Upload settings (config: `MAX_UPLOAD_BYTES`, `UPLOAD_DIRECT_THRESHOLD_BYTES`, …). */
export interface UploadSettings {
  /** Largest file accepted through the gateway. @default 5 GiB (S3's single-PUT ceiling is 5 GB) */
  maxUploadBytes: number;
  /**
   * Files above this go the direct way (D7 → PUT → D8); others the simple way (D6). @default 16 MiB
   */
  directThresholdBytes: number;
  /** Where uploads are spooled. @default the OS temp dir */
  tmpDir: string;
  /** `UPLOAD_HANDLE_SECRET`; null → a random secret per process. */
  handleSecret: string | null;
  /** How long an idempotency key is remembered. @default 24 h */
  idempotencyTtlMs: number;
}

export const DEFAULT_UPLOAD_SETTINGS: UploadSettings = {
  maxUploadBytes: 5 * 1024 ** 3,
  directThresholdBytes: 16 * 1024 ** 2,
  tmpDir: tmpdir(),
  handleSecret: null,
  idempotencyTtlMs: 24 * 3600 * 1000,
};

/** Process-wide upload state, created once (`createGateway`) and passed to every request. */
export interface UploadServices {
  settings: UploadSettings;
  /** Per process, or shared through Redis (`RedisIdempotencyStore`). */
  idempotency: Idempotency;
  /**
   * Completions of direct uploads, by handle: a replayed `completeDataFileUpload` (a retry after
   * a lost answer, through any instance when shared through Redis) gets the first answer and
   * never reaches the upstream again.
   */
  completions: Idempotency;
  handles: UploadHandleSigner;
  /** Concurrency caps, spool budget and disk floor; none when built without limits. */
  capacity?: UploadCapacity;
}

/** Shared stores (Redis) for what would otherwise be remembered per process. */
export interface SharedUploadState {
  idempotency: Idempotency;
  completions: Idempotency;
}

export function createUploadServices(
  settings: Partial<UploadSettings> = {},
  limits?: Omit<UploadCapacityLimits, 'tmpDir'>,
  shared?: SharedUploadState,
): UploadServices {
  const merged = { ...DEFAULT_UPLOAD_SETTINGS, ...settings };
  return {
    settings: merged,
    idempotency: shared?.idempotency ?? new IdempotencyStore({ ttlMs: merged.idempotencyTtlMs }),
    completions: shared?.completions ?? new IdempotencyStore({ ttlMs: merged.idempotencyTtlMs }),
    handles: new UploadHandleSigner(merged.handleSecret),
    ...(limits ? { capacity: new UploadCapacity({ ...limits, tmpDir: merged.tmpDir }) } : {}),
  };
}
