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

/** The last JSON object printed on stdout: one line, or pretty-printed over several lines. */
function lastJson(text: string): Record<string, unknown> | null {
  const trimmed = text.trim();
  const starts = [...trimmed.matchAll(/(^|\n)\{/g)].map((m) => m.index + (m[1] ?? '').length).reverse();
  for (const start of starts) {
    try {
      return JSON.parse(trimmed.slice(start)) as Record<string, unknown>;
    } catch {
      // not a whole object from here; try an earlier start
    }
  }
  return null;
}

/** A number, also from a numeric string such as "12.3" or "512 MiB/s". */
const num = (v: unknown): number | undefined => {
  const n = typeof v === 'number' ? v : typeof v === 'string' ? Number.parseFloat(v) : Number.NaN;
  return Number.isFinite(n) ? n : undefined;
};

const MB_TO_MIB = 1e6 / 1024 ** 2;
const mbToMib = (v: unknown): number | undefined => {
  const n = num(v);
  return n === undefined ? undefined : Math.round(n * MB_TO_MIB * 10) / 10;
};

function toSide(run: ScriptRun, what: string): UploadSide {
  const result = lastJson(run.stdout);
  if (run.timedOut) return { available: false, reason: `not available: ${what} timed out` };
  if (run.code !== 0 || !result) {
    const tail = run.stderr.trim().split('\n').slice(-3).join(' | ').slice(0, 300);
    return { available: false, reason: `not available: ${what} exited ${run.code} ${tail}`.trim() };
  }
  // Our own fields (direct-put.ts), else bench/upload-memory.ts's (MB = 10^6 bytes, as strings).
  const fileMiB = num(result.fileMiB);
  const bytes = num(result.bytes) ?? (fileMiB === undefined ? undefined : fileMiB * 1024 ** 2);
  const seconds = num(result.seconds) ?? num(result.throughGatewaySeconds);
  const rate = num(result.mibPerSecond)
    ?? (bytes !== undefined && seconds ? Math.round((bytes / 1024 ** 2 / seconds) * 10) / 10 : undefined);
  return {
    available: true,
    bytes,
    seconds,
    mibPerSecond: rate,
    peakRssMiB: num(result.peakRssMiB) ?? mbToMib(result.gatewayPeakRssSampledMB),
    rssGrowthMiB: num(result.rssGrowthMiB) ?? mbToMib(result.rssGrowthSampledMB),
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
  let gateway: UploadSide;
  let directPut: UploadSide | null = null;
  if (!existsSync('bench/upload-memory.ts')) {
    gateway = { available: false, reason: 'not available: bench/upload-memory.ts does not exist yet' };
  } else if (options.smoke) {
    gateway = { available: false, reason: 'skipped in smoke mode (bench/upload-memory.ts runs a 1 GiB upload)' };
  } else {
    const sizeMiB = String(Math.round(options.bytes / 1024 ** 2));
    const run = await runScript('bench/upload-memory.ts', ['--json', '--size-mib', sizeMiB], {}, null, 420_000);
    gateway = toSide(run, 'bench/upload-memory.ts');
    // That script times its own direct PUT of the same size to the same kind of sandbox.
    directPut = directPutFrom(gateway);
  }
  directPut ??= toSide(await runScript('bench/procs/direct-put.ts', [], {
    BENCH_SANDBOX_URL: options.sandboxUrl,
    BENCH_MASTER_TOKEN: options.masterToken,
    BENCH_UPLOAD_BYTES: String(options.bytes),
  }, options.cpus, 300_000), 'direct PUT');
  return {
    id: 'e',
    title: `(e) upload of ${formatBytes(options.bytes)}: memory and throughput`,
    directPut,
    gateway,
    peer: { available: false, reason: 'not available: the peer has no upload support' },
  };
}

/** The direct-PUT figures that bench/upload-memory.ts reports beside the gateway's, if any. */
function directPutFrom(gateway: UploadSide): UploadSide | null {
  const seconds = num(gateway.details?.directPutSeconds);
  if (!gateway.available || seconds === undefined || gateway.bytes === undefined) return null;
  return {
    available: true,
    bytes: gateway.bytes,
    seconds,
    mibPerSecond: Math.round((gateway.bytes / 1024 ** 2 / seconds) * 10) / 10,
    details: { source: 'bench/upload-memory.ts (directPutSeconds)' },
  };
}

export function formatBytes(bytes: number): string {
  return bytes >= 1024 ** 3 ? `${bytes / 1024 ** 3} GiB` : `${bytes / 1024 ** 2} MiB`;
}

export function skippedUpload(): UploadReport {
  const skipped = { available: false, reason: 'skipped (--no-upload)' };
  return { id: 'e', title: '(e) upload: skipped', directPut: skipped, gateway: skipped, peer: skipped };
}
