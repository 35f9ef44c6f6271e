/**
 * Upload benchmark (not a test): throughput and peak RSS growth of the gateway while a large file
 * streams through `uploadDataFile`, on both paths, next to a direct PUT to the sandbox's storage:
 * `declared` (the client sends `input.size`: streamed straight into the pre-signed PUT) and
 * `spooled` (no size: set aside on disk first, then PUT).
 *
 *   node --import tsx bench/upload-memory.ts [--size-mib 1024] [--threshold-mib 16]
 *     [--paths declared,spooled] [--rounds 3] [--cpu-prof-dir DIR]
 *     [--gateway-node-args "--max-semi-space-size=1"]   (default: the flags the gateway ships with)
 *
 * The sandbox (storage 'hash': it keeps only size+md5) and the gateway each run in their own
 * process, so the gateway's RSS is measured alone, from /proc/<pid>/status (VmRSS sampled every
 * 50 ms, and VmHWM, the kernel's high-water mark). Targets: growth ≤ 64 MB for 1 GiB; the
 * declared path ≥ 80% of the direct PUT's throughput. Each round runs a direct PUT and then each
 * path, so they meet the same machine load; the report gives medians over the rounds (and the
 * largest RSS growth). The client sends both the same way: the same generated 64 KiB chunks, not
 * copied, with a `Content-Length`. The last stdout line is the JSON report.
 */

