import { ErrorCode, GatewayError } from '../../errors.js';
import type { SharedRedis } from '../../redis/shared-redis.js';
import type { Idempotency, IdempotentOutcome } from './idempotency.js';
import { IdempotencyStore, idempotencyId } from './idempotency.js';

export interface RedisIdempotencyOptions {
  redis: SharedRedis;
  /** Namespace (from `redisKey(config, 'idempotency', '')`). */
  keyPrefix: string;
  /** `UPLOAD_IDEMPOTENCY_TTL_SECONDS` in ms: every record expires (bounded growth). */
  ttlMs: number;
  /** How often a retry checks on a first attempt running on another instance. @default 200 */
  pollMs?: number;
  /** How long a retry waits for it before answering "retry later". @default 30 s */
  maxWaitMs?: number;
  sleep?: (ms: number) => Promise<void>;
}

/** A record: the input's fingerprint, and the result once the first attempt succeeded. */
interface IdempotencyRecord {
  f: string;
  s: 'pending' | 'done';
  r?: unknown;
}

const isRecord = (value: unknown): value is IdempotencyRecord =>
  typeof value === 'object' && value !== null && typeof (value as { f?: unknown }).f === 'string';

/**
 * Idempotency keys shared by every instance (REDIS_URL): the first attempt claims the key with
 * `SET NX`, stores its result when it succeeds (before the mutation answers) and deletes the
 * claim when it fails. A retry through any instance gets the stored result, or waits for the
 * first attempt to finish. While Redis is unwell, keys are remembered per instance (a retry
 * through another instance could then upload twice: said in the README).
 */
export class RedisIdempotencyStore implements Idempotency {
  private readonly local: IdempotencyStore;
  private readonly sleep: (ms: number) => Promise<void>;

  constructor(private readonly options: RedisIdempotencyOptions) {
    this.local = new IdempotencyStore({ ttlMs: options.ttlMs });
    this.sleep = options.sleep ?? ((ms) => new Promise((resolve) => setTimeout(resolve, ms)));
  }

  async run<T>(
    token: string,
    key: string,
    fingerprint: string,
    work: () => Promise<T>,
  ): Promise<IdempotentOutcome<T>> {
    const id = idempotencyId(token, key);
    const { redis } = this.options;
    if (!redis.usable) return this.local.runNow(id, fingerprint, work);
    const deadline = Date.now() + (this.options.maxWaitMs ?? 30_000);
    for (let round = 0; ; round += 1) {
      if (round > 0) {
        if (Date.now() >= deadline) throw stillRunning();
        await this.sleep(this.options.pollMs ?? 200);
      }
      let claimed: boolean;
      try {
        claimed = await this.claim(id, fingerprint);
      } catch {
        return this.local.runNow(id, fingerprint, work);
      }
      if (claimed) return { kind: 'result', value: this.runClaimed(id, fingerprint, work) };
      const seen = await this.read(id);
      if (seen === null) continue; // the first attempt failed meanwhile: claim it again (next round)
      if (seen.f !== fingerprint) return { kind: 'conflict' };
      if (seen.s === 'done') return { kind: 'result', value: Promise.resolve(seen.r as T) };
    }
  }

  private async claim(id: string, fingerprint: string): Promise<boolean> {
    const record: IdempotencyRecord = { f: fingerprint, s: 'pending' };
    const answer = await this.options.redis.run((c) =>
      c.set(this.key(id), JSON.stringify(record), 'PX', this.options.ttlMs, 'NX'),
    );
    return answer === 'OK';
  }

  /** Runs the first attempt; its result is stored before the caller sees it. */
  private async runClaimed<T>(id: string, fingerprint: string, work: () => Promise<T>): Promise<T> {
    let value: T;
    try {
      value = await work();
    } catch (err) {
      await this.options.redis.run((c) => c.del(this.key(id))).catch(() => {});
      throw err;
    }
    const record: IdempotencyRecord = { f: fingerprint, s: 'done', r: value };
    await this.options.redis
      .run((c) => c.set(this.key(id), JSON.stringify(record), 'PX', this.options.ttlMs))
      .catch(() => {});
    return value;
  }

  /**
   * The record, null when there is none; Redis failing here is "retry later", never a second
   * upload.
   */
  private async read(id: string): Promise<IdempotencyRecord | null> {
    let text: string | null;
    try {
      text = await this.options.redis.run((c) => c.get(this.key(id)));
    } catch {
      throw stillRunning();
    }
    if (text === null) return null;
    const parsed: unknown = JSON.parse(text);
    return isRecord(parsed) ? parsed : null;
  }

  private key(id: string): string {
    return this.options.keyPrefix + id;
  }
}

const stillRunning = (): GatewayError =>
  new GatewayError(
    ErrorCode.UPSTREAM_UNAVAILABLE,
    'An earlier attempt with this idempotencyKey is still running (or its state cannot be read); retry later with the same key.',
    { extensions: { retryable: true } },
  );
