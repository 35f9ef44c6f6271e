/**
 * The upload token check against the sandbox's D1 over HTTP, with an injected clock: an
 * accepted token is remembered for its TTL (per token), a refused one never is, and concurrent
 * checks of one token share one call.
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { ErrorCode, ErrorReason } from '../../src/errors.js';
import { UploadTokenCheck } from '../../src/http/multipart/token-check.js';
import type { Stack } from '../helpers/stack.js';
import { startStack } from '../helpers/stack.js';
import { fakeMasterToken } from './abuse-client.js';

let stack: Stack;
beforeAll(async () => {
  stack = await startStack({ env: { LOG_LEVEL: 'silent' } });
});
afterAll(async () => {
  await stack?.close();
});

const d1Calls = (): number => stack.upstreamCalls.filter((c) => c.route === 'D1').length;

describe('UploadTokenCheck', () => {
  it('remembers an accepted token for its TTL only, and each token on its own', async () => {
    let now = 1_000_000;
    const check = new UploadTokenCheck({ http: stack.http, ttlMs: 60_000, now: () => now });
    const before = d1Calls();
    expect(await check.check(stack.sandbox.masterToken)).toBeUndefined();
    now += 59_999;
    expect(await check.check(stack.sandbox.masterToken)).toBeUndefined();
    expect(d1Calls() - before).toBe(1);
    now += 2;
    expect(await check.check(stack.sandbox.masterToken)).toBeUndefined();
    expect(d1Calls() - before).toBe(2);
    const member = Object.values(stack.sandbox.memberTokens)[0] as string;
    expect(await check.check(member)).toBeUndefined();
    expect(d1Calls() - before).toBe(3);
  });

  it('never remembers a refused token, whatever its shape', async () => {
    const check = new UploadTokenCheck({ http: stack.http, ttlMs: 60_000 });
    const fake = fakeMasterToken();
    const before = d1Calls();
    for (let i = 0; i < 2; i++) {
      const error = await check.check(fake);
      expect(error?.extensions).toMatchObject({
        code: ErrorCode.UNAUTHENTICATED,
        reason: ErrorReason.TOKEN_INVALID,
      });
    }
    expect(d1Calls() - before).toBe(2);
    expect(check.upstreamChecks).toBe(2);
  });

  it('concurrent checks of one token share one upstream call', async () => {
    const check = new UploadTokenCheck({ http: stack.http, ttlMs: 60_000 });
    const results = await Promise.all(
      Array.from({ length: 10 }, () => check.check(stack.sandbox.masterToken)),
    );
    expect(results.every((r) => r === undefined)).toBe(true);
    expect(check.upstreamChecks).toBe(1);
  });
});
