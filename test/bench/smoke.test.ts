/**
 * A tiny run of `npm run bench -- --smoke` against the real sandbox, gateway, floor and peer
 * (child processes, a handful of requests per level). Checks the report's structure and that
 * the gateway never makes more upstream calls per query than the hand-written floor — in each of
 * its three cache configurations. No timing is asserted: speed is reported by the full benchmark.
 */
import { spawn } from 'node:child_process';
import { mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { GATEWAYS } from '../../bench/lib/targets.js';
import type { BenchReport, SystemId } from '../../bench/lib/types.js';

const outDir = mkdtempSync(join(tmpdir(), 'oh-bench-smoke-'));
let report: BenchReport;
let markdown: string;
let svg: string;

function runSmoke(): Promise<{ code: number | null; stderr: string }> {
  return new Promise((resolve) => {
    const child = spawn(
      process.execPath,
      ['--import', 'tsx', 'bench/run.ts', '--smoke', '--out', outDir],
      {
        stdio: ['ignore', 'ignore', 'pipe'],
      },
    );
    let stderr = '';
    child.stderr.setEncoding('utf8').on('data', (chunk: string) => {
      stderr += chunk;
    });
    child.once('close', (code) => resolve({ code, stderr }));
  });
}

beforeAll(async () => {
  const { code, stderr } = await runSmoke();
  expect(code, stderr).toBe(0);
  report = JSON.parse(readFileSync(join(outDir, 'benchmarks.json'), 'utf8')) as BenchReport;
  markdown = readFileSync(join(outDir, 'benchmarks.md'), 'utf8');
  svg = readFileSync(join(outDir, 'benchmarks.svg'), 'utf8');
}, 420_000);

afterAll(() => rmSync(outDir, { recursive: true, force: true }));

describe('npm run bench -- --smoke', () => {
  it('writes a report describing the machine, the settings and every system', () => {
    expect(report.schemaVersion).toBe(1);
    expect(report.mode).toBe('smoke');
    expect(report.machine.cores).toBeGreaterThan(0);
    expect(report.settings.upstreamLatencyMs).toBe(20);
    expect(report.settings.concurrencyLevels.length).toBeGreaterThanOrEqual(2);
    expect(report.systems.map((s) => s.id)).toEqual(['floor', ...GATEWAYS, 'peer']);
    for (const s of report.systems) expect(s.available, `${s.id}: ${s.reason ?? ''}`).toBe(true);
  });

  it('measures every case on floor and gateway with upstream calls, latency, CPU and memory', () => {
    expect(report.cases.map((c) => c.id)).toEqual(['a', 'b-last', 'b-after', 'c', 'd']);
    for (const c of report.cases) {
      for (const id of ['floor', ...GATEWAYS] as SystemId[]) {
        const r = c.results[id];
        expect(r, `${c.id} ${id}`).toBeDefined();
        if (!r?.available) throw new Error(`${c.id} ${id}: ${r?.reason ?? 'missing'}`);
        expect(r.levels.map((l) => l.concurrency)).toEqual(report.settings.concurrencyLevels);
        for (const l of r.levels) {
          expect(l.requests).toBeGreaterThan(0);
          expect(l.errors, `${c.id} ${id}: ${l.firstError ?? ''}`).toBe(0);
          expect(l.latencyMs.p50).toBeGreaterThan(0);
          expect(l.latencyMs.p99).toBeGreaterThanOrEqual(l.latencyMs.p50);
          expect(l.throughputRps).toBeGreaterThan(0);
          expect(l.peakRssMiB.system).toBeGreaterThan(0);
          expect(l.peakRssMiB.sandbox).toBeGreaterThan(0);
        }
      }
      expect(Object.keys(c.ratios)).toEqual(
        GATEWAYS.flatMap((id) => [`${id}/floor`, `${id}/peer`]),
      );
    }
  });

  it('the floor really calls the upstream, and the gateway answers the same data', () => {
    for (const c of report.cases) {
      const floor = c.results.floor;
      if (!floor?.available) throw new Error(`${c.id}: floor not available`);
      expect(floor.upstreamCallsPerQuery, c.id).toBeGreaterThan(0);
      expect(floor.sameAsFloor).toBe('reference');
      for (const id of GATEWAYS) {
        const r = c.results[id];
        expect(r?.available && r.sameAsFloor, `${c.id} ${id}`).toBe('same');
      }
    }
  });

  it('the gateway makes no more upstream calls per query than the floor, in every cache configuration', () => {
    for (const c of report.cases) {
      const floor = c.results.floor;
      for (const id of GATEWAYS) {
        const r = c.results[id];
        if (!floor?.available || !r?.available) throw new Error(`${c.id} ${id}: not available`);
        expect(r.upstreamCallsPerQuery, `${c.id} ${id}`).toBeLessThanOrEqual(
          floor.upstreamCallsPerQuery,
        );
        for (const l of r.levels)
          expect(l.upstreamCallsPerQuery, `${c.id} ${id} c=${l.concurrency}`).toBeLessThanOrEqual(
            floor.upstreamCallsPerQuery,
          );
      }
    }
    const callTargets = report.targets.filter((t) => t.id.startsWith('calls-'));
    expect(callTargets).toHaveLength(GATEWAYS.length * report.cases.length);
    for (const t of callTargets) expect(t.pass, t.id).toBe(true);
  });

  it('writes the upload baseline, the Markdown table and the SVG chart', () => {
    expect(report.upload.directPut.available, report.upload.directPut.reason).toBe(true);
    expect(report.upload.directPut.bytes).toBe(8 * 1024 * 1024);
    expect(report.upload.peer.available).toBe(false);
    expect(markdown).toContain('## Machine');
    expect(markdown).toContain('| system | upstream calls/query |');
    expect(markdown).toContain('## Targets');
    // The hand-written profile notes (bench/profile.md) survive a regeneration.
    expect(markdown).toContain('## Profile');
    expect(markdown).toContain('benchmarks.svg');
    expect(svg.startsWith('<svg')).toBe(true);
    expect(svg).toContain('<polyline');
    expect(svg.trim().endsWith('</svg>')).toBe(true);
  });
});
