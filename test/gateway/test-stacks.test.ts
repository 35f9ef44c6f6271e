/**
 * Every test stack runs on loopback (never www.openhumans.org) and, built with its defaults,
 * on production's Open Humans client (`createOpenHumans`): a transient 503 on a GET is retried,
 * as in production, and the sandbox counts both attempts.
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { Sandbox } from '../../sandbox/index.js';
import { startSandbox } from '../../sandbox/index.js';
import type { Config } from '../../src/config/index.js';
import { type RedisServer, redisAvailable, startRedis } from '../helpers/redis.js';
import { startStack } from '../helpers/stack.js';
import { post, startGatewayOn } from '../limits/abuse-support.js';
import { startResilientStack } from '../resilience/support.js';
import { startInstance } from '../scale/support.js';

const PROJECTS = '{ projects(first: 2) { totalCount } }';
const LOOPBACK = new Set(['127.0.0.1', 'localhost', '[::1]']);

interface Built {
  config: Config;
  /** The base URL the HTTP layer really calls, when the stack exposes it. */
  httpBaseUrl?: string;
  execute(query: string): Promise<{ errors?: readonly unknown[] }>;
  close(): Promise<void>;
}

type Builder = (sandbox: Sandbox, redisUrl: string | null) => Promise<Built>;

const builders: Record<string, Builder> = {
  'helpers/stack (startStack)': async (sandbox) => {
    const stack = await startStack({ sandbox });
    return {
      config: stack.config,
      httpBaseUrl: stack.http.baseUrl,
      execute: (q) => stack.execute(q),
      close: () => stack.close(),
    };
  },
  'resilience/support (startResilientStack)': async (sandbox) => {
    const stack = await startResilientStack({ sandbox });
    return {
      config: stack.config,
      httpBaseUrl: stack.http.baseUrl,
      execute: (q) => stack.execute(q),
      close: () => stack.close(),
    };
  },
  'limits/abuse-support (startGatewayOn)': async (sandbox) => {
    const gw = await startGatewayOn(sandbox.url, { RATE_LIMIT_PER_SECOND: '0' });
    return {
      config: gw.config,
      execute: async (q) => (await post(gw.url, '/graphql', { query: q })).body,
      close: () => gw.close(),
    };
  },
  'scale/support (startInstance)': async (sandbox, redisUrl) => {
    if (!redisUrl) throw new Error('no redis-server');
    const instance = await startInstance(sandbox, redisUrl);
    return {
      config: instance.config,
      execute: (q) => instance.execute(q),
      close: () => instance.close(),
    };
  },
};

let sandbox: Sandbox;
let redis: RedisServer | undefined;
beforeAll(async () => {
  sandbox = await startSandbox({ port: 0 });
  if (redisAvailable()) redis = await startRedis();
});
afterAll(async () => {
  await redis?.stop();
  await sandbox?.close();
});

describe.each(Object.entries(builders))('%s', (name, build) => {
  it('calls a loopback upstream, and retries a transient 503 on a GET by default', async (ctx) => {
    if (name.startsWith('scale/') && !redis) {
      expect(process.env.CI, 'redis-server is required under CI').not.toBe('true');
      ctx.skip();
    }
    const built = await build(sandbox, redis?.url ?? null);
    try {
      for (const base of [
        built.config.openHumans.baseUrl,
        built.httpBaseUrl ?? built.config.openHumans.baseUrl,
      ]) {
        expect(LOOPBACK.has(new URL(base).hostname), base).toBe(true);
      }
      sandbox.clearFaults();
      sandbox.resetCalls();
      sandbox.setFaults({ rules: [{ route: 'P10', kind: 'status', status: 503, times: 1 }] });
      const res = await built.execute(PROJECTS);
      expect(res.errors).toBeUndefined();
      // The 503 and the retry that succeeded.
      expect(sandbox.calls().P10).toBe(2);
    } finally {
      sandbox.clearFaults();
      await built.close();
    }
  });
});
