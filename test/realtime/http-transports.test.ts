/**
 * The HTTP streaming transports: graphql-sse's distinct-connections mode with its real client
 * (served), its single-connection mode and Apollo Client's multipart subscriptions (refused with
 * a coded GraphQL error, not a bare 405/406).
 */
import { createClient } from 'graphql-sse';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { Sandbox } from '../../sandbox/index.js';
import { startSandbox } from '../../sandbox/index.js';
import { type Stack, startStack } from '../helpers/stack.js';
import { deliverUntil } from './support.js';

const SUBSCRIPTION = 'subscription { memberDeauthorized { projectMemberId } }';
type Event = { memberDeauthorized: { projectMemberId: string } };

let sandbox: Sandbox;
let stack: Stack;
let base: string;
beforeAll(async () => {
  sandbox = await startSandbox({ port: 0, sizes: { publicFiles: 50 } });
  stack = await startStack({ sandbox, env: { OPENHUMANS_PROJECT_ID: String(sandbox.projectId) } });
  base = await stack.listen();
});
afterAll(async () => {
  await stack?.close();
  await sandbox?.close();
});

describe('graphql-sse client', () => {
  it('distinct connections mode: subscribes with Authorization and receives the event', async () => {
    const client = createClient({
      url: `${base}/graphql`,
      headers: { authorization: `Bearer ${sandbox.masterToken}` },
      retryAttempts: 0,
    });
    try {
      const iterator = client.iterate<Event>({ query: SUBSCRIPTION })[Symbol.asyncIterator]();
      const pmi = Object.keys(sandbox.memberTokens).sort()[4] ?? '';
      const deliver = async () => {
        const body = `{"project_member_id": "${pmi}", "erasure_requested": false, "timestamp": "${new Date().toISOString().replace('Z', '000+00:00')}"}`;
        expect(
          (
            await stack.fetch('/webhooks/openhumans/deauthorize', {
              method: 'POST',
              headers: { 'content-type': 'application/json' },
              body,
            })
          ).status,
        ).toBe(200);
      };
      const first = deliverUntil(iterator.next(), deliver);
      const result = await first;
      expect(result.done ? null : result.value.data?.memberDeauthorized.projectMemberId).toBe(pmi);
      await iterator.return?.();
    } finally {
      client.dispose();
    }
  });

  it('single connection mode: refused with a coded error (406, BAD_USER_INPUT), no upstream work', async () => {
    const before = stack.upstreamCalls.length;
    const client = createClient({
      url: `${base}/graphql`,
      singleConnection: true,
      headers: { authorization: `Bearer ${sandbox.masterToken}` },
      retryAttempts: 0,
    });
    let caught: unknown;
    try {
      for await (const _ of client.iterate({ query: SUBSCRIPTION })) break;
    } catch (err) {
      caught = err;
    } finally {
      client.dispose();
    }
    const response = (caught as { response?: Response } | undefined)?.response;
    expect(response?.status).toBe(406);
    const raw = await fetch(`${base}/graphql`, {
      method: 'PUT',
      headers: { accept: 'text/plain' },
    });
    expect(raw.status).toBe(406);
    const json = (await raw.json()) as {
      errors: { message: string; extensions: { code: string; transport: string } }[];
    };
    expect(json.errors[0]?.extensions).toEqual({
      code: 'BAD_USER_INPUT',
      transport: 'graphql-sse-single-connection',
    });
    expect(json.errors[0]?.message).toContain('graphql-transport-ws');
    expect(stack.upstreamCalls.length).toBe(before);
  });
});

describe('Apollo Client multipart HTTP subscriptions', () => {
  it('are refused with 406 and a coded JSON body, and the subscription is ended', async () => {
    const res = await fetch(`${base}/graphql`, {
      method: 'POST',
      headers: {
        // Apollo Client's exact Accept for subscriptions over HTTP.
        accept: 'multipart/mixed;boundary="graphql";subscriptionSpec=1.0,application/json',
        'content-type': 'application/json',
        authorization: `Bearer ${sandbox.masterToken}`,
      },
      body: JSON.stringify({ query: SUBSCRIPTION }),
    });
    expect(res.status).toBe(406);
    expect(res.headers.get('content-type')).toContain('application/json');
    const json = (await res.json()) as {
      errors: { extensions: { code: string; transport: string } }[];
    };
    expect(json.errors[0]?.extensions).toEqual({
      code: 'BAD_USER_INPUT',
      transport: 'multipart-subscription',
    });
  });

  it('still serve queries to a multipart-accepting client', async () => {
    const res = await fetch(`${base}/graphql`, {
      method: 'POST',
      headers: {
        accept: 'multipart/mixed;subscriptionSpec=1.0,application/json',
        'content-type': 'application/json',
      },
      body: JSON.stringify({ query: '{ __typename }' }),
    });
    expect(res.status).toBe(200);
    expect(await res.text()).toContain('Query');
  });
});
