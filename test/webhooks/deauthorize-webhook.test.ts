import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { Sandbox } from '../../sandbox/index.js';
import { startSandbox } from '../../sandbox/index.js';
import { signWebhookBody } from '../../src/webhooks/signature.js';
import { findSecrets, type Stack, startStack } from '../helpers/stack.js';
import { subscribeSse } from './sse.js';

// docs/deauthorization-webhook.md: Open Humans' documented example.
const SECRET = 'abcdefghijklmnop';
const DOC_BODY =
  '{"project_member_id": "12345678", "erasure_requested": true, "timestamp": "2020-06-30T20:00:00.000000+00:00"}';
const DOC_SIGNATURE = 'sha1=ebda5c0a38593a4350ad8401b7d8c8f1cd08ec67';
const PATH = '/webhooks/openhumans/deauthorize';

const EVENTS = /* GraphQL */ `
  query Events($first: Int, $after: String) {
    deauthorizationEvents(first: $first, after: $after) {
      edges { cursor node { projectMemberId erasureRequested timestamp receivedAt cursor } }
      pageInfo { hasNextPage hasPreviousPage startCursor endCursor }
    }
  }`;

interface EventsData {
  deauthorizationEvents: {
    edges: {
      cursor: string;
      node: {
        projectMemberId: string;
        erasureRequested: boolean;
        timestamp: string;
        cursor: string;
      };
    }[];
    pageInfo: { hasNextPage: boolean; hasPreviousPage: boolean; endCursor: string | null };
  };
}

/** Python's `isoformat()` of a UTC time, as Open Humans sends it (microseconds, +00:00). */
const pyIso = (date: Date): string => date.toISOString().replace('Z', '000+00:00');
/** A recent moment, as a live call carries (the webhook refuses stale timestamps). */
const RECENT = new Date(Math.floor(Date.now() / 1000) * 1000 - 60_000 + 123);

const body = (id: string, erasure = false, timestamp = pyIso(RECENT)): string =>
  `{"project_member_id": "${id}", "erasure_requested": ${erasure}, "timestamp": "${timestamp}"}`;

function post(
  stack: Stack,
  text: string,
  headers: Record<string, string> = {},
  path = PATH,
): Promise<Response> {
  return stack.fetch(path, {
    method: 'POST',
    headers: { 'content-type': 'application/json', ...headers },
    body: text,
  });
}

const signed = (text: string, secret = SECRET) => ({
  'X-OpenHumans-Webhooks-Signature': signWebhookBody(secret, new TextEncoder().encode(text)),
});

let sandbox: Sandbox;
beforeAll(async () => {
  sandbox = await startSandbox({ port: 0 });
});
afterAll(async () => {
  await sandbox?.close();
});

