import { randomBytes } from 'node:crypto';
import type { OAuthStore } from './oauth-store.js';
import type { CookieSealer } from './session-cookie.js';
import { hashOf } from './session-cookie.js';

/** One signed-in browser, kept server-side; the cookie holds only the random session id. */
export interface SessionRecord {
  /** access token, refresh token, access expiry (epoch ms) */
  a: string;
  r: string;
  e: number;
  /** sign-in time and last use (epoch ms), for the absolute and idle lifetimes */
  created: number;
  seen: number;
}

export interface SessionLifetimes {
  idleMs: number;
  absoluteMs: number;
}

/** Write `seen` back at most this often: a busy page does not write on every request. */
const TOUCH_EVERY_MS = 60_000;
const SESSION_ID = /^[A-Za-z0-9_-]{43}$/;

/**
 * Session records in the sign-in store (memory, or Redis shared by every instance), so that
 * sign-out ends a session everywhere at once. Stored under a hash of the id (a copy of the store
 * holds no usable cookie) and sealed (nor a readable token).
 */
export class SessionRecords {
  constructor(
    private readonly store: OAuthStore,
    private readonly sealer: CookieSealer,
    private readonly lifetimes: SessionLifetimes,
    private readonly now: () => number = Date.now,
  ) {}

  async create(tokens: { a: string; r: string; e: number }): Promise<string> {
    const id = randomBytes(32).toString('base64url');
    const at = this.now();
    await this.write(id, { ...tokens, created: at, seen: at });
    return id;
  }

  /**
   * The live record, or null (unknown, signed out, idle too long, or past its absolute lifetime).
   */
  async read(id: string): Promise<SessionRecord | null> {
    if (!SESSION_ID.test(id)) return null;
    const record = asRecord(
      this.sealer.open((await this.store.get('session', hashOf(id))) ?? undefined),
    );
    if (!record) return null;
    const at = this.now();
    if (
      at - record.seen >= this.lifetimes.idleMs ||
      at - record.created >= this.lifetimes.absoluteMs
    ) {
      await this.end(id);
      return null;
    }
    if (at - record.seen >= TOUCH_EVERY_MS) await this.write(id, { ...record, seen: at });
    return record;
  }

  async write(id: string, record: SessionRecord): Promise<void> {
    const at = this.now();
    const ttl = Math.min(
      this.lifetimes.idleMs - (at - record.seen),
      this.lifetimes.absoluteMs - (at - record.created),
    );
    if (ttl <= 0) return this.end(id);
    await this.store.put('session', hashOf(id), this.sealer.seal(record), ttl);
  }

  async end(id: string): Promise<void> {
    if (SESSION_ID.test(id)) await this.store.delete('session', hashOf(id));
  }

  /** The cookie's own Max-Age: the absolute lifetime (the record decides before that). */
  get cookieMaxAgeSeconds(): number {
    return Math.ceil(this.lifetimes.absoluteMs / 1000);
  }
}

function asRecord(value: unknown): SessionRecord | null {
  if (typeof value !== 'object' || value === null) return null;
  const v = value as Partial<SessionRecord>;
  const numbers = [v.e, v.created, v.seen].every((n) => typeof n === 'number');
  return typeof v.a === 'string' && typeof v.r === 'string' && numbers
    ? (v as SessionRecord)
    : null;
}
