import type { Plugin } from 'graphql-yoga';
import type { OpenHumansHttp } from '../datasources/open-humans-http.js';
import type { SharedRedis } from '../redis/shared-redis.js';

export interface ReadinessResult {
  ready: boolean;
  /**
   * The shared Redis (REDIS_URL): `up`, `down` (the instance serves on, from memory and upstream,
   * with per-instance rate limits) or `off` (none configured). Not a reason to be unready.
   */
  redis?: 'up' | 'down' | 'off';
  /** Why not ready (an UpstreamError kind or status), for operators; never a URL or token. */
  reason?: string;
}

/**
 * Whether the upstream answers: one cheap public call (`/api/public/datatypes/?limit=1`, no
 * token), with a short deadline, remembered for `ttlMs` so that frequent probes from an
 * orchestrator cost at most one upstream call per interval.
 */
export class ReadinessProbe {
  private last: { at: number; result: Promise<ReadinessResult> } | undefined;

  constructor(
    private readonly http: OpenHumansHttp,
    private readonly options: { ttlMs?: number; timeoutMs?: number } = {},
    private readonly redis: Pick<SharedRedis, 'health'> | null = null,
  ) {}

  /** The Redis state right now (not remembered: it costs nothing to read). */
  redisState(): 'up' | 'down' | 'off' {
    return this.redis ? this.redis.health : 'off';
  }

  check(now: number = Date.now()): Promise<ReadinessResult> {
    const ttl = this.options.ttlMs ?? 5_000;
    if (this.last && now - this.last.at < ttl) return this.last.result;
    const result = this.probe();
    this.last = { at: now, result };
    return result;
  }

  private async probe(): Promise<ReadinessResult> {
    try {
      await this.http.request({
        route: 'P3',
        method: 'GET',
        path: '/api/public/datatypes/',
        query: { limit: 1 },
        signal: AbortSignal.timeout(this.options.timeoutMs ?? 3_000),
      });
      return { ready: true };
    } catch (err) {
      const e = err as { kind?: string; status?: number };
      return {
        ready: false,
        reason:
          e.status !== undefined ? `upstream HTTP ${e.status}` : `upstream ${e.kind ?? 'error'}`,
      };
    }
  }
}

/** `GET /readiness`: 200 when the upstream answers, else 503 (liveness stays on `/health`). */
export function useReadiness(path: string, probe: ReadinessProbe): Plugin {
  return {
    async onRequest({ url, endResponse, fetchAPI }) {
      if (url.pathname !== path) return;
      const result = await probe.check();
      // Only with REDIS_URL: without it the body is as it always was.
      const state = probe.redisState();
      const redis = state === 'off' ? {} : { redis: state };
      const body = JSON.stringify(
        result.ready
          ? { status: 'ready', ...redis }
          : { status: 'unavailable', reason: result.reason, ...redis },
      );
      endResponse(
        new fetchAPI.Response(body, {
          status: result.ready ? 200 : 503,
          headers: { 'content-type': 'application/json', 'cache-control': 'no-store' },
        }),
      );
    },
  };
}