describe('deauthorization webhook with a secret', () => {
  let stack: Stack;
  beforeAll(async () => {
    stack = await startStack({
      sandbox,
      env: { OPENHUMANS_PROJECT_ID: String(sandbox.projectId), OPENHUMANS_WEBHOOK_SECRET: SECRET },
    });
  });
  afterAll(async () => {
    await stack?.close();
  });

  const events = async (variables: Record<string, unknown> = { first: 100 }) => {
    const res = await stack.execute<EventsData>(EVENTS, variables, { token: sandbox.masterToken });
    expect(res.errors).toBeUndefined();
    return res.data?.deauthorizationEvents;
  };

  it('refuses the documented example: rightly signed, but its 2020 timestamp makes it a replay', async () => {
    const res = await post(stack, DOC_BODY, { 'X-OpenHumans-Webhooks-Signature': DOC_SIGNATURE });
    expect(res.status).toBe(400);
    expect(await res.text()).toMatch(/timestamp/);
    expect((await events())?.edges).toEqual([]);
  });

  it('accepts a fresh call signed the documented way, and keeps the event', async () => {
    const text = body('12345678', true);
    const res = await post(stack, text, signed(text));
    expect(res.status).toBe(200);
    expect(await res.text()).toBe('Received');
    const page = await events();
    expect(page?.edges.map((e) => e.node)).toEqual([
      expect.objectContaining({
        projectMemberId: '12345678',
        erasureRequested: true,
        timestamp: RECENT.toISOString(),
      }),
    ]);
  });

  it('acknowledges replays of a kept event without keeping or publishing them again', async () => {
    const base = await stack.listen();
    const start = (await events())?.pageInfo.endCursor ?? null;
    const sub = await subscribeSse<{
      memberDeauthorized: { projectMemberId: string; erasureRequested: boolean };
    }>(
      base,
      'subscription { memberDeauthorized { projectMemberId erasureRequested } }',
      {},
      sandbox.masterToken,
    );
    try {
      const text = body('21000001', true);
      for (let i = 0; i < 7; i++) expect((await post(stack, text, signed(text))).status).toBe(200);
      const next = body('21000002');
      expect((await post(stack, next, signed(next))).status).toBe(200);
      // Live: the replays were not published (the next message is the other member's).
      expect((await sub.next())?.data?.memberDeauthorized.projectMemberId).toBe('21000001');
      expect((await sub.next())?.data?.memberDeauthorized.projectMemberId).toBe('21000002');
      const kept = await events({ first: 100, after: start });
      expect(kept?.edges.map((e) => e.node.projectMemberId)).toEqual(['21000001', '21000002']);
      expect(stack.logLines.filter((l) => l.includes('already received')).length).toBe(6);
    } finally {
      sub.close();
    }
  });

  it('accepts timestamps within the tolerance either way (clock skew) and refuses those beyond', async () => {
    const start = (await events())?.pageInfo.endCursor ?? null;
    const minutes = (m: number) => pyIso(new Date(Date.now() + m * 60_000));
    const cases: [string, string, number][] = [
      ['22000001', minutes(-14), 200],
      ['22000002', minutes(14), 200],
      ['22000003', minutes(-16), 400],
      ['22000004', minutes(16), 400],
      ['22000005', '2020-06-30T20:00:00.000000+00:00', 400],
    ];
    for (const [id, timestamp, status] of cases) {
      const text = body(id, false, timestamp);
      expect([id, (await post(stack, text, signed(text))).status]).toEqual([id, status]);
    }
    const kept = await events({ first: 100, after: start });
    expect(kept?.edges.map((e) => e.node.projectMemberId)).toEqual(['22000001', '22000002']);
  });

  it('refuses tampered, wrongly signed, unsigned and legacy calls, and keeps none of them', async () => {
    const before = (await events())?.edges.length;
    const tampered = DOC_BODY.replace('12345678', '87654321');
    const refusals = [
      await post(stack, tampered, { 'X-OpenHumans-Webhooks-Signature': DOC_SIGNATURE }),
      await post(stack, DOC_BODY, signed(DOC_BODY, 'ponmlkjihgfedcba')),
      await post(stack, DOC_BODY, { 'X-OpenHumans-Webhooks-Signature': `sha1=${'0'.repeat(40)}` }),
      await post(stack, DOC_BODY, { 'X-OpenHumans-Webhooks-Signature': 'garbage' }),
      await post(stack, DOC_BODY),
      // The upstream's fallback retry: double-encoded and never signed.
      await post(stack, JSON.stringify(DOC_BODY)),
    ];
    expect(refusals.map((r) => r.status)).toEqual([403, 403, 403, 403, 403, 403]);
    // Signed legacy body: still refused (only accepted without a secret).
    const legacy = JSON.stringify(DOC_BODY);
    expect((await post(stack, legacy, signed(legacy))).status).toBe(400);
    expect((await post(stack, 'not json', signed('not json'))).status).toBe(400);
    expect((await stack.fetch(PATH, { method: 'GET' })).status).toBe(405);
    expect((await post(stack, 'x'.repeat(20_000), signed('x'.repeat(20_000)))).status).toBe(413);
    expect((await events())?.edges.length).toBe(before);
  });

  it('lets a late consumer catch up page by page with `after`', async () => {
    const start = (await events())?.pageInfo.endCursor ?? null;
    for (const id of ['20000001', '20000002', '20000003']) {
      const text = body(id, id.endsWith('2'));
      expect((await post(stack, text, signed(text))).status).toBe(200);
    }
    const first = await events({ first: 2, after: start });
    expect(first?.edges.map((e) => e.node.projectMemberId)).toEqual(['20000001', '20000002']);
    expect(first?.pageInfo).toMatchObject({ hasNextPage: true, hasPreviousPage: true });
    expect(first?.edges[1]?.node.erasureRequested).toBe(true);
    expect(first?.edges[0]?.node.timestamp).toBe(RECENT.toISOString());
    // The node's cursor equals its edge cursor (subscribers resume from it).
    expect(first?.edges.map((e) => e.node.cursor)).toEqual(first?.edges.map((e) => e.cursor));
    const rest = await events({ first: 2, after: first?.pageInfo.endCursor });
    expect(rest?.edges.map((e) => e.node.projectMemberId)).toEqual(['20000003']);
    expect(rest?.pageInfo.hasNextPage).toBe(false);
  });

  it('shows events only to the master token of OPENHUMANS_PROJECT_ID', async () => {
    const memberToken = Object.values(sandbox.memberTokens)[0] ?? '';
    const cases = [
      { token: undefined, code: 'UNAUTHENTICATED' },
      { token: memberToken, code: 'FORBIDDEN' },
      { token: sandbox.secondProject.masterToken, code: 'FORBIDDEN' },
      { token: sandbox.expiredMasterToken, code: 'UNAUTHENTICATED' },
    ];
    for (const { token, code } of cases) {
      const res = await stack.execute(EVENTS, { first: 5 }, token === undefined ? {} : { token });
      expect(res.data).toBeNull();
      expect(res.errors?.[0]?.extensions?.code).toBe(code);
    }
    const bad = await stack.execute(
      EVENTS,
      { after: 'bm90IGEgY3Vyc29y' },
      { token: sandbox.masterToken },
    );
    expect(bad.errors?.[0]?.extensions?.code).toBe('BAD_USER_INPUT');
    const big = await stack.execute(EVENTS, { first: 101 }, { token: sandbox.masterToken });
    expect(big.errors?.[0]?.extensions?.code).toBe('BAD_USER_INPUT');
  });

  it('delivers a webhook call to an SSE subscriber over HTTP, and a late consumer finds it', async () => {
    const base = await stack.listen();
    const before = (await events())?.pageInfo.endCursor ?? null;
    const sub = await subscribeSse<{
      memberDeauthorized: { projectMemberId: string; erasureRequested: boolean; cursor: string };
    }>(
      base,
      'subscription { memberDeauthorized { projectMemberId erasureRequested timestamp cursor } }',
      {},
      sandbox.masterToken,
    );
    try {
      expect(sub.status).toBe(200);
      const text = body('30000001', true);
      const res = await fetch(`${base}${PATH}`, {
        method: 'POST',
        headers: { 'content-type': 'application/json', ...signed(text) },
        body: text,
      });
      expect(res.status).toBe(200);
      const got = await sub.next();
      expect(got?.data?.memberDeauthorized).toMatchObject({
        projectMemberId: '30000001',
        erasureRequested: true,
      });
      const late = await events({ first: 10, after: before });
      expect(late?.edges.map((e) => e.node.projectMemberId)).toEqual(['30000001']);
      expect(late?.edges[0]?.cursor).toBe(got?.data?.memberDeauthorized.cursor);
    } finally {
      sub.close();
    }
  });

  it('replays missed events to a subscriber that passes `after`, then goes on live', async () => {
    const base = await stack.listen();
    const start = (await events())?.pageInfo.endCursor ?? null;
    const missed = body('40000001');
    await post(stack, missed, signed(missed));
    const sub = await subscribeSse<{ memberDeauthorized: { projectMemberId: string } }>(
      base,
      'subscription ($after: String) { memberDeauthorized(after: $after) { projectMemberId } }',
      { after: start },
      sandbox.masterToken,
    );
    try {
      expect((await sub.next())?.data?.memberDeauthorized.projectMemberId).toBe('40000001');
      const live = body('40000002');
      await post(stack, live, signed(live));
      expect((await sub.next())?.data?.memberDeauthorized.projectMemberId).toBe('40000002');
    } finally {
      sub.close();
    }
  });

  it('refuses a subscription without the right master token', async () => {
    const base = await stack.listen();
    const memberToken = Object.values(sandbox.memberTokens)[0] ?? '';
    const sub = await subscribeSse(
      base,
      'subscription { memberDeauthorized { projectMemberId } }',
      {},
      memberToken,
    );
    try {
      const first = await sub.next();
      expect(first?.errors?.[0]?.extensions?.code).toBe('FORBIDDEN');
    } finally {
      sub.close();
    }
  });

  it('never logs the webhook secret, a signature or a token', () => {
    const secrets = [
      SECRET,
      DOC_SIGNATURE.slice(5),
      sandbox.masterToken,
      ...Object.values(sandbox.memberTokens),
    ];
    expect(findSecrets(stack.logLines, secrets)).toEqual([]);
  });
});

