import { randomUUID } from 'node:crypto';
import type { Redis } from 'ioredis';
import type { TokenScopedCache } from '../auth/token-scoped-cache.js';
import { MEMBER_LIST_TAG, memberTag } from '../auth/token-scoped-cache.js';
import type { PublicCache } from '../datasources/response-cache.js';
import type { SharedRedis } from './shared-redis.js';
import { safeRedisMessage } from './shared-redis.js';

/**
 * The public responses a write to a member can change: their files (every file list and the
 * file itself: a file may be public) and member lists (a removal). The catalogues (projects,
 * data types) stay.
 */
export const PUBLIC_PATHS_CHANGED_BY_MEMBER_WRITES: readonly string[] = [
  '/api/public/datafiles/',
  '/api/public/datafile/',
  '/api/public/datatype/',
  '/api/public/member/',
  '/api/public/members/',
  '/api/public/project/',
];

/** Announcements kept from overflowing a slow subscriber: one message is a few dozen bytes. */
const MAX_MESSAGE_BYTES = 1_024;

export interface CacheInvalidationOptions {
  publicCache: PublicCache;
  tokenCache: TokenScopedCache;
  /** With a shared Redis, writes are announced on `channel` to every other instance. */
  redis?: SharedRedis | null;
  /** From `redisKey(config, 'invalidate')`: per deployment. */
  channel?: string;
  onError?: (message: string) => void;
}

/**
 * What a write through the gateway (upload, delete, message, removal) does to caches: this
 * process's token-scoped answers for the member and the shared public responses go at once
 * (before the mutation answers), and, via Redis pub/sub, every other instance drops its own
 * in-process copies. Pub/sub is fire-and-forget: an instance that misses a message (Redis
 * down) keeps at most the token cache's TTL (10 s) of staleness.
 */
export class CacheInvalidation {
  /** Announcements received from other instances (tests wait on it). */
  received = 0;
  private readonly instance = randomUUID();
  private subscriber: Redis | null = null;
  private readonly waiters = new Set<() => void>();

  constructor(private readonly options: CacheInvalidationOptions) {}

  /** Opens the subscriber connection (once); a failure is reported, never thrown. */
  async start(): Promise<void> {
    const { redis, channel } = this.options;
    if (!redis || !channel || this.subscriber) return;
    const subscriber = redis.client.duplicate({
      commandTimeout: undefined,
      enableOfflineQueue: true,
    });
    this.subscriber = subscriber;
    subscriber.on('error', () => {});
    subscriber.on('message', (from: string, message: string) => {
      if (from === channel && message.length <= MAX_MESSAGE_BYTES) void this.onMessage(message);
    });
    // ioredis re-subscribes by itself after a reconnect.
    await subscriber
      .subscribe(channel)
      .catch((err: unknown) =>
        this.options.onError?.(`redis (invalidation): ${safeRedisMessage(err)}`),
      );
  }

  /** After a write to `projectMemberId`: drops what this instance holds and tells the others. */
  async memberChanged(projectMemberId: string): Promise<void> {
    this.dropTokenScoped(projectMemberId);
    await this.options.publicCache
      .invalidatePaths(PUBLIC_PATHS_CHANGED_BY_MEMBER_WRITES)
      .catch(() => 0);
    const { redis, channel } = this.options;
    if (!redis || !channel) return;
    const message = JSON.stringify({ from: this.instance, member: projectMemberId });
    await redis
      .run((c) => c.publish(channel, message))
      .catch(() => {
        // Redis down: the other instances' private copies age out within their TTL.
      });
  }

  /** Resolves at the next announcement from another instance (tests). */
  nextReceived(): Promise<void> {
    return new Promise((resolve) => this.waiters.add(resolve));
  }

  async close(): Promise<void> {
    const subscriber = this.subscriber;
    this.subscriber = null;
    await subscriber?.quit().catch(() => subscriber.disconnect());
  }

  private async onMessage(message: string): Promise<void> {
    let parsed: { from?: unknown; member?: unknown };
    try {
      parsed = JSON.parse(message) as typeof parsed;
    } catch {
      return;
    }
    if (parsed.from === this.instance || typeof parsed.member !== 'string') return;
    this.dropTokenScoped(parsed.member);
    await this.options.publicCache
      .invalidateLocalPaths(PUBLIC_PATHS_CHANGED_BY_MEMBER_WRITES)
      .catch(() => 0);
    this.received += 1;
    for (const wake of this.waiters) wake();
    this.waiters.clear();
  }

  private dropTokenScoped(projectMemberId: string): void {
    this.options.tokenCache.invalidateTag(memberTag(projectMemberId));
    this.options.tokenCache.invalidateTag(MEMBER_LIST_TAG);
  }
}
