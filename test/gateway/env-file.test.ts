/**
 * `npm start` loads `.env` from its working directory (Node's own `process.loadEnvFile`): the
 * real process, started as `npm start` starts it, in a scratch directory. Variables already in
 * the environment win over the file; an invalid value in the file stops the gateway with the
 * usual configuration message.
 */
import { spawn } from 'node:child_process';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { afterAll, describe, expect, it } from 'vitest';

const MAIN = fileURLToPath(new URL('../../src/main.ts', import.meta.url));
const TSX = import.meta.resolve('tsx');
const dirs: string[] = [];

afterAll(() => {
  for (const dir of dirs) rmSync(dir, { recursive: true, force: true });
});

function scratchWithEnvFile(content: string): string {
  const dir = mkdtempSync(join(tmpdir(), 'oh-graphql-envfile-'));
  dirs.push(dir);
  writeFileSync(join(dir, '.env'), content);
  return dir;
}

interface Run {
  code: number | null;
  stdout: string;
  stderr: string;
  /** The `listening` log line, when the gateway started. */
  listening?: { url: string; upstream: string; envFile: string | null };
  metricsStatus?: number;
}

/** Starts the gateway in `cwd`; once it listens, asks for /metrics and stops it with SIGTERM. */
function startIn(cwd: string, env: Record<string, string> = {}): Promise<Run> {
  return new Promise((resolve, reject) => {
    const child = spawn(process.execPath, ['--import', TSX, MAIN], {
      cwd,
      env: { PATH: process.env.PATH ?? '', HOME: process.env.HOME ?? '', ...env },
      stdio: ['ignore', 'pipe', 'pipe'],
    });
    const run: Run = { code: null, stdout: '', stderr: '' };
    child.stderr.on('data', (chunk: Buffer) => (run.stderr += chunk.toString()));
    child.stdout.on('data', (chunk: Buffer) => {
      run.stdout += chunk.toString();
      const line = run.stdout.split('\n').find((l) => l.includes('"msg":"listening"'));
      if (!line || run.listening) return;
      run.listening = JSON.parse(line) as Run['listening'];
      fetch(`${run.listening?.url}/metrics`)
        .then((res) => {
          run.metricsStatus = res.status;
        })
        .finally(() => child.kill('SIGTERM'));
    });
    child.on('error', reject);
    child.on('exit', (code) => resolve({ ...run, code }));
  });
}

describe('.env', () => {
  it('is loaded by npm start, and the real environment wins over it', async () => {
    const cwd = scratchWithEnvFile(
      [
        '# a comment',
        'PORT=0',
        'HOST=127.0.0.1',
        'GRAPHIQL=false',
        'METRICS=false',
        'OPENHUMANS_BASE_URL=http://127.0.0.1:9',
        '',
      ].join('\n'),
    );
    const run = await startIn(cwd, { OPENHUMANS_BASE_URL: 'http://127.0.0.1:8' });
    expect(run.listening, run.stderr).toBeDefined();
    expect(run.listening?.envFile).toBe('.env');
    // From the environment, not the file.
    expect(run.listening?.upstream).toBe('http://127.0.0.1:8');
    // From the file: METRICS=false turns /metrics off.
    expect(run.metricsStatus).toBe(404);
  }, 60_000);

  it('stops the gateway with the configuration message when the file holds a bad value', async () => {
    const cwd = scratchWithEnvFile('PORT=eighty\n');
    const run = await startIn(cwd);
    expect(run.code).toBe(1);
    expect(run.stderr).toContain('Invalid configuration');
    expect(run.stderr).toContain('PORT must be an integer from 0 to 65535 (got "eighty")');
  }, 60_000);
});
