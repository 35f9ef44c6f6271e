/**
 * Child processes of the benchmark: spawned (pinned to a core with `taskset` when it exists),
 * read for their one JSON "ready" line, and measured through /proc (CPU time and resident memory).
 */
import { type ChildProcess, spawn, spawnSync } from 'node:child_process';
import { readFileSync } from 'node:fs';
import { createInterface } from 'node:readline';

export interface ChildSpec {
  /** Short name used in errors and the report. */
  name: string;
  /** Script run with `node --import tsx`. */
  script: string;
  args?: string[];
  /** Extra flags for node itself (before the script), e.g. `--cpu-prof`. */
  nodeArgs?: string[];
  env?: Record<string, string>;
  /** CPU list for `taskset -c`, or null for no pinning. */
  cpus: string | null;
  /** How long to wait for the ready line. */
  readyTimeoutMs?: number;
}

export interface Child<Ready> {
  readonly name: string;
  readonly pid: number;
  readonly ready: Ready;
  stop(): Promise<void>;
  /** The last lines the child wrote to stderr, for error reports. */
  stderrTail(): string;
}

let tasksetChecked: boolean | null = null;

/** True when `taskset` exists and the machine has at least two CPUs to pin to. */
export function canPin(cpuCount: number): boolean {
  if (tasksetChecked === null) {
    tasksetChecked = spawnSync('taskset', ['-c', '0', 'true'], { stdio: 'ignore' }).status === 0;
  }
  return tasksetChecked && cpuCount >= 2;
}

/** Starts a TypeScript child and resolves once it prints a JSON line with `"ready": true`. */
export function startChild<Ready>(spec: ChildSpec): Promise<Child<Ready>> {
  const nodeArgs = [...(spec.nodeArgs ?? []), '--import', 'tsx', spec.script, ...(spec.args ?? [])];
  const [command, args] =
    spec.cpus === null
      ? [process.execPath, nodeArgs]
      : ['taskset', ['-c', spec.cpus, process.execPath, ...nodeArgs]];
  const child = spawn(command, args, {
    env: { ...process.env, ...spec.env },
    stdio: ['ignore', 'pipe', 'pipe'],
  });
  const stderr: string[] = [];
  child.stderr?.setEncoding('utf8').on('data', (chunk: string) => {
    stderr.push(chunk);
    if (stderr.length > 50) stderr.shift();
  });
  const tail = (): string => stderr.join('').split('\n').slice(-20).join('\n');
  const { stdout } = child;
  if (!stdout) throw new Error(`${spec.name}: spawned without a stdout pipe`);

  return new Promise((resolve, reject) => {
    const timer = setTimeout(() => {
      child.kill('SIGKILL');
      reject(new Error(`${spec.name} did not become ready in time\n${tail()}`));
    }, spec.readyTimeoutMs ?? 60_000);
    const lines = createInterface({ input: stdout });
    let settled = false;
    lines.on('line', (line) => {
      if (settled || !line.startsWith('{')) return;
      try {
        const parsed = JSON.parse(line) as { ready?: boolean };
        if (parsed.ready !== true) return;
        settled = true;
        clearTimeout(timer);
        resolve(makeChild<Ready>(spec.name, child, parsed as Ready, tail));
      } catch {
        // not our line
      }
    });
    // Keep draining stdout after the ready line so a chatty child never blocks on a full pipe.
    child.once('exit', (code, signal) => {
      if (settled) return;
      settled = true;
      clearTimeout(timer);
      reject(new Error(`${spec.name} exited (${code ?? signal}) before it was ready\n${tail()}`));
    });
  });
}

function makeChild<Ready>(
  name: string,
  child: ChildProcess,
  ready: Ready,
  tail: () => string,
): Child<Ready> {
  const pid = child.pid;
  if (pid === undefined) throw new Error(`${name} has no pid`);
  return {
    name,
    pid,
    ready,
    stderrTail: tail,
    stop: () =>
      new Promise<void>((resolve) => {
        if (child.exitCode !== null || child.signalCode !== null) return resolve();
        const force = setTimeout(() => child.kill('SIGKILL'), 5_000);
        child.once('exit', () => {
          clearTimeout(force);
          resolve();
        });
        child.kill('SIGTERM');
      }),
  };
}

const CLOCK_TICKS_PER_SECOND =
  Number(spawnSync('getconf', ['CLK_TCK'], { encoding: 'utf8' }).stdout.trim()) || 100;

/** User + system CPU milliseconds consumed so far by a process (all its threads). */
export function cpuMs(pid: number): number {
  if (pid === process.pid) {
    const usage = process.cpuUsage();
    return (usage.user + usage.system) / 1000;
  }
  try {
    const stat = readFileSync(`/proc/${pid}/stat`, 'utf8');
    // Fields after the parenthesised command name; utime and stime are fields 14 and 15.
    const fields = stat.slice(stat.lastIndexOf(')') + 2).split(' ');
    const ticks = Number(fields[11]) + Number(fields[12]);
    return (ticks * 1000) / CLOCK_TICKS_PER_SECOND;
  } catch {
    return Number.NaN;
  }
}

/** Resident set size in MiB, or NaN when the process is gone. */
export function rssMiB(pid: number): number {
  try {
    const status = readFileSync(`/proc/${pid}/status`, 'utf8');
    const match = /VmRSS:\s+(\d+) kB/.exec(status);
    return match?.[1] === undefined ? Number.NaN : Number(match[1]) / 1024;
  } catch {
    return Number.NaN;
  }
}

/** Samples the RSS of some processes every `intervalMs` and keeps each one's peak. */
export class RssSampler {
  private readonly peaks = new Map<number, number>();
  private timer: NodeJS.Timeout | null = null;

  constructor(
    private readonly pids: readonly number[],
    private readonly intervalMs = 25,
  ) {}

  start(): this {
    this.sample();
    this.timer = setInterval(() => this.sample(), this.intervalMs);
    this.timer.unref();
    return this;
  }

  stop(): Map<number, number> {
    if (this.timer) clearInterval(this.timer);
    this.sample();
    return this.peaks;
  }

  private sample(): void {
    for (const pid of this.pids) {
      const rss = pid === process.pid ? process.memoryUsage.rss() / 1024 / 1024 : rssMiB(pid);
      if (Number.isFinite(rss)) this.peaks.set(pid, Math.max(this.peaks.get(pid) ?? 0, rss));
    }
  }
}
