import { LRUCache } from 'lru-cache';
import { tokenKey } from '../../auth/token.js';
import type { UpstreamRequest } from '../../datasources/open-humans-http-types.js';
import { toGatewayError } from '../../datasources/upstream-error.js';
import { ErrorCode, GatewayError } from '../../errors.js';

/** The part of `OpenHumansHttp` the check uses. */
export interface TokenCheckHttp {
  request<T>(req: UpstreamRequest): Promise<T>;
}

export interface UploadTokenCheckOptions {
  http: TokenCheckHttp;
  /** How long a token Open Humans accepted stays accepted (`UPLOAD_TOKEN_CHECK_TTL_SECONDS`). */
  ttlMs: number;
  /** Most tokens remembered at once (least recently used go first). @default 10,000 */
  maxEntries?: number;
  /** Injected clock (tests). @default Date.now */
  now?: () => number;
}

/**
 * Proves a token to Open Humans before an upload's bytes are read: D1 (project info), which
 * both a master token and a member token may call and which costs one small GET. A token's
 * shape is never taken as proof. Accepted tokens are remembered per token hash (never the token
 * itself) for a short TTL; refusals are not remembered, so a token that becomes valid works at
 * once. Concurrent checks of one token share one call.
 */
export class UploadTokenCheck {
  private readonly accepted: LRUCache<string, number>;
  private readonly inflight = new Map<string, Promise<GatewayError | undefined>>();
  private readonly now: () => number;
  /** Upstream checks made (tests assert the cache with it). */
  upstreamChecks = 0;

  constructor(private readonly options: UploadTokenCheckOptions) {
    this.accepted = new LRUCache({ max: options.maxEntries ?? 10_000 });
    this.now = options.now ?? Date.now;
  }

  /** Resolves to undefined when Open Humans accepts the token, else to the mapped error. */
  check(token: string): Promise<GatewayError | undefined> {
    const key = tokenKey(token);
    const until = this.accepted.get(key);
    if (until !== undefined && until > this.now()) return Promise.resolve(undefined);
    const running = this.inflight.get(key);
    if (running) return running;
    // No request signal: the call is shared by every upload of this token that waits on it.
    const call = this.ask(token, key).finally(() => this.inflight.delete(key));
    this.inflight.set(key, call);
    return call;
  }

  private async ask(token: string, key: string): Promise<GatewayError | undefined> {
    this.upstreamChecks += 1;
    try {
      await this.options.http.request<unknown>({
        route: 'D1',
        method: 'GET',
        path: '/api/direct-sharing/project/',
        auth: { token, via: 'header' },
      });
    } catch (err) {
      const mapped = toGatewayError(err);
      return mapped instanceof GatewayError
        ? mapped
        : new GatewayError(
            ErrorCode.UPSTREAM_ERROR,
            'The token could not be checked with Open Humans.',
          );
    }
    this.accepted.set(key, this.now() + this.options.ttlMs);
    return undefined;
  }
}
