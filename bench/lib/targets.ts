/** Ratios between systems and the targets, computed from the measured results. */
import { round } from './measure.js';
import { upstreamBudgetOf } from './systems.js';
import type {
  CaseReport,
  LevelResult,
  RatioSet,
  SystemCaseResult,
  SystemId,
  TargetResult,
  UploadReport,
  UploadSide,
} from './types.js';

export const GATEWAYS: readonly SystemId[] = [
  'gateway',
  'gateway-pages-uncached',
  'gateway-nocache',
];

/** Gateway rows measured in some cases only (`measuredIn`): judged where they were measured. */
export const CASE_GATEWAYS: readonly SystemId[] = ['gateway-nocache-b64'];

/** The gateway rows of one case: every variant, and the case-only ones it measured. */
const gatewaysOf = (c: CaseReport): SystemId[] => [
  ...GATEWAYS,
  ...CASE_GATEWAYS.filter((id) => c.results[id] !== undefined),
];

type Measured = Extract<SystemCaseResult, { available: true }>;

const measured = (r: SystemCaseResult | undefined): Measured | null => (r?.available ? r : null);
const levelAt = (r: Measured | null, c: number): LevelResult | undefined =>
  r?.levels.find((l) => l.concurrency === c);
const maxLevel = (r: Measured | null): LevelResult | undefined => r?.levels[r.levels.length - 1];

function ratio(a: number | undefined, b: number | undefined): number | null {
  if (a === undefined || b === undefined || !Number.isFinite(a) || !Number.isFinite(b) || b === 0)
    return null;
  return round(a / b);
}

function ratioSet(g: Measured | null, other: Measured | null): RatioSet {
  return {
    upstreamCalls: g && other ? ratio(g.upstreamCallsPerQuery, other.upstreamCallsPerQuery) : null,
    p50AtC1: ratio(levelAt(g, 1)?.latencyMs.p50, levelAt(other, 1)?.latencyMs.p50),
    p50AtMaxC: ratio(maxLevel(g)?.latencyMs.p50, maxLevel(other)?.latencyMs.p50),
    throughput: ratio(maxLevel(g)?.throughputRps, maxLevel(other)?.throughputRps),
    cpuMsPerQuery: ratio(maxLevel(g)?.cpuMsPerQuery.system, maxLevel(other)?.cpuMsPerQuery.system),
  };
}

export function computeRatios(c: CaseReport): Record<string, RatioSet> {
  const out: Record<string, RatioSet> = {};
  const floor = measured(c.results.floor);
  const peer = measured(c.results.peer);
  for (const id of gatewaysOf(c)) {
    const g = measured(c.results[id]);
    out[`${id}/floor`] = ratioSet(g, floor);
    out[`${id}/peer`] = ratioSet(g, peer);
  }
  return out;
}

/** Every target; case (d) is judged against each gateway row's own `UPSTREAM_CONCURRENCY`. */
export function evaluateTargets(cases: CaseReport[], upload: UploadReport): TargetResult[] {
  const targets: TargetResult[] = [];
  for (const id of [...GATEWAYS, ...CASE_GATEWAYS]) {
    for (const c of cases) {
      if (!gatewaysOf(c).includes(id)) continue;
      const g = measured(c.results[id]);
      const floor = measured(c.results.floor);
      const ok = g !== null && floor !== null;
      targets.push({
        id: `calls-${c.id}-${id}`,
        description: `upstream calls per query ≤ floor's (${c.id})`,
        system: id,
        case: c.id,
        value: g?.upstreamCallsPerQuery ?? null,
        limit: floor ? `≤ ${floor.upstreamCallsPerQuery}` : 'floor not available',
        pass: ok ? g.upstreamCallsPerQuery <= floor.upstreamCallsPerQuery + 1e-9 : null,
        note: ok ? undefined : unavailable(c.results[id], c.results.floor),
      });
      const r = c.ratios[`${id}/floor`]?.p50AtC1 ?? null;
      targets.push({
        id: `p50-${c.id}-${id}`,
        description: `p50 at concurrency 1 ≤ 1.10× floor's (${c.id})`,
        system: id,
        case: c.id,
        value: r,
        limit: '≤ 1.10×',
        pass: r === null ? null : r <= 1.1,
        note: r === null ? unavailable(c.results[id], c.results.floor) : undefined,
      });
    }
    if (!GATEWAYS.includes(id)) continue;
    for (const [caseId, factor] of [
      ['a', 6],
      ['c', 3],
    ] as const) {
      const c = cases.find((x) => x.id === caseId);
      const r = c?.ratios[`${id}/peer`]?.throughput ?? null;
      targets.push({
        id: `throughput-${caseId}-${id}`,
        description: `throughput at the highest concurrency ≥ ${factor}× peer's (${caseId})`,
        system: id,
        case: caseId,
        value: r,
        limit: `≥ ${factor}×`,
        pass: r === null ? null : r >= factor,
        note: r === null && c ? unavailable(c.results[id], c.results.peer) : undefined,
      });
    }
  }
  const fanOut = cases.find((c) => c.id === 'd');
  if (fanOut)
    for (const id of gatewaysOf(fanOut))
      targets.push(...budgetTargets(fanOut, id, upstreamBudgetOf(id) ?? 0));
  targets.push(...uploadTargets(upload));
  return targets;
}

