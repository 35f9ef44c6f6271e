/**
 * Scenario (e): a 1 GiB upload. The baseline is a direct PUT to the sandbox (bench/procs/direct-put.ts);
 * the gateway side is measured by `bench/upload-memory.ts` (owned by the mutations work) when it
 * exists: it is run as `node --import tsx bench/upload-memory.ts --json [--smoke]` and its LAST
 * stdout line must be a JSON object (fields such as bytes, seconds, mibPerSecond, peakRssMiB,
 * rssGrowthMiB are shown when present). The peer has no upload support.
 */
import { spawn } from 'node:child_process';
import { existsSync } from 'node:fs';
import type { UploadReport, UploadSide } from './types.js';

interface ScriptRun {
  code: number | null;
  stdout: string;
  stderr: string;
  timedOut: boolean;
}

function runScript(script: string, args: string[], env: Record<string, string>, cpus: string | null, timeoutMs: number): Promise<ScriptRun> {
  const nodeArgs = ['--import', 'tsx', script, ...args];
  const [command, argv] = cpus === null ? [process.execPath, nodeArgs] : ['taskset', ['-c', cpus, process.execPath, ...nodeArgs]];
  return new Promise((resolve) => {
    const child = spawn(command, argv, { env: { ...process.env, ...env }, stdio: ['ignore', 'pipe', 'pipe'] });
    let stdout = '';
    let stderr = '';
    let timedOut = false;
    child.stdout.setEncoding('utf8').on('data', (c: string) => { stdout = (stdout + c).slice(-20_000); });
    child.stderr.setEncoding('utf8').on('data', (c: string) => { stderr = (stderr + c).slice(-4_000); });
    const timer = setTimeout(() => { timedOut = true; child.kill('SIGKILL'); }, timeoutMs);
    child.once('close', (code) => {
      clearTimeout(timer);
      resolve({ code, stdout, stderr, timedOut });
    });
  });
}

function lastJson(text: string): Record<string, unknown> | null {
  const lines = text.trim().split('\n').reverse();
  for (const line of lines) {
    if (!line.trim().startsWith('{')) continue;
    try {
      return JSON.parse(line) as Record<string, unknown>;
    } catch {
      // keep looking
    }
  }
  return null;
}

const num = (v: unknown): number | undefined => (typeof v === 'number' && Number.isFinite(v) ? v : undefined);

function toSide(run: ScriptRun, what: string): UploadSide {
  const result = lastJson(run.stdout);
  if (run.timedOut) return { available: false, reason: `not available: ${what} timed out` };
  if (run.code !== 0 || !result) {
    const tail = run.stderr.trim().split('\n').slice(-3).join(' | ').slice(0, 300);
    return { available: false, reason: `not available: ${what} exited ${run.code} ${tail}`.trim() };
  }
  return {
    available: true,
    bytes: num(result.bytes),
    seconds: num(result.seconds),
    mibPerSecond: num(result.mibPerSecond),
    peakRssMiB: num(result.peakRssMiB),
    rssGrowthMiB: num(result.rssGrowthMiB),
    details: result,
  };
}

export async function measureUpload(options: {
  sandboxUrl: string;
  masterToken: string;
  bytes: number;
  smoke: boolean;
  cpus: string | null;
}): Promise<UploadReport> {
  const direct = await runScript('bench/procs/direct-put.ts', [], {
    BENCH_SANDBOX_URL: options.sandboxUrl,
    BENCH_MASTER_TOKEN: options.masterToken,
    BENCH_UPLOAD_BYTES: String(options.bytes),
  }, options.cpus, 300_000);

  let gateway: UploadSide;
  if (!existsSync('bench/upload-memory.ts')) {
    gateway = { available: false, reason: 'not available: bench/upload-memory.ts does not exist yet' };
  } else if (options.smoke) {
    gateway = { available: false, reason: 'skipped in smoke mode (bench/upload-memory.ts runs a 1 GiB upload)' };
  } else {
    gateway = toSide(await runScript('bench/upload-memory.ts', ['--json'], {}, null, 300_000), 'bench/upload-memory.ts');
  }
  return {
    id: 'e',
    title: `(e) upload of ${formatBytes(options.bytes)}: memory and throughput`,
    directPut: toSide(direct, 'direct PUT'),
    gateway,
    peer: { available: false, reason: 'not available: the peer has no upload support' },
  };
}

export function formatBytes(bytes: number): string {
  return bytes >= 1024 ** 3 ? `${bytes / 1024 ** 3} GiB` : `${bytes / 1024 ** 2} MiB`;
}

export function skippedUpload(): UploadReport {
  const skipped = { available: false, reason: 'skipped (--no-upload)' };
  return { id: 'e', title: '(e) upload: skipped', directPut: skipped, gateway: skipped, peer: skipped };
}
