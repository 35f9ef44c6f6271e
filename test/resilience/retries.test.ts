/**
 * Retries in the HTTP layer, counted by the sandbox: GETs are retried on 5xx, resets and bad
 * bodies; POSTs never; 4xx never; a 500 that can mean "unknown id" (nested public lists) is
 * neither retried nor held against the upstream by the breaker.
 */
import { afterAll, beforeAll, beforeEach, describe, expect, it } from 'vitest';
import { codes, type ResilientStack, startResilientStack } from './support.js';

let stack: ResilientStack;

beforeAll(async () => {
  stack = await startResilientStack({
    env: {
      UPSTREAM_RETRY_MAX_ATTEMPTS: '4',
      PUBLIC_CACHE_MAX_ENTRIES: '0',
    },
  });
});
afterAll(async () => {
  await stack?.close();
});
beforeEach(() => {
  stack.sandbox.clearFaults();
  stack.sandbox.resetCalls();
});

const PROJECTS = '{ projects(first: 2) { totalCount edges { node { name } } } }';

describe('GET retries', () => {
  it.each([
    ['503 page', { kind: 'status', status: 503 }],
    ['500 page', { kind: 'status', status: 500 }],
    ['connection reset', { kind: 'reset' }],
    ['truncated JSON', { kind: 'truncate' }],
  ] as const)('a GET that fails twice (%s) succeeds on the third attempt', async (_name, fault) => {
    stack.sandbox.setFaults({ rules: [{ route: 'P10', ...fault, times: 2 }] });
    const res = await stack.execute(PROJECTS);
    expect(res.errors).toBeUndefined();
    expect(res.data?.projects).toMatchObject({
      totalCount: stack.sandbox.store.approvedProjects().length,
    });
    expect(stack.sandbox.calls()).toEqual({ P10: 3 });
  });

  it('gives up after UPSTREAM_RETRY_MAX_ATTEMPTS attempts', async () => {
    stack.sandbox.setFaults({ rules: [{ route: 'P10', kind: 'status', status: 502 }] });
    const res = await stack.execute(PROJECTS);
    expect(codes(res)).toEqual(['UPSTREAM_UNAVAILABLE']);
    expect(stack.sandbox.calls()).toEqual({ P10: 4 });
  });

  it('never retries a 4xx', async () => {
    const file = stack.sandbox.store.publicIndexes().all[0];
    stack.sandbox.setFaults({ rules: [{ route: 'P2', kind: 'status', status: 403 }] });
    const res = await stack.execute(`{ dataFile(databaseId: ${file?.id ?? 1}) { basename } }`);
    expect(codes(res)).toEqual(['FORBIDDEN']);
    expect(stack.sandbox.calls()).toEqual({ P2: 1 });
  });
});

describe('500s that mean "unknown id"', () => {
  it('are confirmed once, not retried, and never open the breaker', async () => {
    // A touchy breaker: half of 4 calls failing opens it. Counted, the P8 500s would (one 500
    // and one confirming 404 per username).
    const touchy = await startResilientStack({
      sandbox: stack.sandbox,
      env: {
        UPSTREAM_BREAKER_WINDOW: '4',
        UPSTREAM_BREAKER_MIN_CALLS: '4',
        UPSTREAM_BREAKER_FAILURE_PERCENT: '50',
        PUBLIC_CACHE_MAX_ENTRIES: '0',
      },
    });
    try {
      for (let i = 0; i < 8; i += 1) {
        const res = await touchy.execute(
          `{ dataFiles(first: 1, filter: { username: "nobody_${i}" }) { totalCount } }`,
        );
        expect(codes(res)).toEqual(['NOT_FOUND']);
      }
      // One P8 (its 500) and one P7 (the 404 that confirms it) per username: no retries.
      expect(stack.sandbox.calls()).toEqual({ P8: 8, P7: 8 });
      expect(touchy.breakerChanges).toEqual([]);
      expect((await touchy.execute(PROJECTS)).errors).toBeUndefined();
    } finally {
      await touchy.close();
    }
  });
});

describe('POSTs', () => {
  const MESSAGE = `mutation($input: SendMessageInput!) {
    sendMessage(input: $input) { __typename ... on SendMessagePayload { allMembers } }
  }`;

  it.each([
    ['503 page', { kind: 'status', status: 503 }],
    ['connection reset', { kind: 'reset' }],
  ] as const)('are sent once, even when they fail (%s)', async (_name, fault) => {
    stack.sandbox.setFaults({ rules: [{ route: 'D4', ...fault, times: 1 }] });
    const res = await stack.execute(
      MESSAGE,
      { input: { message: 'hello', allMembers: true } },
      stack.sandbox.masterToken,
    );
    expect(codes(res)).toEqual(['UPSTREAM_UNAVAILABLE']);
    expect(stack.sandbox.calls()).toEqual({ D4: 1 });
    // The next one goes through: the single failure did not stick.
    const ok = await stack.execute(
      MESSAGE,
      { input: { message: 'hello', allMembers: true } },
      stack.sandbox.masterToken,
    );
    expect(ok.data?.sendMessage).toEqual({ __typename: 'SendMessagePayload', allMembers: true });
    expect(stack.sandbox.calls()).toEqual({ D4: 2 });
  });
});