/** The level case (d)'s budget targets are judged at (the issue's c = 32). */
const FAN_OUT_CONCURRENCY = 32;
/** Share of what the upstream budget allows that case (d) must reach. */
const BUDGET_SHARE = 0.8;

/**
 * Case (d), the 52-call fan-out, against the upstream budget: no errors at c = 32; throughput at
 * least 80% of what `budget` calls in flight allow at the latency the sandbox measured for this
 * very run (its mean time per call, arrival to response closed: the gateway's own delays are not
 * in it), i.e. `budget / latency / calls per query`; and at least the peer's throughput, judged
 * only where `budget` is at most the peer's own mean upstream calls in flight at that level (the
 * peer has no limit: with more calls in flight than the budget allows it can simply be faster).
 */
export function budgetTargets(c: CaseReport, id: SystemId, budget: number): TargetResult[] {
  const g = measured(c.results[id]);
  const level = levelAt(g, FAN_OUT_CONCURRENCY);
  const peerLevel = levelAt(measured(c.results.peer), FAN_OUT_CONCURRENCY);
  const missing = (other?: SystemCaseResult): string =>
    g && !level ? `no c=${FAN_OUT_CONCURRENCY} level measured` : unavailable(c.results[id], other);
  const latency = level?.upstreamLatencyMs ?? null;
  const calls = level?.upstreamCallsPerQuery ?? 0;
  const allowed = latency && calls > 0 ? (budget * 1000) / latency / calls : null;
  const share = allowed && level ? round(level.throughputRps / allowed) : null;
  const vsPeer = level && peerLevel ? ratio(level.throughputRps, peerLevel.throughputRps) : null;
  const peerInFlight = peerLevel?.upstreamInFlight?.mean ?? null;
  const comparable = peerInFlight !== null && budget <= peerInFlight;
  const peerNote =
    peerInFlight === null
      ? "the peer's calls in flight were not measured"
      : `budget ${budget} ${comparable ? '≤' : '>'} the peer's ${round(peerInFlight)} calls in flight (mean, peak ${peerLevel?.upstreamInFlight?.peak ?? '?'})${comparable ? '' : ': not judged'}`;
  return [
    {
      id: `errors-d-${id}`,
      description: `errors at c=${FAN_OUT_CONCURRENCY} = 0 (d)`,
      system: id,
      case: 'd',
      value: level?.errors ?? null,
      limit: '= 0',
      pass: level ? level.errors === 0 : null,
      note: level ? undefined : missing(),
    },
    {
      id: `budget-d-${id}`,
      description: `throughput at c=${FAN_OUT_CONCURRENCY} ≥ ${BUDGET_SHARE * 100}% of what UPSTREAM_CONCURRENCY allows at the measured upstream latency (d)`,
      system: id,
      case: 'd',
      value: share,
      limit: `≥ ${BUDGET_SHARE}×`,
      pass: share === null ? null : share >= BUDGET_SHARE,
      note:
        allowed !== null && level && latency !== null
          ? `${budget} calls in flight / ${round(latency)} ms per call (sandbox-measured mean) / ${calls} calls per query = ${round(allowed)} queries/s allowed; ${level.throughputRps} measured`
          : level
            ? 'no upstream latency measured'
            : missing(),
    },
    {
      id: `throughput-d-${id}`,
      description: `throughput at c=${FAN_OUT_CONCURRENCY} ≥ peer's (d), judged where UPSTREAM_CONCURRENCY ≤ the peer's mean upstream calls in flight`,
      system: id,
      case: 'd',
      value: vsPeer,
      limit: '≥ 1×',
      pass: vsPeer === null || !comparable ? null : vsPeer >= 1,
      note: vsPeer === null ? missing(c.results.peer) : peerNote,
    },
  ];
}

/** Scenario (e): RSS growth on both gateway paths; the declared-size path ≥ 80% of a direct PUT. */
function uploadTargets(upload: UploadReport): TargetResult[] {
  const rss = (id: string, what: string, side: UploadSide): TargetResult => ({
    id,
    description: `gateway RSS growth during the upload (${what}) ≤ 64 MiB`,
    system: 'gateway',
    case: 'all',
    value: side.rssGrowthMiB ?? null,
    limit: '≤ 64 MiB',
    pass: side.rssGrowthMiB === undefined ? null : side.rssGrowthMiB <= 64,
    note: side.available ? undefined : side.reason,
  });
  const declared = upload.gateway.mibPerSecond;
  const direct = upload.directPut.mibPerSecond;
  const share =
    declared !== undefined && direct ? Math.round((declared / direct) * 1000) / 1000 : null;
  return [
    rss('upload-rss-gateway', 'size declared', upload.gateway),
    rss('upload-rss-gateway-spooled', 'size unknown, spooled', upload.gatewaySpooled),
    {
      id: 'upload-throughput-declared',
      description: 'upload throughput with a declared size ≥ 80% of a direct PUT',
      system: 'gateway',
      case: 'all',
      value: share,
      limit: '≥ 0.8×',
      pass: share === null ? null : share >= 0.8,
      note: upload.gateway.available ? undefined : upload.gateway.reason,
    },
  ];
}

function unavailable(...results: (SystemCaseResult | undefined)[]): string {
  for (const r of results) if (r && !r.available) return r.reason;
  return 'not measured';
}
