import type { Sandbox } from '../../sandbox/index.js';
import { startSandbox } from '../../sandbox/index.js';
import { type RedisServer, startRedis } from './redis.js';
import { type Stack, startStack } from './stack.js';

/** Two gateway instances on one sandbox and one redis-server, as behind a load balancer. */
export interface TwoInstances {
  redis: RedisServer;
  sandbox: Sandbox;
  a: Stack;
  b: Stack;
  /** Stops both instances, then the sandbox and Redis. */
  close(): Promise<void>;
}

/**
 * Starts a fresh redis-server and sandbox and two instances configured alike: `REDIS_URL`, the
 * sandbox's project id, then `env`. Callers skip when `redisAvailable()` is false.
 */
export async function startTwoInstances(env: Record<string, string> = {}): Promise<TwoInstances> {
  const redis = await startRedis();
  const sandbox = await startSandbox({ port: 0 });
  const shared = {
    OPENHUMANS_PROJECT_ID: String(sandbox.projectId),
    REDIS_URL: redis.url,
    ...env,
  };
  const a = await startStack({ sandbox, env: shared });
  const b = await startStack({ sandbox, env: shared });
  return {
    redis,
    sandbox,
    a,
    b,
    async close() {
      await a.close();
      await b.close();
      await sandbox.close();
      await redis.stop();
    },
  };
}
