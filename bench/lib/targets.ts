/** Ratios between systems and the targets, computed from the measured results. */
import { round } from './measure.js';
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
  for (const id of GATEWAYS) {
    const g = measured(c.results[id]);
    out[`${id}/floor`] = ratioSet(g, floor);
    out[`${id}/peer`] = ratioSet(g, peer);
  }
  return out;
}

export function evaluateTargets(cases: CaseReport[], upload: UploadReport): TargetResult[] {
  const targets: TargetResult[] = [];
  for (const id of GATEWAYS) {
    for (const c of cases) {
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
  targets.push(...uploadTargets(upload));
  return targets;
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
