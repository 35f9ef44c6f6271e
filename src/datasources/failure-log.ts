/**
 * Log lines for upstream calls that failed to connect or timed out (`connection-failure.ts`).
 * During an outage every call fails the same way: one line per cause and target every
 * `intervalMs` (with how many were left out), so the cause is always in the log but an outage
 * cannot flood it.
 */
import type { Logger } from '../logger.js';
import type { UpstreamFailureReport } from './connection-failure.js';

export interface FailureLogOptions {
  /** @default 10 s */
  intervalMs?: number;
  /** Injected clock (tests); @default Date.now */
  now?: () => number;
  /** Distinct causes remembered at once (bounded); @default 100 */
  maxKeys?: number;
}

export function upstreamFailureLogger(
  logger: Logger,
  options: FailureLogOptions = {},
): (report: UpstreamFailureReport) => void {
  const intervalMs = options.intervalMs ?? 10_000;
  const now = options.now ?? Date.now;
  const maxKeys = options.maxKeys ?? 100;
  const last = new Map<string, { at: number; suppressed: number }>();
  return (report) => {
    const key = `${report.cause}|${report.code ?? ''}|${report.target}`;
    const seen = last.get(key);
    const at = now();
    if (seen && at - seen.at < intervalMs) {
      seen.suppressed += 1;
      return;
    }
    if (!seen && last.size >= maxKeys) {
      const oldest = last.keys().next().value;
      if (oldest !== undefined) last.delete(oldest);
    }
    last.delete(key);
    last.set(key, { at, suppressed: 0 });
    logger.warn('upstream call failed', {
      cause: report.cause,
      code: report.code,
      route: report.route,
      method: report.method,
      target: report.target,
      detail: report.detail,
      ...(seen && seen.suppressed > 0 ? { similarSinceLastLine: seen.suppressed } : {}),
    });
  };
}
