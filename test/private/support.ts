/**
 * Shared pieces of the token-scoped graph tests: expectations computed from the sandbox's own
 * data (never hard-coded), upstream call counting, and the "no token anywhere" check.
 */
import type { GraphQLFormattedError } from 'graphql';
import { afterAll, beforeAll, expect } from 'vitest';
import type { Sandbox } from '../../sandbox/index.js';
import {
  type ExecuteResult,
  findSecrets,
  type Stack,
  type StackOptions,
  startStack,
} from '../helpers/stack.js';

/** Every token the sandbox hands out: none may appear in a response, an error or a log line. */
export function allTokens(sandbox: Sandbox): string[] {
  return [
    sandbox.masterToken,
    sandbox.secondProject.masterToken,
    sandbox.expiredMasterToken,
    sandbox.expiredMemberToken,
    ...Object.values(sandbox.memberTokens),
    ...Object.values(sandbox.secondProject.memberTokens),
  ];
}

/** Collects response texts so a test file can check them all, with the logs, at the end. */
export class Transcript {
  readonly texts: string[] = [];

  record<T>(result: ExecuteResult<T>): ExecuteResult<T> {
    this.texts.push(result.text);
    return result;
  }

  /** No token in any recorded response or in any line the gateway logged. */
  expectNoTokens(stack: Stack, extra: string[] = []): void {
    const leaks = findSecrets(
      [...this.texts, ...stack.logLines],
      [...allTokens(stack.sandbox), ...extra],
    );
    expect(leaks).toEqual([]);
  }
}

export interface PrivateSuite {
  /** The running stack (started before the file's tests). */
  readonly stack: Stack;
  /** Record every response here: the file ends by checking them (and the logs) for tokens. */
  readonly transcript: Transcript;
}

/**
 * The stack of one test file: started before its tests; after them, no token (the sandbox's,
 * and `extraSecrets`) may appear in a recorded response or a log line, and the stack is closed.
 */
export function privateSuite(
  options: StackOptions = {},
  extraSecrets: readonly string[] = [],
): PrivateSuite {
  const transcript = new Transcript();
  let started: Stack | undefined;
  beforeAll(async () => {
    started = await startStack(options);
  });
  afterAll(async () => {
    if (!started) return;
    try {
      transcript.expectNoTokens(started, [...extraSecrets]);
    } finally {
      await started.close();
    }
  });
  return {
    transcript,
    get stack(): Stack {
      if (!started) throw new Error('the stack starts in beforeAll');
      return started;
    },
  };
}

/** The `n`th member of the sandbox's project that has a token: [project member id, token]. */
export function memberWithToken(sandbox: Sandbox, n = 0): [string, string] {
  const entry = Object.entries(sandbox.memberTokens)[n];
  if (!entry) throw new Error(`no member token #${n}`);
  return entry;
}

/** Runs `fn` and returns the upstream calls per route it caused (only the non-zero ones). */
export async function countCalls(
  sandbox: Sandbox,
  fn: () => Promise<unknown>,
): Promise<Record<string, number>> {
  sandbox.resetCalls();
  await fn();
  return Object.fromEntries(Object.entries(sandbox.calls()).filter(([, n]) => n > 0));
}

/** Project member ids of a project's active members, in the order the members list pages them. */
export function activeMemberIds(sandbox: Sandbox, projectId: number): string[] {
  return sandbox.store.activeMembers(projectId).map((m) => m.projectMemberId);
}

/** A member's file ids in exchange-member order (source, then id), from the sandbox's data. */
export function memberFileIds(sandbox: Sandbox, projectMemberId: string): number[] {
  const membership = sandbox.store.membershipByProjectMemberId(projectMemberId);
  if (!membership) throw new Error(`no membership ${projectMemberId}`);
  return sandbox.store.memberFilesForProject(membership).map((f) => f.id);
}

export function errorOf(result: ExecuteResult<unknown>): GraphQLFormattedError {
  expect(result.errors, result.text).toBeDefined();
  const [error] = result.errors ?? [];
  if (!error) throw new Error(`no error in ${result.text}`);
  return error;
}

/** A token no project or member has: 64 letters and digits, so it looks like a master token. */
export const FAKE_MASTER_TOKEN = 'FAKEinvalidMASTERtoken'.padEnd(64, '0');
/** A token no member has, shaped like an OAuth2 access token (30 characters). */
export const FAKE_MEMBER_TOKEN = 'FAKEinvalidMEMBERtoken'.padEnd(30, '0');

/** The cursor of the item at `offset` (what the gateway hands out; opaque to clients). */
export const cursorAt = (offset: number): string =>
  Buffer.from(`offset:${offset}`).toString('base64');

/** The Relay global id of a member. */
export const memberId = (projectMemberId: string): string =>
  Buffer.from(`Member:${projectMemberId}`).toString('base64');

export type PageInfo = {
  hasNextPage: boolean;
  hasPreviousPage: boolean;
  startCursor: string | null;
  endCursor: string | null;
};

/** A connection page as the paging walks read it. */
export interface WalkPage<N> {
  totalCount: number;
  pageInfo: PageInfo;
  edges: { node: N }[];
}

/**
 * Walks every page forward with `first`, then backward with `last`, checking `totalCount` and
 * every `pageInfo` on the way, and that both walks list exactly `expected` in order.
 */
export async function walkBothWays<N, K>(
  fetchPage: (args: Record<string, unknown>) => Promise<WalkPage<N>>,
  keyOf: (node: N) => K,
  expected: K[],
  size: number,
): Promise<void> {
  const forward: K[] = [];
  let after: string | null = null;
  for (;;) {
    const page = await fetchPage({ first: size, after });
    expect(page.totalCount).toBe(expected.length);
    expect(page.pageInfo.hasPreviousPage).toBe(forward.length > 0);
    forward.push(...page.edges.map((e) => keyOf(e.node)));
    expect(page.pageInfo.hasNextPage).toBe(forward.length < expected.length);
    if (!page.pageInfo.hasNextPage) break;
    after = page.pageInfo.endCursor;
  }
  expect(forward).toEqual(expected);

  const backward: K[] = [];
  let before: string | null = null;
  for (;;) {
    const page = await fetchPage({ last: size, before });
    backward.unshift(...page.edges.map((e) => keyOf(e.node)));
    expect(page.pageInfo.hasNextPage).toBe(before !== null);
    expect(page.pageInfo.hasPreviousPage).toBe(backward.length < expected.length);
    if (!page.pageInfo.hasPreviousPage) break;
    before = page.pageInfo.startCursor;
  }
  expect(backward).toEqual(expected);
}
