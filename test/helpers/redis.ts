/**
 * Starts a throwaway `redis-server` (Debian's package) on a free loopback port for one test file.
 * Missing binary: the suite skips with a clear message locally, and fails under CI=true, where
 * `.ci/run` installs it.
 */
import { type ChildProcess, spawn } from 'node:child_process';
import { accessSync, constants } from 'node:fs';
import { delimiter, join } from 'node:path';
import { freePort } from './free-port.js';

export interface RedisServer {
  url: string;
  port: number;
  /** Sends a signal to the server process (SIGSTOP hangs it, SIGCONT resumes it). */
  signal(signal: NodeJS.Signals): void;
  stop(): Promise<void>;
  /** SIGSTOP: the server hangs with its connections open (a "hung" Redis). */
  pause(): void;
  /** SIGCONT after `pause`. */
  resume(): void;
  /** SIGKILL: connections drop at once (a crashed Redis). */
  kill(): Promise<void>;
  /** Starts it again on the same port (empty: no persistence in tests). */
  restart(): Promise<void>;
}

function findBinary(name: string): string | null {
  for (const dir of (process.env.PATH ?? '')
    .split(delimiter)
    .concat(['/usr/bin', '/usr/sbin', '/usr/local/bin'])) {
    if (!dir) continue;
    const candidate = join(dir, name);
    try {
      accessSync(candidate, constants.X_OK);
      return candidate;
    } catch {
      // keep looking
    }
  }
  return null;
}

export const redisServerBinary = findBinary('redis-server');

/**
 * True when Redis tests should run; logs why not otherwise. Throws under CI=true without the
 * binary.
 */
export function redisAvailable(): boolean {
  if (redisServerBinary) return true;
  if (process.env.CI === 'true') {
    throw new Error(
      "redis-server is required under CI=true (.ci/run installs Debian's redis-server) but was not found on PATH",
    );
  }
  console.warn(
    'SKIPPING Redis tests: redis-server not found on PATH (apt-get install redis-server to run them).',
  );
  return false;
}

export async function startRedis(extraArgs: readonly string[] = []): Promise<RedisServer> {
  if (!redisServerBinary) throw new Error('redis-server not found');
  const port = await freePort();
  let child = await spawnRedis(redisServerBinary, port, extraArgs);
  const exited = (c: ChildProcess): Promise<void> =>
    new Promise<void>((resolve) => {
      if (c.exitCode !== null || c.signalCode !== null) return resolve();
      c.once('exit', () => resolve());
    });
  return {
    url: `redis://127.0.0.1:${port}`,
    port,
    signal: (signal) => {
      child.kill(signal);
    },
    stop: async () => {
      // Node does not track a SIGSTOP: resume in any case, a stopped server would not act on
      // SIGTERM.
      child.kill('SIGCONT');
      const done = exited(child);
      child.kill('SIGTERM');
      await done;
    },
    pause: () => {
      child.kill('SIGSTOP');
    },
    resume: () => {
      child.kill('SIGCONT');
    },
    kill: async () => {
      const done = exited(child);
      child.kill('SIGKILL');
      await done;
    },
    restart: async () => {
      child = await spawnRedis(redisServerBinary as string, port, extraArgs);
    },
  };
}

async function spawnRedis(
  binary: string,
  port: number,
  extraArgs: readonly string[],
): Promise<ChildProcess> {
  const child: ChildProcess = spawn(
    binary,
    [
      '--port',
      String(port),
      '--bind',
      '127.0.0.1',
      '--save',
      '',
      '--appendonly',
      'no',
      '--protected-mode',
      'yes',
      ...extraArgs,
    ],
    { stdio: ['ignore', 'pipe', 'pipe'] },
  );
  await new Promise<void>((resolve, reject) => {
    let output = '';
    const timer = setTimeout(
      () => reject(new Error(`redis-server did not start: ${output.slice(-500)}`)),
      10_000,
    );
    const onData = (chunk: Buffer): void => {
      output += chunk.toString();
      if (output.includes('Ready to accept connections')) {
        clearTimeout(timer);
        child.stdout?.off('data', onData);
        child.stderr?.off('data', onData);
        child.stdout?.resume();
        child.stderr?.resume();
        resolve();
      }
    };
    child.stdout?.on('data', onData);
    child.stderr?.on('data', onData);
    child.once('exit', (code) => {
      clearTimeout(timer);
      reject(new Error(`redis-server exited with ${code}: ${output.slice(-500)}`));
    });
  });
  return child;
}

/**
 * Waits until a gateway's `/readiness` reports its shared Redis `up` (it connects in the
 * background).
 */
export async function waitForRedisUp(
  fetchPath: (path: string) => Promise<Response>,
  attempts = 100,
): Promise<void> {
  for (let i = 0; i < attempts; i += 1) {
    const body = (await (await fetchPath('/readiness')).json()) as { redis?: string };
    if (body.redis === 'up') return;
    await new Promise((resolve) => setTimeout(resolve, 50));
  }
  throw new Error('the gateway never reported Redis up');
}
