// Measures how many P1 pages (default page of 100 files) the sandbox serves per second.
// The sandbox runs in its own process (default sizes); this process drives it over keep-alive
// connections. Usage: node --import tsx sandbox/bench-p1.ts [--seconds 10] [--concurrency 10]
import { spawn } from 'node:child_process';
import { createInterface } from 'node:readline';
import { parseArgs } from 'node:util';
import { Pool } from 'undici';

const { values } = parseArgs({
  options: {
    seconds: { type: 'string' },
    concurrency: { type: 'string' },
    limit: { type: 'string' },
  },
});
const seconds = Number(values.seconds ?? 10);
const concurrency = Number(values.concurrency ?? 10);

const child = spawn(
  process.execPath,
  ['--import', 'tsx', new URL('./main.ts', import.meta.url).pathname, '--port', '0'],
  {
    stdio: ['ignore', 'pipe', 'inherit'],
  },
);
const line = await new Promise<string>((resolve) =>
  createInterface({ input: child.stdout }).once('line', resolve),
);
const { url } = JSON.parse(line) as { url: string };
const pool = new Pool(url, { connections: concurrency, pipelining: 1 });

const first = await pool.request({ path: '/api/public/datafiles/', method: 'GET' });
const { count } = (await first.body.json()) as { count: number };
const limit = Number(values.limit ?? 100);
const pages = Math.ceil(count / limit);

/** CPU ms used so far by the sandbox process (Linux /proc; null elsewhere). */
async function serverCpuMs(): Promise<number | null> {
  try {
    const { readFile } = await import('node:fs/promises');
    const fields =
      (await readFile(`/proc/${child.pid}/stat`, 'utf8')).split(') ')[1]?.split(' ') ?? [];
    return (Number(fields[11]) + Number(fields[12])) * 10; // utime + stime, in 10 ms ticks
  } catch {
    return null;
  }
}

let done = 0;
let failed = 0;
const latencies: number[] = [];
const deadline = performance.now() + seconds * 1000;
async function worker(w: number): Promise<void> {
  let i = w;
  while (performance.now() < deadline) {
    const offset = ((i++ * 37) % pages) * limit;
    const t0 = performance.now();
    const res = await pool.request({
      path: `/api/public/datafiles/?offset=${offset}${limit === 100 ? '' : `&limit=${limit}`}`,
      method: 'GET',
    });
    const body = await res.body.text();
    latencies.push(performance.now() - t0);
    if (res.statusCode === 200 && body.length > 10) done++;
    else failed++;
  }
}
const cpuBefore = await serverCpuMs();
const start = performance.now();
await Promise.all(Array.from({ length: concurrency }, (_, w) => worker(w)));
const elapsed = (performance.now() - start) / 1000;
const cpuAfter = await serverCpuMs();
const cpuMsPerRequest =
  cpuBefore === null || cpuAfter === null
    ? null
    : Number(((cpuAfter - cpuBefore) / (done + failed)).toFixed(2));
latencies.sort((a, b) => a - b);
const pct = (p: number) =>
  latencies[Math.min(latencies.length - 1, Math.floor(latencies.length * p))]?.toFixed(2);
process.stdout.write(
  `${JSON.stringify({
    route: 'P1',
    pageSize: limit,
    files: count,
    concurrency,
    seconds: Number(elapsed.toFixed(1)),
    requests: done,
    failed,
    perSecond: Math.round(done / elapsed),
    p50ms: Number(pct(0.5)),
    p99ms: Number(pct(0.99)),
    serverCpuMsPerRequest: cpuMsPerRequest,
    cpuBoundCeilingPerSecond: cpuMsPerRequest ? Math.round(1000 / cpuMsPerRequest) : null,
  })}\n`,
);
await pool.close();
child.kill('SIGTERM');
