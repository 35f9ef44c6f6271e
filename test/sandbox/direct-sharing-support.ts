// Helpers for part 2's sandbox tests: a small seeded sandbox and thin HTTP wrappers (real HTTP,
// no mocks).

import type { Membership } from '../../sandbox/data/types.js';
import { type Sandbox, type SandboxOptions, startSandbox } from '../../sandbox/index.js';

export const SMALL_SIZES = {
  projects: 8,
  unapprovedProjects: 2,
  dataTypes: 12,
  users: 90,
  publicFiles: 400,
  members: 40,
  secondProjectMembers: 6,
};

export function startSmallSandbox(options: SandboxOptions = {}): Promise<Sandbox> {
  return startSandbox({ seed: 11, sizes: SMALL_SIZES, ...options });
}

export interface Reply {
  status: number;
  headers: Headers;
  text: string;
  /** Parsed JSON, or undefined when the body is not JSON. */
  json: unknown;
}

export async function call(sb: Sandbox, path: string, init: RequestInit = {}): Promise<Reply> {
  const res = await fetch(new URL(path, sb.url), { redirect: 'manual', ...init });
  const text = await res.text();
  let json: unknown;
  try {
    json = JSON.parse(text);
  } catch {
    json = undefined;
  }
  return { status: res.status, headers: res.headers, text, json };
}

/** `?access_token=` appended, as ohapi does. */
export function withToken(path: string, token: string): string {
  return `${path}${path.includes('?') ? '&' : '?'}access_token=${encodeURIComponent(token)}`;
}

/** A form-urlencoded POST with the token in the query string (repeated keys allowed). */
export function postForm(
  sb: Sandbox,
  path: string,
  token: string,
  fields: Array<[string, string]> | Record<string, string>,
): Promise<Reply> {
  const body = new URLSearchParams(Array.isArray(fields) ? fields : Object.entries(fields));
  return call(sb, withToken(path, token), { method: 'POST', body });
}

export function postJson(sb: Sandbox, path: string, token: string, value: unknown): Promise<Reply> {
  return call(sb, withToken(path, token), {
    method: 'POST',
    body: JSON.stringify(value),
    headers: { 'content-type': 'application/json' },
  });
}

/** Active members of the own project that have an OAuth2 token, in store order. */
export function membersWithTokens(sb: Sandbox): Array<{ membership: Membership; token: string }> {
  const out: Array<{ membership: Membership; token: string }> = [];
  for (const [pmi, token] of Object.entries(sb.info().memberTokens)) {
    const membership = sb.store.membershipByProjectMemberId(pmi);
    if (membership) out.push({ membership, token });
  }
  return out;
}

/** The first member (with a token) matching a predicate; fails the test when none exists. */
export function memberWhere(
  sb: Sandbox,
  predicate: (m: Membership) => boolean,
): { membership: Membership; token: string } {
  const found = membersWithTokens(sb).find((x) => predicate(x.membership));
  if (!found) throw new Error('no sandbox member matches the test precondition');
  return found;
}

export const D = {
  members: '/api/direct-sharing/project/members/',
  exchange: '/api/direct-sharing/project/exchange-member/',
  message: '/api/direct-sharing/project/message/',
  remove: '/api/direct-sharing/project/remove-members/',
  upload: '/api/direct-sharing/project/files/upload/',
  direct: '/api/direct-sharing/project/files/upload/direct/',
  complete: '/api/direct-sharing/project/files/upload/complete/',
  delete: '/api/direct-sharing/project/files/delete/',
} as const;
