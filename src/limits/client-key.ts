/**
 * The rate limit's key for a request: something the client cannot invent. A bearer token gets
 * its own bucket only once Open Humans has accepted it (a random token per request would
 * otherwise buy a fresh, full bucket each time); until then, and for anonymous requests, the
 * client address is the key.
 */
import { LRUCache } from 'lru-cache';
import { parseBearer } from '../auth/bearer.js';
import { tokenKey } from '../auth/token.js';

/** Hashes of tokens Open Humans accepted recently (never the tokens themselves). */
export class VerifiedTokens {
  private readonly hashes: LRUCache<string, true>;

  constructor(ttlMs: number, max = 100_000) {
    this.hashes = new LRUCache({ max, ttl: ttlMs });
  }

  has(hash: string): boolean {
    return this.hashes.get(hash) === true;
  }

  add(hash: string): void {
    this.hashes.set(hash, true);
  }

  delete(hash: string): void {
    this.hashes.delete(hash);
  }
}

/** A truncated sha256 of the request's bearer token, or null without one. */
export function bearerHash(request: Request): string | null {
  const { token } = parseBearer(request.headers.get('authorization'));
  return token ? tokenKey(token).slice(0, 32) : null;
}

export const addressKey = (address: string): string => `address:${address}`;

/** `token:<hash>` for a verified token, else `address:<client address>`. */
export function clientKey(
  address: string,
  tokenHash: string | null,
  verified: VerifiedTokens,
): string {
  return tokenHash !== null && verified.has(tokenHash) ? `token:${tokenHash}` : addressKey(address);
}
