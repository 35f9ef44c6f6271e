/**
 * Redis outage soak (`npm run test:soak`): two gateway processes (`src/main.ts`) share
 * one redis-server; under a steady load of the usual query mix, Redis is hung (SIGSTOP) and later
 * killed and restarted mid-load. Every query still succeeds, p99 stays near the healthy one
 * (requests skip Redis once the breaker opens), both processes log one line per Redis state
 * change, and they stay up and shut down cleanly. The figures go to the README (Scaling).
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { type Sandbox, startSandbox } from '../../sandbox/index.js';
import { type RedisServer, redisAvailable, startRedis } from '../helpers/redis.js';
import type { GatewayProcess, Outcome } from './helpers-faults.js';
import { operationMix, runMix, startGatewayProcess, summarize } from './helpers-faults.js';

const OPERATIONS = 3_000;
const CONCURRENCY = 12;
const DEADLINE_MS = 5_000;

const GATEWAY_ENV = {
  LOG_LEVEL: 'info',
  NODE_ENV: 'production',
  GRAPHIQL: 'false',
  RATE_LIMIT_PER_SECOND: '0',
  REQUEST_DEADLINE_MS: String(DEADLINE_MS),
  // Defaults of REDIS_COMMAND_TIMEOUT_MS (250); a short breaker period so recovery shows in the
  // run.
  REDIS_BREAKER_OPEN_MS: '1000',
  PUBLIC_CACHE_TTL_SECONDS: '5',
  PUBLIC_CACHE_CATALOG_TTL_SECONDS: '10',
};

const sleep = (ms: number): Promise<void> => new Promise((resolve) => setTimeout(resolve, ms));

describe.skipIf(!redisAvailable())(
  'Redis hung, killed and restarted under load (two instances)',
  () => {
    let sandbox: Sandbox;
    let redis: RedisServer;
    let gateways: GatewayProcess[] = [];
    const figures: Record<string, unknown> = {};
    /** 'Redis unavailable' lines per gateway seen so far. */
    const seenDown: number[] = [];
    const unavailableLines = (g: GatewayProcess): number =>
      g.redisLines().filter((l) => l.includes('Redis unavailable')).length;

    beforeAll(async () => {
      sandbox = await startSandbox({
        port: 0,
        seed: 5,
        sizes: { publicFiles: 3_000, users: 200 },
        latency: { ms: 2, jitterMs: 3 },
      });
      redis = await startRedis();
      const env = { ...GATEWAY_ENV, OPENHUMANS_BASE_URL: sandbox.url, REDIS_URL: redis.url };
      gateways = [await startGatewayProcess(env), await startGatewayProcess(env)];
      await Promise.all(gateways.map((g) => redisState(g, 'up')));
    });
    afterAll(async () => {
      await Promise.all(gateways.map((g) => g.stop()));
      await redis?.stop();
      await sandbox?.close();
      console.log(`redis outage soak figures: ${JSON.stringify(figures, null, 2)}`);
    });

    /** Polls a gateway's /readiness until it reports Redis `state` (bounded). */
    async function redisState(g: GatewayProcess, state: 'up' | 'down'): Promise<void> {
      for (let i = 0; i < 200; i += 1) {
        const body = (await (await fetch(`${g.url}/readiness`)).json()) as { redis?: string };
        if (body.redis === state) return;
        await sleep(50);
      }
      throw new Error(`readiness never reported redis ${state}`);
    }

    /**
     * Runs the mix on both gateways while `chaos` acts on Redis; records and checks the figures.
     */
    async function scenario(
      name: string,
      seed: number,
      chaos: () => Promise<void>,
    ): Promise<Outcome[]> {
      const ops = operationMix(sandbox, OPERATIONS, seed);
      const started = Date.now();
      const [outcomes] = await Promise.all([
        runMix(
          gateways.map((g) => g.url),
          ops,
          CONCURRENCY,
        ),
        chaos(),
      ]);
      const summary = summarize(outcomes);
      const overDeadline = outcomes.filter((o) => o.durationMs > DEADLINE_MS).length;
      const downLines = gateways.map((g) => unavailableLines(g));
      const newDown = downLines.map((n, i) => n - (seenDown[i] ?? 0));
      downLines.forEach((n, i) => {
        seenDown[i] = n;
      });
      const wallMs = Date.now() - started;
      figures[name] = { ...summary, overDeadline, wallMs, unavailableWarnings: newDown };
      // One line per state change, never one per request: at most one outage per breaker period.
      for (const n of newDown) expect(n).toBeLessThanOrEqual(Math.ceil(wallMs / 1_000));
      expect(summary.successRatio, JSON.stringify(summary.failuresByCode)).toBeGreaterThanOrEqual(
        0.999,
      );
      expect(summary.mutationsOk).toBe(summary.mutations);
      // The deadline is the gateway's; on a machine overloaded by other work a client may still
      // measure a little more than it for a few requests (queueing before the gateway sees them).
      expect(overDeadline).toBeLessThanOrEqual(Math.ceil(OPERATIONS / 1_000));
      for (const g of gateways) expect(g.child.exitCode, g.stderr()).toBeNull();
      return outcomes;
    }

    it('healthy Redis: the baseline', async () => {
      await scenario('healthy', 21, async () => {});
    });

    it('hung mid-load (SIGSTOP for 3 s): every query answered, the outage logged once per change', async () => {
      await scenario('hung', 22, async () => {
        await sleep(500);
        redis.pause();
        await Promise.all(gateways.map((g) => redisState(g, 'down')));
        await sleep(3_000);
        redis.resume();
      });
      await Promise.all(gateways.map((g) => redisState(g, 'up')));
      // The outage was noticed (and logged) by both instances.
      expect(
        (figures.hung as { unavailableWarnings: number[] }).unavailableWarnings.every(
          (n) => n >= 1,
        ),
      ).toBe(true);
    });

    it('killed mid-load, restarted 2 s later: every query answered, shared again after', async () => {
      await scenario('killed+restarted', 23, async () => {
        await sleep(500);
        await redis.kill();
        await Promise.all(gateways.map((g) => redisState(g, 'down')));
        await sleep(2_000);
        await redis.restart();
      });
      await Promise.all(gateways.map((g) => redisState(g, 'up')));
      expect(
        (
          figures['killed+restarted'] as { unavailableWarnings: number[] }
        ).unavailableWarnings.every((n) => n >= 1),
      ).toBe(true);
      const codes = await Promise.all(gateways.map((g) => g.stop()));
      expect(codes).toEqual([0, 0]);
    });
  },
);
