/** The abuse limits: defaults, and one clear message for bad values. */
import { describe, expect, it } from 'vitest';
import { ConfigError, loadConfig } from '../../src/config/index.js';

describe('upload, body and connection limits configuration', () => {
  it('has safe defaults', () => {
    const config = loadConfig({});
    expect(config.uploadLimits).toEqual({
      tokenCheckTtlMs: 60_000,
      maxConcurrent: 8,
      maxConcurrentPerToken: 2,
      maxSpoolBytes: 10 * 1024 ** 3,
      minFreeDiskBytes: 1024 ** 3,
    });
    expect(config.connectionLimits).toEqual({
      maxBodyBytes: 1024 * 1024,
      headersTimeoutMs: 10_000,
      bodyMinBytesPerWindow: 8 * 1024,
      bodyRateWindowMs: 30_000,
      maxConnections: 1_024,
      maxConnectionsPerClient: 64,
    });
  });

  it('refuses a spool budget smaller than the largest allowed file, and bad numbers, in one message', () => {
    let error: unknown;
    try {
      loadConfig({
        MAX_UPLOAD_BYTES: '2000000',
        UPLOAD_MAX_SPOOL_BYTES: '1000000',
        MAX_BODY_BYTES: '10',
        UPLOAD_MAX_CONCURRENT: '0',
      });
    } catch (err) {
      error = err;
    }
    expect(error).toBeInstanceOf(ConfigError);
    const message = (error as ConfigError).message;
    expect(message).toMatch(
      /UPLOAD_MAX_SPOOL_BYTES \(1000000\) must be at least MAX_UPLOAD_BYTES \(2000000\)/,
    );
    expect(message).toMatch(/MAX_BODY_BYTES must be an integer from 1024/);
    expect(message).toMatch(/UPLOAD_MAX_CONCURRENT must be an integer from 1/);
  });
});
