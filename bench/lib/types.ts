/** The shape of `docs/benchmarks.json` (also what the smoke test asserts). */

import type { CaseId } from './cases.js';
import type { LatencySummary } from './load.js';

export type SystemId =
  | 'floor'
  | 'gateway'
  | 'gateway-pages-uncached'
  | 'gateway-nocache'
  | 'gateway-nocache-b64'
  | 'peer';

export interface SystemInfo {
  id: SystemId;
  label: string;
  description: string;
  available: boolean;
  /** Why the system could not be measured at all. */
  reason?: string;
  pid?: number;
}

export interface LevelResult {
  concurrency: number;
  /** Requests sent, failed ones included. */
  requests: number;
  /** Non-200 answers, GraphQL errors and transport failures (latency covers the others). */
  errors: number;
  firstError: string | null;
  wallMs: number;
  /** Successful responses per second. */
  throughputRps: number;
  latencyMs: LatencySummary;
  upstreamCallsPerQuery: number;
  /** Upstream calls per query by route id (P1, D2, …). */
  upstreamCallsByRoute: Record<string, number>;
  /**
   * Mean time of the run's upstream calls in the sandbox (arrival to response closed, ms), null
   * when it made none: the latency the upstream budget's targets are judged at.
   */
  upstreamLatencyMs: number | null;
  /**
   * Upstream calls in flight at the sandbox during the run, null when it made none: `mean` by
   * Little's law (the calls' summed time in the sandbox over the run's wall time), `peak` the
   * most at once (the sandbox's own counter). What the system really asked of Open Humans at once.
   */
  upstreamInFlight: { mean: number; peak: number } | null;
  cpuMsPerQuery: { system: number; sandbox: number; loadGenerator: number };
  /** Sandbox CPU time over wall time, in percent of one core. */
  sandboxLoadPct: number;
  peakRssMiB: { system: number; sandbox: number };
}

export type SystemCaseResult =
  | {
      available: true;
      /**
       * Over every measured request of the levels without errors (of all levels if none is clean).
       */
      upstreamCallsPerQuery: number;
      upstreamCallsByRoute: Record<string, number>;
      /**
       * `same` when the response equals the floor's (cursors aside), else where it first differs.
       */
      sameAsFloor: 'same' | 'reference' | string;
      levels: LevelResult[];
    }
  | { available: false; reason: string };

export interface CaseReport {
  id: CaseId;
  scenario: string;
  title: string;
  short: string;
  floorPlan: string;
  query: string;
  results: Partial<Record<SystemId, SystemCaseResult>>;
  /** gateway / floor and gateway / peer, for each gateway variant. */
  ratios: Record<string, RatioSet>;
}

export interface RatioSet {
  /** Upstream calls per query. */
  upstreamCalls: number | null;
  /** p50 latency at concurrency 1. */
  p50AtC1: number | null;
  /** p50 latency at the highest concurrency. */
  p50AtMaxC: number | null;
  /** Throughput at the highest concurrency. */
  throughput: number | null;
  /** System CPU ms per query at the highest concurrency. */
  cpuMsPerQuery: number | null;
}

export interface UploadSide {
  available: boolean;
  reason?: string;
  bytes?: number;
  seconds?: number;
  mibPerSecond?: number;
  /** Peak RSS of the process pushing the bytes. */
  peakRssMiB?: number;
  /** Peak RSS minus RSS before the upload. */
  rssGrowthMiB?: number;
  /** Anything else the measuring script reported. */
  details?: Record<string, unknown>;
}

export interface UploadReport {
  id: 'e';
  title: string;
  directPut: UploadSide;
  /** Through the gateway with a declared size (`input.size`): streamed straight into the PUT. */
  gateway: UploadSide;
  /** Through the gateway without a size: spooled to disk, then PUT. */
  gatewaySpooled: UploadSide;
  peer: UploadSide;
}

export interface TargetResult {
  id: string;
  description: string;
  system: SystemId;
  case: CaseId | 'all';
  value: number | null;
  limit: string;
  pass: boolean | null;
  note?: string;
}

export interface BenchReport {
  schemaVersion: 1;
  mode: 'full' | 'smoke';
  generatedAt: string;
  /** `git describe --always --dirty` of the measured tree. */
  commit: string;
  durationSeconds: number;
  machine: {
    cpuModel: string;
    cores: number;
    memoryGiB: number;
    os: string;
    node: string;
    pinning: { sandbox: string; systems: string; loadGenerator: string } | null;
    /** 1-minute load average when the run started and when it ended (other work on the machine). */
    loadAverage: { start: number; end: number };
  };
  settings: {
    upstreamLatencyMs: number;
    upstreamJitterMs: number;
    concurrencyLevels: number[];
    warmupMs: number;
    measureMs: number;
    maxRequestsPerLevel: number | null;
    /** `UPSTREAM_CONCURRENCY` the gateways run with (the budget case (d) is judged against). */
    gatewayUpstreamConcurrency: number;
    /** `UPSTREAM_CONCURRENCY` of the extra case (d) row `gateway-nocache-b64`. */
    raisedUpstreamConcurrency: number;
  };
  systems: SystemInfo[];
  cases: CaseReport[];
  upload: UploadReport;
  targets: TargetResult[];
}
