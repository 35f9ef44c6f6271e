/**
 * What a client may make the gateway hold before any work is done for it: upload spooling
 * (disk), request bodies (memory) and connections (sockets). Read by `loadConfig` as one block so
 * these settings stay together.
 */
import type { Reader } from './reader.js';

/**
 * Upload guards (`src/datasources/writes/upload-capacity.ts`, `src/http/multipart/token-check.ts`).
 */
export interface UploadLimitsConfig {
  /**
   * `UPLOAD_TOKEN_CHECK_TTL_SECONDS`: how long an upstream-accepted token stays accepted for
   * uploads.
   */
  readonly tokenCheckTtlMs: number;
  /** `UPLOAD_MAX_CONCURRENT`: streamed uploads at once, process-wide. */
  readonly maxConcurrent: number;
  /** `UPLOAD_MAX_CONCURRENT_PER_TOKEN`: streamed uploads at once per token. */
  readonly maxConcurrentPerToken: number;
  /** `UPLOAD_MAX_SPOOL_BYTES`: bytes on disk in upload spools at once, process-wide. */
  readonly maxSpoolBytes: number;
  /**
   * `UPLOAD_MIN_FREE_DISK_BYTES`: below this much free space in the spool directory, uploads are
   * refused.
   */
  readonly minFreeDiskBytes: number;
}

/** Limits on bodies and sockets (`src/http/body-limit.ts`, `src/http/connection-limits.ts`). */
export interface ConnectionLimitsConfig {
  /** `MAX_BODY_BYTES`: largest non-multipart request body. */
  readonly maxBodyBytes: number;
  /** `HEADERS_TIMEOUT_MS`: time allowed for a request's headers. */
  readonly headersTimeoutMs: number;
  /** `BODY_MIN_BYTES_PER_WINDOW`: a body slower than this per window is cut with 408 (0 = off). */
  readonly bodyMinBytesPerWindow: number;
  /** `BODY_RATE_WINDOW_MS`: the window of that minimum rate. */
  readonly bodyRateWindowMs: number;
  /** `MAX_CONNECTIONS`: open connections, overall (0 = no cap). */
  readonly maxConnections: number;
  /** `MAX_CONNECTIONS_PER_CLIENT`: open connections per client address (0 = no cap). */
  readonly maxConnectionsPerClient: number;
}

const GiB = 1024 ** 3;

export function readUploadLimits(r: Reader, maxUploadBytes: number): UploadLimitsConfig {
  const limits: UploadLimitsConfig = {
    tokenCheckTtlMs: r.int('UPLOAD_TOKEN_CHECK_TTL_SECONDS', 60, 1, 600) * 1000,
    maxConcurrent: r.int('UPLOAD_MAX_CONCURRENT', 8, 1, 10_000),
    maxConcurrentPerToken: r.int('UPLOAD_MAX_CONCURRENT_PER_TOKEN', 2, 1, 10_000),
    maxSpoolBytes: r.int('UPLOAD_MAX_SPOOL_BYTES', 10 * GiB, 1, 1024 * GiB),
    minFreeDiskBytes: r.int('UPLOAD_MIN_FREE_DISK_BYTES', GiB, 0, 1024 * GiB),
  };
  if (limits.maxSpoolBytes < maxUploadBytes) {
    // Every upload is spooled whole: a smaller budget would refuse the largest allowed file.
    r.problems.push(
      `UPLOAD_MAX_SPOOL_BYTES (${limits.maxSpoolBytes}) must be at least MAX_UPLOAD_BYTES (${maxUploadBytes})`,
    );
  }
  return limits;
}

export function readConnectionLimits(r: Reader): ConnectionLimitsConfig {
  return {
    maxBodyBytes: r.int('MAX_BODY_BYTES', 1024 * 1024, 1024, 100 * 1024 * 1024),
    headersTimeoutMs: r.int('HEADERS_TIMEOUT_MS', 10_000, 100, 600_000),
    bodyMinBytesPerWindow: r.int('BODY_MIN_BYTES_PER_WINDOW', 8 * 1024, 0, 1024 ** 3),
    bodyRateWindowMs: r.int('BODY_RATE_WINDOW_MS', 30_000, 100, 600_000),
    maxConnections: r.int('MAX_CONNECTIONS', 1_024, 0, 1_000_000),
    maxConnectionsPerClient: r.int('MAX_CONNECTIONS_PER_CLIENT', 64, 0, 1_000_000),
  };
}
