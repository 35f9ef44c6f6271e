import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { Sandbox } from '../../sandbox/index.js';
import { startSandbox } from '../../sandbox/index.js';
import { configureOAuthApp, memberLeaves } from '../../sandbox/routes/direct-sharing-controls.js';
import { loadConfig } from '../../src/config/index.js';
import { signWebhookBody } from '../../src/webhooks/signature.js';
import { webhookPolicy } from '../../src/webhooks/webhook-policy.js';
import { type Stack, startStack } from '../helpers/stack.js';

const SECRET = 'fake-webhook-secret-policy';
const PATH = '/webhooks/openhumans/deauthorize';
const pyIso = (date: Date): string => date.toISOString().replace('Z', '000+00:00');
const body = (id: string): string =>
  `{"project_member_id": "${id}", "erasure_requested": true, "timestamp": "${pyIso(new Date(Date.now() - 5_000))}"}`;
const signed = (text: string, secret = SECRET) => ({
  'X-OpenHumans-Webhooks-Signature': signWebhookBody(secret, new TextEncoder().encode(text)),
});
const EVENTS = '{ deauthorizationEvents(first: 50) { edges { node { projectMemberId } } } }';

describe('webhook policy from the configuration', () => {
  const policy = (env: Record<string, string>) =>
    webhookPolicy(loadConfig({ OPENHUMANS_PROJECT_ID: '471', ...env }));

  it('needs a secret in production unless unsigned calls are allowed out loud', () => {
    expect(policy({ NODE_ENV: 'production' })).toMatchObject({
      serve: false,
      reason: expect.stringContaining('OPENHUMANS_WEBHOOK_SECRET'),
    });
    expect(
      policy({ NODE_ENV: 'production', OPENHUMANS_WEBHOOK_ALLOW_UNSIGNED: 'true' }),
    ).toMatchObject({
      serve: true,
      secret: null,
      acceptUnsigned: true,
      warning: expect.stringContaining('unsigned'),
    });
    expect(policy({ NODE_ENV: 'production', OPENHUMANS_WEBHOOK_SECRET: SECRET })).toEqual({
      serve: true,
      secret: SECRET,
      acceptUnsigned: false,
      warning: null,
    });
  });

  it('accepts unsigned calls in development only without a secret, with a warning', () => {
    expect(policy({})).toMatchObject({
      serve: true,
      secret: null,
      acceptUnsigned: true,
      warning: expect.stringContaining('not set'),
    });
    expect(policy({ OPENHUMANS_WEBHOOK_SECRET: SECRET })).toMatchObject({
      serve: true,
      acceptUnsigned: false,
    });
    expect(
      policy({ OPENHUMANS_WEBHOOK_SECRET: SECRET, OPENHUMANS_WEBHOOK_ALLOW_UNSIGNED: 'true' }),
    ).toMatchObject({
      serve: true,
      acceptUnsigned: true,
      warning: expect.stringContaining('OPENHUMANS_WEBHOOK_ALLOW_UNSIGNED'),
    });
  });

  it('serves nothing without a project', () => {
    expect(webhookPolicy(loadConfig({ OPENHUMANS_WEBHOOK_SECRET: SECRET }))).toMatchObject({
      serve: false,
    });
  });
});

