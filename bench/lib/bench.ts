/**
 * The whole benchmark in one run: sandbox with injected latency, then floor, gateway (default
 * and without shared cache) and peer side by side on every case, then the upload scenario, then
 * the report files. Systems that cannot start, and cases a system cannot answer, are reported
 * as "not available" — never with made-up numbers.
 */
import { spawnSync } from 'node:child_process';
import { mkdirSync, readFileSync, writeFileSync } from 'node:fs';
import { cpus, loadavg, release, totalmem, type } from 'node:os';
import { join } from 'node:path';
import { performance } from 'node:perf_hooks';
import { CASES, type CaseId } from './cases.js';
import { loadFixtures } from './fixtures.js';
import { closePools, type HttpCall } from './load.js';
import {
  callFor,
  combineLevels,
  firstDifference,
  type MeasuredLevel,
  type MeasureSettings,
  measureLevel,
  probe,
} from './measure.js';
import { canPin } from './proc.js';
import { renderMarkdown } from './render-md.js';
import { renderSvg } from './render-svg.js';
import { resetCalls } from './sandbox-control.js';
import {
  GATEWAY_UPSTREAM_CONCURRENCY,
  measuredIn,
  type Pinning,
  RAISED_UPSTREAM_CONCURRENCY,
  type RunningSystem,
  startSandbox,
  startSystem,
} from './systems.js';
import { computeRatios, evaluateTargets } from './targets.js';
import type { BenchReport, CaseReport, SystemId } from './types.js';
import { measureUpload, skippedUpload } from './upload.js';
import { WindowBudget } from './window-budget.js';

export interface BenchOptions {
  smoke: boolean;
  outDir: string;
  latencyMs: number;
  jitterMs: number;
  levels: number[];
  warmupMs: number;
  measureMs: number;
  /** Per level; null = time-bounded only. */
  maxRequests: number | null;
  warmupRequests: number;
  /**
   * Time for the whole run; the cases get what is left after start-up minus `uploadReserveMs`,
   * and their measured windows shrink (to 1 s at least) when runs take longer than planned.
   */
  totalBudgetMs: number;
  uploadReserveMs: number;
  uploadBytes: number;
  cases: CaseId[];
  systems: SystemId[];
  log: (line: string) => void;
}

export function defaultOptions(smoke: boolean): BenchOptions {
  return {
    smoke,
    outDir: smoke ? 'bench/results/tmp/smoke' : 'docs',
    latencyMs: 20,
    jitterMs: 5,
    levels: smoke ? [1, 2] : [1, 8, 32],
    warmupMs: smoke ? 2_000 : 1_000,
    measureMs: smoke ? 5_000 : 3_000,
    maxRequests: smoke ? 3 : null,
    warmupRequests: smoke ? 1 : 30,
    totalBudgetMs: smoke ? 900_000 : 540_000,
    uploadReserveMs: smoke ? 30_000 : 150_000,
    uploadBytes: smoke ? 8 * 1024 ** 2 : 1024 ** 3,
    cases: CASES.map((c) => c.id),
    // The raised-budget row only in the full run: the smoke run checks every system on every case.
    systems: smoke
      ? ['floor', 'gateway', 'gateway-pages-uncached', 'gateway-nocache', 'peer']
      : [
          'floor',
          'gateway',
          'gateway-pages-uncached',
          'gateway-nocache',
          'gateway-nocache-b64',
          'peer',
        ],
    log: (line) => process.stderr.write(`${line}\n`),
  };
}

function describeMachine(pinned: boolean, loadAtStart: number): BenchReport['machine'] {
  let os = `${type()} ${release()}`;
  try {
    const pretty = /PRETTY_NAME="([^"]+)"/.exec(readFileSync('/etc/os-release', 'utf8'))?.[1];
    if (pretty) os = `${pretty} (${os})`;
  } catch {
    // keep the kernel description
  }
  return {
    cpuModel: cpus()[0]?.model.trim() ?? 'unknown',
    cores: cpus().length,
    memoryGiB: totalmem() / 1024 ** 3,
    os,
    node: process.version,
    pinning: pinned ? { sandbox: '0', systems: '1', loadGenerator: 'unpinned' } : null,
    loadAverage: { start: loadAtStart, end: Math.round((loadavg()[0] ?? 0) * 100) / 100 },
  };
}

