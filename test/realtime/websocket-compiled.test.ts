/**
 * Compiled execution (src/http/compiled-execution.ts) over WebSocket: a subscription is never
 * compiled (the plugin does not hook `onSubscribe`), however often it is started; a query over
 * the socket goes through the same enveloped `execute` as over HTTP, so it is compiled on its
 * 2nd sighting like one, and answers what the interpreter answers (errors masked and coded
 * the same), compared with a gateway with COMPILED_EXECUTION=off.
 */
import { afterAll, beforeAll, describe, expect, it, vi } from 'vitest';
import type { Sandbox } from '../../sandbox/index.js';
import { startSandbox } from '../../sandbox/index.js';
import { jitCounts as jit } from '../helpers/counting-jit.js';
import { type Stack, startStack } from '../helpers/stack.js';
import { collect, deliverUntil, listenWithWebSockets, type WsServer, wsClient } from './support.js';

// graphql-jit with counters: a comparison that never reached it would prove nothing.
vi.mock('graphql-jit', () => import('../helpers/counting-jit.js'));

let sandbox: Sandbox;
const stacks: Stack[] = [];
let compiled: WsServer;
let interpreted: WsServer;
beforeAll(async () => {
  sandbox = await startSandbox({ port: 0, sizes: { publicFiles: 50 } });
  const env = {
    OPENHUMANS_PROJECT_ID: String(sandbox.projectId),
    RATE_LIMIT_PER_SECOND: '0',
    RESPONSE_CACHE_MAX_ENTRIES: '0',
  };
  const on = await startStack({ sandbox, env });
  const off = await startStack({ sandbox, env: { ...env, COMPILED_EXECUTION: 'off' } });
  stacks.push(on, off);
  compiled = await listenWithWebSockets(on);
  interpreted = await listenWithWebSockets(off);
});
afterAll(async () => {
  await compiled?.close();
  await interpreted?.close();
  for (const stack of stacks) await stack.close();
  await sandbox?.close();
});

/** The results of `query` over a fresh socket, as JSON. */
async function overSocket(server: WsServer, query: string): Promise<string> {
  const client = wsClient(server.wsUrl);
  try {
    const { results, error } = await collect(client, query);
    expect(error).toBeUndefined();
    return JSON.stringify(results);
  } finally {
    await client.dispose();
  }
}

describe('compiled execution over WebSocket', () => {
  it.each([
    ['a page', '{ projects(first: 2) { totalCount edges { node { name active } } } }', '"name"'],
    [
      'UNAUTHENTICATED next to data',
      '{ projects(first: 1) { totalCount } viewer { tokenKind } }',
      'UNAUTHENTICATED',
    ],
    [
      'NOT_FOUND',
      '{ project(databaseId: 987654321) { name } dataTypes(first: 1) { totalCount } }',
      'NOT_FOUND',
    ],
  ])('a query (%s) is compiled once and answers as interpreted', async (_name, query, shows) => {
    const expected = await overSocket(interpreted, query);
    expect(expected).toContain(shows);
    const before = jit.compiles;
    for (let sighting = 1; sighting <= 3; sighting += 1)
      expect(await overSocket(compiled, query), `sighting ${sighting}`).toBe(expected);
    expect(jit.compiles - before).toBe(1);
  });

  it('a subscription is never compiled, however often it is started', async () => {
    const before = jit.compiles;
    const query = 'subscription { memberDeauthorized { projectMemberId } }';
    const members = Object.keys(sandbox.memberTokens).sort();
    for (let round = 0; round < 3; round += 1) {
      const client = wsClient(compiled.wsUrl, {
        connectionParams: { Authorization: `Bearer ${sandbox.masterToken}` },
      });
      try {
        const iterator = client
          .iterate<{ memberDeauthorized: { projectMemberId: string } }>({ query })
          [Symbol.asyncIterator]();
        const pmi = members[round] ?? '';
        const result = await deliverUntil(iterator.next(), () => deauthorize(pmi));
        await iterator.return?.();
        expect(result.done).toBe(false);
        expect(result.value?.data?.memberDeauthorized.projectMemberId).toBe(pmi);
      } finally {
        await client.dispose();
      }
    }
    expect(jit.compiles - before).toBe(0);
  });
});

/** Posts a deauthorization notice to the gateway's webhook, as Open Humans does. */
async function deauthorize(pmi: string): Promise<void> {
  const body = `{"project_member_id": "${pmi}", "erasure_requested": false, "timestamp": "${new Date().toISOString().replace('Z', '000+00:00')}"}`;
  const res = await fetch(`${compiled.httpUrl}/webhooks/openhumans/deauthorize`, {
    method: 'POST',
    headers: { 'content-type': 'application/json' },
    body,
  });
  expect(res.status).toBe(200);
}
