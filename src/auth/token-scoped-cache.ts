import { LRUCache } from 'lru-cache';
import { tokenKey } from './token.js';

/**
 * A short-lived cache for token-scoped upstream answers (direct-sharing reads), shared by the
 * requests of one process but partitioned by token: every key starts with the sha256 of the
 * token, so one token's entry can never answer another token's read, and the raw token is never
 * a key. It is NOT the shared public cache and nothing here ever goes there.
 *
 * Entries carry tags (`member:<projectMemberId>`) so a write through the gateway (upload,
 * delete, remove) can drop every cached answer that listed that member, whichever token read it.
 */
export interface TokenScopedCacheOptions {
  /** Time to live of an entry. @default 10_000 */
  ttlMs?: number;
  /** Most entries kept. @default 2_000 */
  max?: number;
}

interface Entry {
  value: unknown;
  tags: readonly string[];
}

export const memberTag = (projectMemberId: string): string => `member:${projectMemberId}`;
/**
 * Every page of a members list. A removal shifts the members of later pages, which do not list
 * the removed member, so a write drops all list pages (they are cheap to fetch again).
 */
export const MEMBER_LIST_TAG = 'member-list';

export class TokenScopedCache {
  private readonly lru: LRUCache<string, Entry>;

  constructor(options: TokenScopedCacheOptions = {}) {
    this.lru = new LRUCache<string, Entry>({
      max: options.max ?? 2_000,
      ttl: options.ttlMs ?? 10_000,
    });
  }

  /** A view of the cache for one token. */
  forToken(token: string): TokenScope {
    return new TokenScope(this.lru, tokenKey(token));
  }

  /** Drops every entry, for any token, tagged with `tag`. */
  invalidateTag(tag: string): void {
    for (const [key, entry] of this.lru.entries()) {
      if (entry.tags.includes(tag)) this.lru.delete(key);
    }
  }

  /** Drops everything (tests, shutdown). */
  clear(): void {
    this.lru.clear();
  }
}

/** One token's partition of a `TokenScopedCache`. */
export class TokenScope {
  constructor(
    private readonly lru: LRUCache<string, Entry>,
    private readonly prefix: string,
  ) {}

  get<T>(key: string): T | undefined {
    return this.lru.get(`${this.prefix} ${key}`)?.value as T | undefined;
  }

  set(key: string, value: unknown, tags: readonly string[] = []): void {
    this.lru.set(`${this.prefix} ${key}`, { value, tags });
  }

  delete(key: string): void {
    this.lru.delete(`${this.prefix} ${key}`);
  }
}
