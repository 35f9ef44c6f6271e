/**
 * Scenario (e): a 1 GiB upload. The baseline is a direct PUT to the sandbox; the gateway side is
 * measured by `bench/upload-memory.ts`, run as `node --import tsx bench/upload-memory.ts --json
 * --size-mib N`, whose LAST stdout line is a JSON object: `paths.declared` (the client declares
 * `input.size`: streamed into the PUT) and `paths.spooled` (no size: spooled first), each with
 * seconds, mibPerSecond, peakRssMiB, rssGrowthMiB, and `directPutSeconds` for its own direct PUT
 * of the same size. Without that script (or in smoke mode) bench/procs/direct-put.ts gives the
 * baseline alone. The peer has no upload support.
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

function runScript(
  script: string,
  args: string[],
  env: Record<string, string>,
  cpus: string | null,
  timeoutMs: number,
): Promise<ScriptRun> {
  const nodeArgs = ['--import', 'tsx', script, ...args];
  const [command, argv] =
    cpus === null
      ? [process.execPath, nodeArgs]
      : ['taskset', ['-c', cpus, process.execPath, ...nodeArgs]];
  return new Promise((resolve) => {
    const child = spawn(command, argv, {
      env: { ...process.env, ...env },
      stdio: ['ignore', 'pipe', 'pipe'],
    });
    let stdout = '';
    let stderr = '';
    let timedOut = false;
    child.stdout.setEncoding('utf8').on('data', (c: string) => {
      stdout = (stdout + c).slice(-20_000);
    });
    child.stderr.setEncoding('utf8').on('data', (c: string) => {
      stderr = (stderr + c).slice(-4_000);
    });
    const timer = setTimeout(() => {
      timedOut = true;
      child.kill('SIGKILL');
    }, timeoutMs);
    child.once('close', (code) => {
      clearTimeout(timer);
      resolve({ code, stdout, stderr, timedOut });
    });
  });
}

/** The last JSON object printed on stdout: one line, or pretty-printed over several lines. */
function lastJson(text: string): Record<string, unknown> | null {
  const trimmed = text.trim();
  const starts = [...trimmed.matchAll(/(^|\n)\{/g)]
    .map((m) => m.index + (m[1] ?? '').length)
    .reverse();
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

/** The script's outcome, or why there is none. */
function scriptResult(run: ScriptRun, what: string): Record<string, unknown> | UploadSide {
  const result = lastJson(run.stdout);
  if (run.timedOut) return { available: false, reason: `not available: ${what} timed out` };
  if (run.code !== 0 || !result) {
    const tail = run.stderr.trim().split('\n').slice(-3).join(' | ').slice(0, 300);
    return { available: false, reason: `not available: ${what} exited ${run.code} ${tail}`.trim() };
  }
  return result;
}

const isSide = (v: Record<string, unknown> | UploadSide): v is UploadSide =>
  typeof v.available === 'boolean';

/**
 * One measured upload: bytes/seconds/mibPerSecond/peakRssMiB/rssGrowthMiB, and the rest as details.
 */
function toSide(result: Record<string, unknown>, bytes: number | undefined): UploadSide {
  const seconds = num(result.seconds);
  const size = num(result.bytes) ?? bytes;
  const rate =
    num(result.mibPerSecond) ??
    (size !== undefined && seconds
      ? Math.round((size / 1024 ** 2 / seconds) * 10) / 10
      : undefined);
  return {
    available: true,
    bytes: size,
    seconds,
    mibPerSecond: rate,
    peakRssMiB: num(result.peakRssMiB),
    rssGrowthMiB: num(result.rssGrowthMiB),
    details: result,
  };
}

/** The two gateway paths out of bench/upload-memory.ts's report. */
function gatewaySides(run: ScriptRun): {
  declared: UploadSide;
  spooled: UploadSide;
  report?: Record<string, unknown>;
} {
  const result = scriptResult(run, 'bench/upload-memory.ts');
  if (isSide(result)) return { declared: result, spooled: result };
  const fileMiB = num(result.fileMiB);
  const bytes = fileMiB === undefined ? undefined : fileMiB * 1024 ** 2;
  const paths = (result.paths ?? {}) as Record<string, Record<string, unknown> | undefined>;
  const side = (name: string): UploadSide => {
    const path = paths[name];
    return path
      ? toSide(path, bytes)
      : { available: false, reason: `not available: no "${name}" path in the report` };
  };
  return { declared: side('declared'), spooled: side('spooled'), report: result };
}

export async function measureUpload(options: {
  sandboxUrl: string;
  masterToken: string;
  bytes: number;
  smoke: boolean;
  cpus: string | null;
}): Promise<UploadReport> {
  let gateway: UploadSide;
  let gatewaySpooled: UploadSide;
  let directPut: UploadSide | null = null;
  if (!existsSync('bench/upload-memory.ts')) {
    gateway = {
      available: false,
      reason: 'not available: bench/upload-memory.ts does not exist yet',
    };
    gatewaySpooled = gateway;
  } else if (options.smoke) {
    gateway = {
      available: false,
      reason: 'skipped in smoke mode (bench/upload-memory.ts runs a 1 GiB upload)',
    };
    gatewaySpooled = gateway;
  } else {
    const sizeMiB = String(Math.round(options.bytes / 1024 ** 2));
    const run = await runScript(
      'bench/upload-memory.ts',
      ['--json', '--size-mib', sizeMiB],
      {},
      null,
      1_200_000,
    );
    const sides = gatewaySides(run);
    gateway = sides.declared;
    gatewaySpooled = sides.spooled;
    // That script times its own direct PUT of the same size to the same kind of sandbox.
    if (sides.report) directPut = directPutFrom(sides.report);
  }
  if (!directPut) {
    const result = scriptResult(
      await runScript(
        'bench/procs/direct-put.ts',
        [],
        {
          BENCH_SANDBOX_URL: options.sandboxUrl,
          BENCH_MASTER_TOKEN: options.masterToken,
          BENCH_UPLOAD_BYTES: String(options.bytes),
        },
        options.cpus,
        300_000,
      ),
      'direct PUT',
    );
    directPut = isSide(result) ? result : toSide(result, undefined);
  }
  return {
    id: 'e',
    title: `(e) upload of ${formatBytes(options.bytes)}: memory and throughput`,
    directPut,
    gateway,
    gatewaySpooled,
    peer: { available: false, reason: 'not available: the peer has no upload support' },
  };
}

/** The direct-PUT figures that bench/upload-memory.ts reports beside the gateway's, if any. */
function directPutFrom(report: Record<string, unknown>): UploadSide | null {
  const seconds = num(report.directPutSeconds);
  const fileMiB = num(report.fileMiB);
  if (seconds === undefined || fileMiB === undefined) return null;
  return {
    available: true,
    bytes: fileMiB * 1024 ** 2,
    seconds,
    mibPerSecond: Math.round((fileMiB / seconds) * 10) / 10,
    details: { source: 'bench/upload-memory.ts (directPutSeconds)' },
  };
}

export function formatBytes(bytes: number): string {
  return bytes >= 1024 ** 3 ? `${bytes / 1024 ** 3} GiB` : `${bytes / 1024 ** 2} MiB`;
}

export function skippedUpload(): UploadReport {
  const skipped = { available: false, reason: 'skipped (--no-upload)' };
  return {
    id: 'e',
    title: '(e) upload: skipped',
    directPut: skipped,
    gateway: skipped,
    gatewaySpooled: skipped,
    peer: skipped,
  };
}