export async function runBench(options: BenchOptions): Promise<BenchReport> {
  const t0 = performance.now();
  const loadAtStart = Math.round((loadavg()[0] ?? 0) * 100) / 100;
  const log = (line: string): void =>
    options.log(`[${Math.round((performance.now() - t0) / 1000)} s] ${line}`);
  const pinned = canPin(cpus().length);
  const pinning: Pinning = pinned
    ? { sandbox: '0', systems: '1' }
    : { sandbox: null, systems: null };
  log(`bench: starting the sandbox (${options.latencyMs} ± ${options.jitterMs} ms per call)…`);
  const sandbox = await startSandbox(options.latencyMs, options.jitterMs, pinning);
  const running: RunningSystem[] = [];
  try {
    const started = await Promise.all(
      options.systems.map((id) => startSystem(id, sandbox.ready.url, pinning)),
    );
    for (const system of started) {
      log(
        `bench: ${system.info.id}: ${system.info.available ? `up (pid ${system.info.pid})` : system.info.reason}`,
      );
      running.push(system);
    }
    const fixtures = await loadFixtures(sandbox.ready.url, sandbox.ready.masterToken);
    await resetCalls(sandbox.ready.url);
    const budget = new WindowBudget(
      options.measureMs,
      options.totalBudgetMs -
        (performance.now() - t0) -
        (options.uploadBytes > 0 ? options.uploadReserveMs : 0),
      options.cases.reduce(
        (runs, caseId) =>
          runs + running.filter((r) => r.info.available && measuredIn(r.info.id, caseId)).length,
        0,
      ) * options.levels.length,
    );
    const settings: MeasureSettings = {
      levels: options.levels,
      warmupMs: options.warmupMs,
      warmupRequests: options.warmupRequests,
      maxRequests: options.maxRequests,
      nextWindowMs: () => budget.next(),
    };
    const sandboxRef = { url: sandbox.ready.url, pid: sandbox.pid };
    const cases: CaseReport[] = [];
    for (const bench of CASES.filter((c) => options.cases.includes(c.id))) {
      const report: CaseReport = {
        id: bench.id,
        scenario: bench.scenario,
        title: bench.title,
        short: bench.short,
        floorPlan: bench.floorPlan,
        query: bench.query,
        results: {},
        ratios: {},
      };
      const measurable: {
        system: RunningSystem;
        call: HttpCall;
        sameAsFloor: string;
        levels: MeasuredLevel[];
      }[] = [];
      let floorData: unknown;
      for (const system of running) {
        const id = system.info.id;
        if (!measuredIn(id, bench.id)) continue;
        if (!system.info.available) {
          report.results[id] = { available: false, reason: system.info.reason ?? 'not available' };
          continue;
        }
        const call = callFor(system, bench, fixtures);
        const first = await probe(system, call);
        if (!first.ok) {
          report.results[id] = { available: false, reason: first.reason ?? 'not available' };
          log(`bench: ${bench.id} ${id}: ${first.reason}`);
          continue;
        }
        if (id === 'floor') floorData = first.data;
        let sameAsFloor: string;
        if (id === 'floor') sameAsFloor = 'reference';
        else if (floorData === undefined) sameAsFloor = 'floor not available';
        else {
          const diff = firstDifference(first.data, floorData);
          sameAsFloor = diff ? `differs at ${diff}` : 'same';
        }
        measurable.push({ system, call, sameAsFloor, levels: [] });
      }
      // Level by level, every system in turn, so drifting background load hits all of them alike.
      for (const [index, concurrency] of options.levels.entries()) {
        for (const m of measurable) {
          m.levels.push(
            await measureLevel(m.system, m.call, sandboxRef, concurrency, index === 0, settings),
          );
        }
      }
      for (const m of measurable) {
        const result = combineLevels(m.levels, m.sameAsFloor);
        report.results[m.system.info.id] = result;
        if (result.available) {
          log(
            `bench: ${bench.id} ${m.system.info.id}: ${result.upstreamCallsPerQuery} calls/query, ${result.levels.map((l) => `c=${l.concurrency} p50 ${l.latencyMs.p50} ms ${l.throughputRps} rps`).join('; ')}`,
          );
        }
      }
      report.ratios = computeRatios(report);
      cases.push(report);
    }
    log(`bench: upload scenario (${options.uploadBytes} bytes)…`);
    const upload =
      options.uploadBytes > 0
        ? await measureUpload({
            sandboxUrl: sandbox.ready.url,
            masterToken: sandbox.ready.masterToken,
            bytes: options.uploadBytes,
            smoke: options.smoke,
            cpus: pinning.systems,
          })
        : skippedUpload();
    const report: BenchReport = {
      schemaVersion: 1,
      mode: options.smoke ? 'smoke' : 'full',
      generatedAt: new Date().toISOString(),
      commit:
        spawnSync('git', ['describe', '--always', '--dirty'], {
          encoding: 'utf8',
        }).stdout?.trim() || 'unknown',
      durationSeconds: 0,
      machine: describeMachine(pinned, loadAtStart),
      settings: {
        upstreamLatencyMs: options.latencyMs,
        upstreamJitterMs: options.jitterMs,
        concurrencyLevels: options.levels,
        warmupMs: options.warmupMs,
        measureMs: options.measureMs,
        maxRequestsPerLevel: options.maxRequests,
        gatewayUpstreamConcurrency: GATEWAY_UPSTREAM_CONCURRENCY,
        raisedUpstreamConcurrency: RAISED_UPSTREAM_CONCURRENCY,
      },
      systems: running.map((s) => s.info),
      cases,
      upload,
      targets: evaluateTargets(cases, upload),
    };
    report.durationSeconds = Math.round((performance.now() - t0) / 1000);
    writeReport(report, options.outDir);
    log(
      `bench: report written to ${options.outDir}/benchmarks.{json,md,svg} in ${report.durationSeconds} s`,
    );
    return report;
  } finally {
    await closePools();
    await Promise.all(running.map((s) => s.child?.stop()));
    await sandbox.stop();
  }
}

/** The hand-written CPU profile notes (`bench/profile.md`), kept in every regenerated report. */
export const PROFILE_NOTES = 'bench/profile.md';

function profileNotes(): string | undefined {
  try {
    return readFileSync(PROFILE_NOTES, 'utf8');
  } catch {
    return undefined;
  }
}

export function writeReport(report: BenchReport, outDir: string): void {
  mkdirSync(outDir, { recursive: true });
  writeFileSync(join(outDir, 'benchmarks.json'), `${JSON.stringify(report, null, 2)}\n`);
  writeFileSync(join(outDir, 'benchmarks.md'), renderMarkdown(report, profileNotes()));
  writeFileSync(join(outDir, 'benchmarks.svg'), renderSvg(report));
}
