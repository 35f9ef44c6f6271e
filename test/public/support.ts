/**
 * Small helpers for the public graph tests: run an operation and insist on success, or on one
 * error with a given code; count upstream calls from the sandbox's own counters.
 */
import { expect } from 'vitest';
import type { Stack } from '../helpers/stack.js';

export type Json = Record<string, unknown>;

/** Runs an operation that must succeed; returns its data. */
export async function ok<T = Json>(
  stack: Stack,
  query: string,
  variables?: Json,
  token?: string,
): Promise<T> {
  const res = await stack.execute<T>(query, variables, token === undefined ? {} : { token });
  expect(res.errors, res.text.slice(0, 500)).toBeUndefined();
  expect(res.data).toBeTruthy();
  return res.data as T;
}

/** Runs an operation that must fail with exactly `code` (once); returns the whole result. */
export async function fails(
  stack: Stack,
  query: string,
  code: string,
  variables?: Json,
  token?: string,
) {
  const res = await stack.execute<Json>(query, variables, token === undefined ? {} : { token });
  expect(res.errors, res.text.slice(0, 500)).toBeDefined();
  const codes = (res.errors ?? []).map((e) => e.extensions?.code);
  expect(codes, res.text.slice(0, 500)).toContain(code);
  for (const error of res.errors ?? []) {
    expect(error.message).not.toMatch(/Unexpected error|at .*\.ts:\d+/);
  }
  return res;
}

/** Upstream calls (by route id) an action made, from the sandbox's counters. */
export async function callsOf(
  stack: Stack,
  action: () => Promise<unknown>,
): Promise<Record<string, number>> {
  stack.sandbox.resetCalls();
  await action();
  return { ...stack.sandbox.calls() };
}

/** Drops every cached public response, so the next request starts cold. */
export async function coldCache(stack: Stack): Promise<void> {
  await stack.publicCache.invalidatePath('/');
}

/** Node ids of a connection result. */
export function nodes<T>(connection: { edges: { node: T }[] }): T[] {
  return connection.edges.map((e) => e.node);
}

export const toGlobalId = (type: string, key: string | number): string =>
  Buffer.from(`${type}:${key}`).toString('base64');
