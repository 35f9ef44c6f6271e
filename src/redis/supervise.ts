import type { Config } from '../config/index.js';
import type { Logger } from '../logger.js';
import { checkRedisSettings } from './settings-check.js';
import { SharedRedis } from './shared-redis.js';

/**
 * The process's shared Redis (null without REDIS_URL), supervised: one warning when it becomes
 * unavailable and one info line when it is back (never one per request), and the settings check
 * once it first connects.
 */
export function createSharedRedis(config: Config, logger: Logger): SharedRedis | null {
  if (!config.redisUrl) return null;
  if (config.uploads.handleSecret === null) {
    logger.warn(
      'UPLOAD_HANDLE_SECRET is not set: each instance signs upload handles with its own random secret, so another instance refuses them; set one secret on every instance',
    );
  }
  const redis = new SharedRedis({
    url: config.redisUrl,
    commandTimeoutMs: config.redis.commandTimeoutMs,
    breakerOpenMs: config.redis.breakerOpenMs,
  });
  redis.onHealthChange((health) => {
    if (health === 'down') {
      logger.warn(
        'Redis unavailable: public cache in memory, rate limits per instance, idempotency per instance until it is back',
      );
    } else {
      logger.info('Redis available again: shared cache, rate limits and idempotency restored');
    }
  });
  redis.client.once('ready', () => {
    checkRedisSettings(redis.client, { events: config.openHumans.projectId !== null }).then(
      (warnings) => {
        for (const warning of warnings) logger.warn(warning);
      },
      () => {},
    );
  });
  return redis;
}