describe('deauthorization webhook without a secret', () => {
  let stack: Stack;
  beforeAll(async () => {
    stack = await startStack({
      sandbox,
      env: {
        OPENHUMANS_PROJECT_ID: String(sandbox.projectId),
        DEAUTH_WEBHOOK_PATH: '/hooks/open-humans',
      },
    });
  });
  afterAll(async () => {
    await stack?.close();
  });

  it('serves the configured path only, and accepts unsigned and legacy double-encoded bodies (development)', async () => {
    const fresh = body('12345678', true);
    expect((await post(stack, fresh)).status).toBe(404);
    expect((await post(stack, fresh, {}, '/hooks/open-humans')).status).toBe(200);
    expect(
      (await post(stack, JSON.stringify(body('50000001')), {}, '/hooks/open-humans')).status,
    ).toBe(200);
    expect(
      (await post(stack, '{"erasure_requested": true}', {}, '/hooks/open-humans')).status,
    ).toBe(400);
    // Still fresh-only and deduplicated: the 2020 example and a replay keep nothing.
    expect((await post(stack, DOC_BODY, {}, '/hooks/open-humans')).status).toBe(400);
    expect((await post(stack, fresh, {}, '/hooks/open-humans')).status).toBe(200);
    const res = await stack.execute<EventsData>(
      EVENTS,
      { first: 10 },
      { token: sandbox.masterToken },
    );
    expect(res.data?.deauthorizationEvents.edges.map((e) => e.node.projectMemberId)).toEqual([
      '12345678',
      '50000001',
    ]);
    expect(
      stack.logLines.some((l) => l.includes('accepts unsigned calls') && l.includes('"warn"')),
    ).toBe(true);
  });
});

describe('deauthorization events without OPENHUMANS_PROJECT_ID', () => {
  it('serves no webhook and explains why events are unavailable', async () => {
    const stack = await startStack({ sandbox });
    try {
      expect((await post(stack, DOC_BODY)).status).toBe(404);
      const res = await stack.execute(EVENTS, {}, { token: sandbox.masterToken });
      expect(res.errors?.[0]?.extensions?.code).toBe('FORBIDDEN');
      expect(res.errors?.[0]?.message).toContain('OPENHUMANS_PROJECT_ID');
    } finally {
      await stack.close();
    }
  });
});
