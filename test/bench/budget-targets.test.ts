/**
 * Case (d)'s budget targets (bench/lib/targets.ts) on made-up measurements: each gateway row is
 * judged against its own `UPSTREAM_CONCURRENCY`, and against the peer only where that budget is
 * at most the peer's own measured mean of upstream calls in flight.
 */
import { describe, expect, it } from 'vitest';
import { budgetTargets, computeRatios, evaluateTargets } from '../../bench/lib/targets.js';
import type {
  CaseReport,
  LevelResult,
  SystemCaseResult,
  SystemId,
  TargetResult,
  UploadReport,
} from '../../bench/lib/types.js';

function level(
  throughputRps: number,
  calls: number,
  inFlight: { mean: number; peak: number } | null,
  errors = 0,
): LevelResult {
  return {
    concurrency: 32,
    requests: 100,
    errors,
    firstError: null,
    wallMs: 4000,
    throughputRps,
    latencyMs: { p50: 1000, p95: 1200, p99: 1300, mean: 1050, max: 1400 },
    upstreamCallsPerQuery: calls,
    upstreamCallsByRoute: {},
    upstreamLatencyMs: 25,
    upstreamInFlight: inFlight,
    cpuMsPerQuery: { system: 20, sandbox: 5, loadGenerator: 1 },
    sandboxLoadPct: 30,
    peakRssMiB: { system: 100, sandbox: 100 },
  };
}

const result = (top: LevelResult): SystemCaseResult => ({
  available: true,
  upstreamCallsPerQuery: top.upstreamCallsPerQuery,
  upstreamCallsByRoute: {},
  sameAsFloor: 'same',
  levels: [{ ...top, concurrency: 1, throughputRps: 10 }, top],
});

function fanOut(results: Partial<Record<SystemId, SystemCaseResult>>): CaseReport {
  const c: CaseReport = {
    id: 'd',
    scenario: 'd',
    title: 'd',
    short: 'd',
    floorPlan: '',
    query: '',
    results,
    ratios: {},
  };
  c.ratios = computeRatios(c);
  return c;
}

const byId = (targets: TargetResult[], id: string): TargetResult | undefined =>
  targets.find((t) => t.id === id);

describe('case (d) budget targets', () => {
  // 32 slots / 25 ms / 52 calls = 24.6 queries/s allowed; 64 slots: 49.2.
  const peer = result(level(30, 100, { mean: 75, peak: 3200 }));

  it('judges the budget share against the row’s own budget', () => {
    const d = fanOut({
      'gateway-nocache': result(level(22, 52, { mean: 28.6, peak: 32 })),
      'gateway-nocache-b64': result(level(36, 52, { mean: 46.8, peak: 64 })),
      peer,
    });
    const at32 = budgetTargets(d, 'gateway-nocache', 32);
    const at64 = budgetTargets(d, 'gateway-nocache-b64', 64);
    expect(byId(at32, 'budget-d-gateway-nocache')?.value).toBeCloseTo(22 / (32000 / 25 / 52), 2);
    expect(byId(at64, 'budget-d-gateway-nocache-b64')?.value).toBeCloseTo(
      36 / (64000 / 25 / 52),
      2,
    );
    expect(byId(at64, 'budget-d-gateway-nocache-b64')?.pass).toBe(false);
    expect(byId(at32, 'budget-d-gateway-nocache')?.pass).toBe(true);
  });

  it('compares with the peer only where the budget is at most the peer’s mean calls in flight', () => {
    const slowPeer = result(level(30, 100, { mean: 40, peak: 3200 }));
    const d = fanOut({
      'gateway-nocache': result(level(22, 52, { mean: 28.6, peak: 32 })),
      'gateway-nocache-b64': result(level(36, 52, { mean: 46.8, peak: 64 })),
      peer: slowPeer,
    });
    const at32 = byId(budgetTargets(d, 'gateway-nocache', 32), 'throughput-d-gateway-nocache');
    const at64 = byId(
      budgetTargets(d, 'gateway-nocache-b64', 64),
      'throughput-d-gateway-nocache-b64',
    );
    // 32 ≤ 40: judged, and 22 < 30 misses.
    expect(at32?.pass).toBe(false);
    expect(at32?.note).toContain('budget 32 ≤ the peer');
    // 64 > 40: the peer asked Open Humans for less at once than this budget allows; not judged.
    expect(at64?.value).toBeCloseTo(1.2, 5);
    expect(at64?.pass).toBeNull();
    expect(at64?.note).toContain('not judged');
  });

  it('judges a raised budget against the peer when the peer used at least as much', () => {
    const d = fanOut({
      'gateway-nocache-b64': result(level(36, 52, { mean: 46.8, peak: 64 })),
      peer,
    });
    const t = byId(budgetTargets(d, 'gateway-nocache-b64', 64), 'throughput-d-gateway-nocache-b64');
    expect(t?.pass).toBe(true);
    expect(t?.note).toContain("budget 64 ≤ the peer's 75 calls in flight (mean, peak 3200)");
  });

  it('leaves the peer comparison unjudged when the peer’s calls in flight are unknown', () => {
    const d = fanOut({
      'gateway-nocache': result(level(40, 52, { mean: 30, peak: 32 })),
      peer: result(level(30, 100, null)),
    });
    const t = byId(budgetTargets(d, 'gateway-nocache', 32), 'throughput-d-gateway-nocache');
    expect(t?.pass).toBeNull();
  });

  it('evaluates the raised-budget row at 64 in case (d) only, and no ratios for it elsewhere', () => {
    const floor = result(level(60, 52, { mean: 40, peak: 52 }));
    const d = fanOut({
      floor,
      'gateway-nocache': result(level(22, 52, { mean: 28.6, peak: 32 })),
      'gateway-nocache-b64': result(level(36, 52, { mean: 46.8, peak: 64 })),
      peer,
    });
    const a = { ...fanOut({ floor, peer }), id: 'a' as const };
    const skipped = { available: false, reason: 'skipped' } as const;
    const upload: UploadReport = {
      id: 'e',
      title: 'e',
      directPut: skipped,
      gateway: skipped,
      gatewaySpooled: skipped,
      peer: skipped,
    };
    const targets = evaluateTargets([a, d], upload);
    const b64 = targets.filter((t) => t.system === 'gateway-nocache-b64').map((t) => t.id);
    expect(b64).toEqual([
      'calls-d-gateway-nocache-b64',
      'p50-d-gateway-nocache-b64',
      'errors-d-gateway-nocache-b64',
      'budget-d-gateway-nocache-b64',
      'throughput-d-gateway-nocache-b64',
    ]);
    expect(byId(targets, 'budget-d-gateway-nocache-b64')?.note).toContain('64 calls in flight');
    expect(byId(targets, 'budget-d-gateway-nocache')?.note).toContain('32 calls in flight');
    expect(Object.keys(d.ratios)).toContain('gateway-nocache-b64/peer');
    expect(Object.keys(a.ratios)).not.toContain('gateway-nocache-b64/peer');
  });
});