describe('webhook receiver in production', () => {
  let sandbox: Sandbox;
  beforeAll(async () => {
    sandbox = await startSandbox({ port: 0 });
  });
  afterAll(async () => {
    await sandbox?.close();
  });

  const withStack = async (
    env: Record<string, string>,
    run: (stack: Stack) => Promise<void>,
  ): Promise<void> => {
    const stack = await startStack({
      sandbox,
      env: { NODE_ENV: 'production', OPENHUMANS_PROJECT_ID: String(sandbox.projectId), ...env },
    });
    try {
      await run(stack);
    } finally {
      await stack.close();
    }
  };
  const post = (stack: Stack, text: string, headers: Record<string, string> = {}) =>
    stack.fetch(PATH, {
      method: 'POST',
      headers: { 'content-type': 'application/json', ...headers },
      body: text,
    });
  const kept = async (stack: Stack) => {
    const res = await stack.execute<{
      deauthorizationEvents: { edges: { node: { projectMemberId: string } }[] };
    }>(EVENTS, {}, { token: sandbox.masterToken });
    expect(res.errors).toBeUndefined();
    return res.data?.deauthorizationEvents.edges.map((e) => e.node.projectMemberId);
  };

  it('is not served without a secret, and says so at start', async () => {
    await withStack({}, async (stack) => {
      // A forged erasure for any member: nothing answers it.
      expect((await post(stack, body('60000001'))).status).toBe(404);
      expect(await kept(stack)).toEqual([]);
      const errors = stack.logLines
        .map((l) => JSON.parse(l) as { level: string; msg?: string; message?: string })
        .filter((l) => l.level === 'error');
      expect(JSON.stringify(errors)).toContain('OPENHUMANS_WEBHOOK_SECRET');
    });
  });

  it('with a secret, refuses every unsigned call, legacy retry included', async () => {
    await withStack({ OPENHUMANS_WEBHOOK_SECRET: SECRET }, async (stack) => {
      const text = body('60000002');
      expect((await post(stack, text)).status).toBe(403);
      expect((await post(stack, JSON.stringify(text))).status).toBe(403);
      expect((await post(stack, text, signed(text))).status).toBe(200);
      expect(await kept(stack)).toEqual(['60000002']);
    });
  });

  it('with a secret and OPENHUMANS_WEBHOOK_ALLOW_UNSIGNED=true, also takes the unsigned legacy retry (deduplicated)', async () => {
    await withStack(
      { OPENHUMANS_WEBHOOK_SECRET: SECRET, OPENHUMANS_WEBHOOK_ALLOW_UNSIGNED: 'true' },
      async (stack) => {
        const first = body('60000003');
        // A wrong signature is still refused: only a call without one is "unsigned".
        expect((await post(stack, first, signed(first, 'another-fake-secret-xyz'))).status).toBe(
          403,
        );
        expect((await post(stack, first, signed(first))).status).toBe(200);
        // Open Humans' fallback retry of the same call: acknowledged, not kept twice.
        expect((await post(stack, JSON.stringify(first))).status).toBe(200);
        const second = body('60000004');
        expect((await post(stack, JSON.stringify(second))).status).toBe(200);
        // A signed call never uses the legacy form.
        const legacy = JSON.stringify(body('60000005'));
        expect((await post(stack, legacy, signed(legacy))).status).toBe(400);
        expect(await kept(stack)).toEqual(['60000003', '60000004']);
        expect(
          stack.logLines.some((l) => l.includes('OPENHUMANS_WEBHOOK_ALLOW_UNSIGNED=true')),
        ).toBe(true);
      },
    );
  });

  it("takes the sandbox's own unsigned fallback retry when allowed, after its signed call was refused", async () => {
    await withStack(
      { OPENHUMANS_WEBHOOK_SECRET: SECRET, OPENHUMANS_WEBHOOK_ALLOW_UNSIGNED: 'true' },
      async (stack) => {
        const base = await stack.listen();
        // Open Humans signs with a secret the gateway does not know (rotated on one side only).
        configureOAuthApp(sandbox.state, {
          webhookUrl: `${base}${PATH}`,
          webhookSecret: 'another-fake-secret-xyz',
        });
        try {
          const pmi = Object.keys(sandbox.memberTokens).sort()[7] ?? '';
          const deliveries = await memberLeaves(sandbox.state, pmi, { erasureRequested: true });
          expect(deliveries.map((d) => [d.attempt, d.status])).toEqual([
            ['signed', 403],
            ['fallback', 200],
          ]);
          expect(await kept(stack)).toEqual([pmi]);
        } finally {
          configureOAuthApp(sandbox.state, { webhookUrl: '' });
        }
      },
    );
  });

  it('without a secret but OPENHUMANS_WEBHOOK_ALLOW_UNSIGNED=true, accepts unsigned calls', async () => {
    await withStack({ OPENHUMANS_WEBHOOK_ALLOW_UNSIGNED: 'true' }, async (stack) => {
      expect((await post(stack, body('60000006'))).status).toBe(200);
      expect(await kept(stack)).toEqual(['60000006']);
    });
  });
});
