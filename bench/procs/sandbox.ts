/**
 * The sandbox as a child process of the benchmark, so its CPU time and memory can be measured
 * apart from the systems under test and it can be pinned to its own core. Prints one JSON line
 * (`ready`, `url`, `masterToken`, `projectId`) on stdout; stops on SIGTERM.
 */
import { startSandbox } from '../../sandbox/index.js';

const latencyMs = Number(process.env.BENCH_LATENCY_MS ?? '20');
const jitterMs = Number(process.env.BENCH_JITTER_MS ?? '5');

const sandbox = await startSandbox({
  port: 0,
  seed: 1,
  latency: { ms: latencyMs, jitterMs },
  // Uploads keep only size and md5, so the 1 GiB upload scenario does not hold the bytes.
  storage: 'hash',
});

process.stdout.write(
  `${JSON.stringify({ ready: true, url: sandbox.url, masterToken: sandbox.masterToken, projectId: sandbox.projectId })}\n`,
);

const stop = (): void => {
  void sandbox.close().finally(() => process.exit(0));
};
process.once('SIGTERM', stop);
process.once('SIGINT', stop);