import type { ChildProcess } from 'node:child_process';
import { spawn } from 'node:child_process';
import { mkdtempSync, readdirSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { createInterface } from 'node:readline';
import { Readable } from 'node:stream';
import { request } from 'undici';
import { generatedFile, sendMultipart } from '../test/mutations/upload-client.js';
import { GATEWAY_NODE_FLAGS } from './lib/systems.js';

const arg = (name: string, fallback: number): number => {
  const i = process.argv.indexOf(`--${name}`);
  return i >= 0 ? Number(process.argv[i + 1]) : fallback;
};
const SIZE = arg('size-mib', 1024) * 1024 * 1024;
const THRESHOLD = arg('threshold-mib', 16) * 1024 * 1024;
const MiB = 1024 * 1024;
/** Rounds of (direct PUT, then each path); the report gives medians. */
const ROUNDS = Math.max(1, arg('rounds', 3));
const PATHS = (() => {
  const i = process.argv.indexOf('--paths');
  const names = (i >= 0 ? (process.argv[i + 1] ?? '') : 'declared,spooled').split(',');
  return names.filter((n): n is UploadPath => n === 'declared' || n === 'spooled');
})();

/** `declared`: the client sends `input.size` (streamed into the PUT); `spooled`: it does not. */
type UploadPath = 'declared' | 'spooled';

/** `--cpu-prof-dir DIR`: the gateway writes a V8 CPU profile there when it stops. */
const CPU_PROF_DIR = (() => {
  const i = process.argv.indexOf('--cpu-prof-dir');
  return i >= 0 ? process.argv[i + 1] : undefined;
})();

/**
 * `--gateway-node-args "..."`: the gateway's Node options (space-separated) instead of the ones it
 * ships with (`GATEWAY_NODE_FLAGS`), to try runtime settings such as the GC's without changing the
 * code or touching the client and sandbox; `--gateway-node-args ""` runs Node's defaults.
 */
const GATEWAY_NODE_ARGS = (() => {
  const i = process.argv.indexOf('--gateway-node-args');
  if (i < 0) return [...GATEWAY_NODE_FLAGS];
  return (process.argv[i + 1] ?? '').split(/\s+/).filter((a) => a !== '');
})();

function start(args: string[], env: Record<string, string>, nodeArgs: string[] = []): ChildProcess {
  return spawn(process.execPath, [...nodeArgs, '--import', 'tsx', ...args], {
    env: { ...process.env, ...env },
    stdio: ['ignore', 'pipe', 'inherit'],
  });
}

/** Sends SIGTERM and resolves once the process has exited (or 10 s later). */
function stopped(child: ChildProcess): Promise<void> {
  if (child.exitCode !== null || child.signalCode !== null) return Promise.resolve();
  return new Promise((resolve) => {
    const timer = setTimeout(resolve, 10_000);
    child.once('exit', () => {
      clearTimeout(timer);
      resolve();
    });
    child.kill('SIGTERM');
  });
}

/** The first stdout line that parses as JSON and satisfies `pick`. */
function firstJsonLine<T>(
  child: ChildProcess,
  pick: (obj: Record<string, unknown>) => T | undefined,
): Promise<T> {
  return new Promise((resolve, reject) => {
    if (!child.stdout) return reject(new Error('no stdout'));
    const lines = createInterface({ input: child.stdout });
    lines.on('line', (line) => {
      try {
        const value = pick(JSON.parse(line) as Record<string, unknown>);
        if (value !== undefined) resolve(value);
      } catch {
        // not JSON: ignore
      }
    });
    child.once('exit', (code) => reject(new Error(`process exited (${code}) before it was ready`)));
  });
}

function memory(pid: number): { rss: number; hwm: number } {
  const status = readFileSync(`/proc/${pid}/status`, 'utf8');
  const kb = (key: string): number =>
    Number(new RegExp(`${key}:\\s+(\\d+) kB`).exec(status)?.[1] ?? 0) * 1024;
  return { rss: kb('VmRSS'), hwm: kb('VmHWM') };
}

/** CPU time (user + system) of a process so far, in ms (clock ticks of 10 ms). */
function cpuMs(pid: number): number {
  const stat = readFileSync(`/proc/${pid}/stat`, 'utf8');
  const fields = stat.slice(stat.lastIndexOf(')') + 2).split(' ');
  return (Number(fields[11]) + Number(fields[12])) * 10;
}

const cpuSeconds = (usage: NodeJS.CpuUsage): number => (usage.user + usage.system) / 1e6;

async function uploadThroughGateway(
  url: string,
  token: string,
  memberId: string,
  size: number,
  seed: number,
  path: UploadPath,
) {
  const file = generatedFile(size, seed);
  const input: Record<string, unknown> = {
    projectMemberId: memberId,
    file: null,
    metadata: { description: 'bench', tags: ['bench'] },
  };
  if (path === 'declared') input.size = size;
  const started = performance.now();
  const res = await sendMultipart(
    url,
    {
      operations: {
        query:
          'mutation($input: UploadDataFileInput!) { uploadDataFile(input: $input) { __typename ... on UploadDataFilePayload { databaseId size md5 uploadMethod dataFile { metadata } } ... on UserError { message } } }',
        variables: { input },
      },
      map: { '0': ['variables.input.file'] },
      files: [{ field: '0', filename: `bench-${seed}.bin`, content: file.stream, size }],
    },
    // With a Content-Length, like the direct PUT (and like browsers and curl sending a form).
    { token, withLength: true },
  );
  const seconds = (performance.now() - started) / 1000;
  type Result = {
    __typename: string;
    size?: number;
    uploadMethod?: string;
    message?: string;
    dataFile?: { metadata?: Record<string, unknown> } | null;
  };
  const result = (res.json?.data as { uploadDataFile?: Result } | undefined)?.uploadDataFile;
  if (result?.__typename !== 'UploadDataFilePayload' || result.size !== size) {
    throw new Error(`upload failed: ${res.status} ${res.text.slice(0, 300)}`);
  }
  // The spooled path fills the md5 into the metadata; the streamed one cannot (it is not given).
  const streamed = result.dataFile ? result.dataFile.metadata?.md5 === undefined : undefined;
  return { seconds, method: result.uploadMethod, streamed };
}

/** CPU seconds of the gateway, the sandbox and this client while `run` runs. */
async function withCpu<T>(
  pids: { gateway: number; sandbox: number },
  run: () => Promise<T>,
): Promise<{
  value: T;
  gatewayCpuSeconds: number;
  sandboxCpuSeconds: number;
  clientCpuSeconds: number;
}> {
  const gateway = cpuMs(pids.gateway);
  const sandbox = cpuMs(pids.sandbox);
  const client = process.cpuUsage();
  const value = await run();
  return {
    value,
    gatewayCpuSeconds: Math.round((cpuMs(pids.gateway) - gateway) / 10) / 100,
    // Who else was busy: on a machine with few cores the three processes compete.
    sandboxCpuSeconds: Math.round((cpuMs(pids.sandbox) - sandbox) / 10) / 100,
    clientCpuSeconds: Math.round(cpuSeconds(process.cpuUsage(client)) * 100) / 100,
  };
}

/** One measured upload of `SIZE` bytes along `path`: time, CPU, the gateway's RSS growth. */
async function measurePath(
  url: string,
  token: string,
  memberId: string,
  pids: { gateway: number; sandbox: number },
  path: UploadPath,
  seed: number,
) {
  const pid = pids.gateway;
  const before = memory(pid);
  let peakRss = before.rss;
  const sampler = setInterval(() => {
    peakRss = Math.max(peakRss, memory(pid).rss);
  }, 50);
  let measured: Awaited<
    ReturnType<typeof withCpu<Awaited<ReturnType<typeof uploadThroughGateway>>>>
  >;
  try {
    measured = await withCpu(pids, () =>
      uploadThroughGateway(url, token, memberId, SIZE, seed, path),
    );
  } finally {
    clearInterval(sampler);
  }
  const { value: through, ...cpu } = measured;
  const after = memory(pid);
  peakRss = Math.max(peakRss, after.rss);
  const mib = (n: number): number => Math.round((n / MiB) * 10) / 10;
  return {
    uploadMethod: through.method,
    streamedIntoPut: through.streamed,
    seconds: Math.round(through.seconds * 100) / 100,
    mibPerSecond: Math.round((SIZE / MiB / through.seconds) * 10) / 10,
    rssBeforeMiB: mib(before.rss),
    peakRssMiB: mib(peakRss),
    rssGrowthMiB: mib(peakRss - before.rss),
    hwmGrowthMiB: mib(after.hwm - before.hwm),
    ...cpu,
  };
}

type PathRun = Awaited<ReturnType<typeof measurePath>>;

/** D7 against the sandbox, then a PUT of generated bytes straight to its pre-signed URL. */
async function directPut(
  sandboxUrl: string,
  token: string,
  memberId: string,
  size: number,
): Promise<number> {
  const started = await request(`${sandboxUrl}/api/direct-sharing/project/files/upload/direct/`, {
    method: 'POST',
    headers: {
      authorization: `Bearer ${token}`,
      'content-type': 'application/x-www-form-urlencoded',
    },
    body: new URLSearchParams({
      project_member_id: memberId,
      filename: 'direct.bin',
      metadata: '{"description":"","tags":[]}',
    }).toString(),
  });
  const { url } = (await started.body.json()) as { url: string };
  const t0 = performance.now();
  const put = await request(url, {
    method: 'PUT',
    headers: { 'content-length': String(size) },
    body: Readable.from(generatedFile(size, 99).stream()),
  });
  await put.body.dump();
  if (put.statusCode !== 200) throw new Error(`direct PUT answered ${put.statusCode}`);
  return (performance.now() - t0) / 1000;
}

const median = (values: number[]): number => {
  const sorted = [...values].sort((a, b) => a - b);
  const mid = Math.floor(sorted.length / 2);
  return sorted.length % 2 ? (sorted[mid] ?? 0) : ((sorted[mid - 1] ?? 0) + (sorted[mid] ?? 0)) / 2;
};
const round = (n: number, digits: number): number => Math.round(n * 10 ** digits) / 10 ** digits;

/**
 * A path's runs in one object: the median of each timing and CPU figure (so one noisy run does
 * not decide), the largest memory growth (a limit must hold in every run), and every run's rate.
 */
function summary(runs: PathRun[], shares: number[], cpuBound: number[]) {
  const med = (pick: (r: PathRun) => number, digits = 2): number =>
    round(median(runs.map(pick)), digits);
  const first = runs[0];
  return {
    uploadMethod: first?.uploadMethod,
    streamedIntoPut: first?.streamedIntoPut,
    seconds: med((r) => r.seconds),
    mibPerSecond: med((r) => r.mibPerSecond, 1),
    shareOfDirectPut: round(median(shares), 3),
    // What the share tends to when the machine's cores are all busy (as on 2 cores, where the
    // client, the gateway and the sandbox compete): the direct PUT's CPU over this path's.
    cpuBoundShareOfDirectPut: round(median(cpuBound), 3),
    rssBeforeMiB: first?.rssBeforeMiB,
    peakRssMiB: Math.max(...runs.map((r) => r.peakRssMiB)),
    rssGrowthMiB: Math.max(...runs.map((r) => r.rssGrowthMiB)),
    hwmGrowthMiB: Math.max(...runs.map((r) => r.hwmGrowthMiB)),
    gatewayCpuSeconds: med((r) => r.gatewayCpuSeconds),
    sandboxCpuSeconds: med((r) => r.sandboxCpuSeconds),
    clientCpuSeconds: med((r) => r.clientCpuSeconds),
    runsMiBPerSecond: runs.map((r) => r.mibPerSecond),
  };
}

async function main(): Promise<void> {
  const tmp = mkdtempSync(join(tmpdir(), 'oh-graphql-bench-'));
  const sandbox = start(['sandbox/main.ts', '--port', '0', '--storage', 'hash'], {});
  const children: ChildProcess[] = [sandbox];
  try {
    const info = await firstJsonLine(sandbox, (o) =>
      typeof o.url === 'string' && typeof o.masterToken === 'string'
        ? (o as unknown as {
            url: string;
            masterToken: string;
            memberTokens: Record<string, string>;
          })
        : undefined,
    );
    const gateway = start(
      ['src/main.ts'],
      {
        PORT: '0',
        HOST: '127.0.0.1',
        LOG_LEVEL: 'info',
        OPENHUMANS_BASE_URL: info.url,
        UPLOAD_TMP_DIR: tmp,
        UPLOAD_DIRECT_THRESHOLD_BYTES: String(THRESHOLD),
        MAX_UPLOAD_BYTES: String(5 * 1024 ** 3),
      },
      [
        ...GATEWAY_NODE_ARGS,
        ...(CPU_PROF_DIR ? ['--cpu-prof', `--cpu-prof-dir=${CPU_PROF_DIR}`] : []),
      ],
    );
    children.push(gateway);
    const url = await firstJsonLine(gateway, (o) =>
      typeof o.url === 'string' ? o.url : undefined,
    );
    const memberId = Object.keys(info.memberTokens)[0] ?? '';
    const pids = { gateway: gateway.pid ?? 0, sandbox: sandbox.pid ?? 0 };
    const token = info.masterToken;

    // Warm up: JIT, pools, the simple path, both direct paths and the direct PUT once.
    await uploadThroughGateway(url, token, memberId, 1 * MiB, 1, 'spooled');
    for (const path of PATHS)
      await uploadThroughGateway(url, token, memberId, THRESHOLD + MiB, 2, path);
    await directPut(info.url, token, memberId, THRESHOLD + MiB);

    // Interleaved rounds (direct PUT, then each path), so a change of machine load in the middle
    // touches every side alike; each path's share is taken against its own round's direct PUT.
    const direct: Array<{ seconds: number; mibPerSecond: number } & Record<string, number>> = [];
    const runs: Record<UploadPath, PathRun[]> = { declared: [], spooled: [] };
    const shares: Record<UploadPath, number[]> = { declared: [], spooled: [] };
    const cpuBound: Record<UploadPath, number[]> = { declared: [], spooled: [] };
    for (let r = 0; r < ROUNDS; r++) {
      const { value: seconds, ...cpu } = await withCpu(pids, () =>
        directPut(info.url, token, memberId, SIZE),
      );
      const directRate = SIZE / MiB / seconds;
      direct.push({ seconds, mibPerSecond: round(directRate, 1), ...cpu });
      const directCpu = cpu.clientCpuSeconds + cpu.sandboxCpuSeconds;
      for (const [i, path] of PATHS.entries()) {
        const run = await measurePath(url, token, memberId, pids, path, 3 + i + 10 * r);
        runs[path].push(run);
        shares[path].push(run.mibPerSecond / directRate);
        cpuBound[path].push(
          directCpu / (run.clientCpuSeconds + run.sandboxCpuSeconds + run.gatewayCpuSeconds),
        );
      }
    }
    const paths: Partial<Record<UploadPath, ReturnType<typeof summary>>> = {};
    for (const path of PATHS) paths[path] = summary(runs[path], shares[path], cpuBound[path]);
    const directSeconds = median(direct.map((d) => d.seconds));
    const report = {
      fileMiB: SIZE / MiB,
      rounds: ROUNDS,
      node: process.version,
      paths,
      directPutSeconds: round(directSeconds, 2),
      directPutMiBPerSecond: round(SIZE / MiB / directSeconds, 1),
      directPut: {
        runsMiBPerSecond: direct.map((d) => d.mibPerSecond),
        sandboxCpuSeconds: round(median(direct.map((d) => d.sandboxCpuSeconds ?? 0)), 2),
        clientCpuSeconds: round(median(direct.map((d) => d.clientCpuSeconds ?? 0)), 2),
      },
      // Medians of each round's path/direct ratio.
      declaredShareOfDirectPut: paths.declared?.shareOfDirectPut,
      spooledShareOfDirectPut: paths.spooled?.shareOfDirectPut,
      targets: { rssGrowthMiB: 64, declaredShareOfDirectPut: 0.8 },
      loadAverage: readFileSync('/proc/loadavg', 'utf8').split(' ').slice(0, 3).join(' '),
      tempFilesLeft: readdirSync(tmp).length,
    };
    // One line: bench/lib/upload.ts reads the last stdout line as JSON.
    process.stdout.write(`${JSON.stringify(report)}\n`);
  } finally {
    // Waited for, so a gateway asked for a CPU profile has written it when this script ends.
    await Promise.all(children.map(stopped));
    rmSync(tmp, { recursive: true, force: true });
  }
}

await main();
