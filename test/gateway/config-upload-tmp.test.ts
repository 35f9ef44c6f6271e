/**
 * `UPLOAD_TMP_DIR` is checked at start (exists, is a writable directory, has free space above
 * `UPLOAD_TMP_MIN_FREE_BYTES`): a bad one stops the gateway with one clear message, together
 * with any other invalid variable, instead of failing the first upload with a masked error.
 */
import { chmodSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { ConfigError, loadConfig } from '../../src/config/index.js';

const scratch = mkdtempSync(join(tmpdir(), 'oh-graphql-config-tmp-'));

afterAll(() => {
  chmodSync(scratch, 0o700);
  rmSync(scratch, { recursive: true, force: true });
});

function problemsOf(env: Record<string, string>): string[] {
  try {
    loadConfig(env);
    return [];
  } catch (err) {
    if (err instanceof ConfigError) return [...err.problems];
    throw err;
  }
}

/** A directory this process cannot write to: as root permission bits do not stop it, so /sys. */
function unwritableDir(): string {
  if (process.getuid?.() === 0) return '/sys';
  const dir = mkdtempSync(join(scratch, 'ro-'));
  chmodSync(dir, 0o500);
  return dir;
}

describe('UPLOAD_TMP_DIR at start', () => {
  it('accepts a writable directory with room (the default: the system temp directory)', () => {
    expect(problemsOf({})).toEqual([]);
    expect(loadConfig({ UPLOAD_TMP_DIR: scratch }).uploads.tmpDir).toBe(scratch);
  });

  it('refuses a directory that does not exist', () => {
    const missing = join(scratch, 'missing');
    expect(problemsOf({ UPLOAD_TMP_DIR: missing })).toEqual([
      `UPLOAD_TMP_DIR ("${missing}") cannot be used: it does not exist`,
    ]);
  });

  it('refuses a file', () => {
    const file = join(scratch, 'a-file');
    writeFileSync(file, 'x');
    expect(problemsOf({ UPLOAD_TMP_DIR: file })).toEqual([
      `UPLOAD_TMP_DIR ("${file}") is not a directory`,
    ]);
  });

  it('refuses a directory it cannot write to, leaving nothing behind', () => {
    const dir = unwritableDir();
    const problems = problemsOf({ UPLOAD_TMP_DIR: dir });
    expect(problems).toHaveLength(1);
    expect(problems[0]).toMatch(
      new RegExp(`^UPLOAD_TMP_DIR \\("${dir}"\\) is not writable \\(E[A-Z]+\\)$`),
    );
  });

  it('refuses too little free space, and UPLOAD_TMP_MIN_FREE_BYTES=0 skips that check', () => {
    const huge = String(Number.MAX_SAFE_INTEGER);
    const problems = problemsOf({ UPLOAD_TMP_DIR: scratch, UPLOAD_TMP_MIN_FREE_BYTES: huge });
    expect(problems).toHaveLength(1);
    expect(problems[0]).toMatch(
      /^UPLOAD_TMP_DIR \(".+"\) has [\d.]+ MiB free, below UPLOAD_TMP_MIN_FREE_BYTES \([\d.]+ MiB\)/,
    );
    expect(problemsOf({ UPLOAD_TMP_DIR: scratch, UPLOAD_TMP_MIN_FREE_BYTES: '0' })).toEqual([]);
  });

  it('is reported in the same message as other invalid variables', () => {
    const missing = join(scratch, 'nope');
    const problems = problemsOf({ UPLOAD_TMP_DIR: missing, PORT: 'eighty' });
    expect(problems).toHaveLength(2);
    expect(problems.join('\n')).toMatch(/PORT must be an integer/);
    expect(problems.join('\n')).toMatch(/UPLOAD_TMP_DIR .* does not exist/);
  });

  it('leaves no probe file in the directory', async () => {
    const dir = mkdtempSync(join(scratch, 'clean-'));
    loadConfig({ UPLOAD_TMP_DIR: dir });
    const { readdirSync } = await import('node:fs');
    expect(readdirSync(dir)).toEqual([]);
  });
});
