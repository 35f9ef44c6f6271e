/**
 * The upstream concurrency budget through the gateway as `main.ts` builds it:
 * `UPSTREAM_CONCURRENCY` bounds both the calls and the connections Open Humans sees (the sandbox's
 * counters); a small request is served in turn beside a big fan-out, not after it (the sandbox's
 * request log); and a call is shed with a coded error only when the request's deadline cannot be
 * met.
 */
import { afterAll, beforeAll, beforeEach, describe, expect, it } from 'vitest';
import type { Sandbox } from '../../sandbox/index.js';
import { startSandbox } from '../../sandbox/index.js';
import type { ListeningGateway } from './abuse-support.js';
import { fileIds, post, startGatewayOn } from './abuse-support.js';

/** A deadline no loaded test machine reaches, where a test must see no shedding. */
const ROOMY = '300000';
const NODES = 'query ($ids: [ID!]!) { nodes(ids: $ids) { ... on DataFile { basename } } }';

let sandbox: Sandbox;
const started: ListeningGateway[] = [];

async function gateway(env: Record<string, string>): Promise<ListeningGateway> {
  const gw = await startGatewayOn(sandbox.url, { RATE_LIMIT_PER_SECOND: '0', ...env });
  started.push(gw);
  return gw;
}

/** The Open Humans id inside a DataFile global id. */
const databaseId = (id: string): string =>
  Buffer.from(id, 'base64').toString('utf8').split(':')[1] ?? '';

beforeAll(async () => {
  sandbox = await startSandbox({ port: 0, sizes: { publicFiles: 200, users: 20 } });
});

afterAll(async () => {
  for (const gw of started.reverse()) await gw.close();
  await sandbox?.close();
});

beforeEach(() => sandbox.setLatency({ ms: 0, jitterMs: 0 }));

describe('UPSTREAM_CONCURRENCY', () => {
  it('bounds the calls in flight and the connections Open Humans sees, and is used in full', async () => {
    // Without the shared public cache, so the six requests do not share their calls.
    const gw = await gateway({
      UPSTREAM_CONCURRENCY: '4',
      PUBLIC_CACHE_MAX_ENTRIES: '0',
      REQUEST_DEADLINE_MS: ROOMY,
    });
    const ids = await fileIds(gw.url, 40);
    sandbox.setLatency({ ms: 10, jitterMs: 0 });
    sandbox.resetCalls();
    const answers = await Promise.all(
      [0, 1, 2, 3, 4, 5].map(() => post(gw.url, '/graphql', { query: NODES, variables: { ids } })),
    );
    for (const answer of answers) expect(answer.body.errors).toBeUndefined();
    expect(sandbox.calls()).toEqual({ P2: 240 });
    // 240 calls queued against 4 slots: exactly 4 at once, over at most 4 sockets.
    expect(sandbox.concurrency()).toMatchObject({ peakCalls: 4 });
    expect(sandbox.concurrency().peakConnections).toBeLessThanOrEqual(4);
  });

  it('a request alone may use the whole budget (UPSTREAM_CONCURRENCY_PER_REQUEST unset)', async () => {
    const gw = await gateway({
      UPSTREAM_CONCURRENCY: '6',
      PUBLIC_CACHE_MAX_ENTRIES: '0',
      REQUEST_DEADLINE_MS: ROOMY,
    });
    const ids = await fileIds(gw.url, 40);
    sandbox.setLatency({ ms: 20, jitterMs: 0 });
    sandbox.resetCalls();
    const answer = await post(gw.url, '/graphql', { query: NODES, variables: { ids } });
    expect(answer.body.errors).toBeUndefined();
    expect(sandbox.calls()).toEqual({ P2: 40 });
    // 40 calls of one request: all 6 slots at once, not a share of them.
    expect(sandbox.concurrency()).toMatchObject({ peakCalls: 6 });
  });

  it('UPSTREAM_CONCURRENCY_PER_REQUEST still caps one request below the budget when set', async () => {
    const gw = await gateway({
      UPSTREAM_CONCURRENCY: '6',
      UPSTREAM_CONCURRENCY_PER_REQUEST: '3',
      PUBLIC_CACHE_MAX_ENTRIES: '0',
      REQUEST_DEADLINE_MS: ROOMY,
    });
    const ids = await fileIds(gw.url, 40);
    sandbox.setLatency({ ms: 20, jitterMs: 0 });
    sandbox.resetCalls();
    const answer = await post(gw.url, '/graphql', { query: NODES, variables: { ids } });
    expect(answer.body.errors).toBeUndefined();
    expect(sandbox.concurrency()).toMatchObject({ peakCalls: 3 });
  });
});

describe('turns between requests', () => {
  it('a one-call request is served beside a 60-call fan-out, not after all of its calls', async () => {
    const gw = await gateway({ UPSTREAM_CONCURRENCY: '2', REQUEST_DEADLINE_MS: ROOMY });
    const ids = await fileIds(gw.url, 61);
    const [small, ...big] = ids;
    sandbox.setLatency({ ms: 40, jitterMs: 0 });
    sandbox.resetCalls();
    const bigAnswer = post(gw.url, '/graphql', { query: NODES, variables: { ids: big } });
    // The fan-out has queued all of its calls once its first ones reach Open Humans.
    while ((sandbox.calls().P2 ?? 0) === 0) await new Promise((resolve) => setImmediate(resolve));
    const smallAnswer = await post(gw.url, '/graphql', {
      query: NODES,
      variables: { ids: [small] },
    });
    expect(smallAnswer.body.errors).toBeUndefined();
    expect((await bigAnswer).body.errors).toBeUndefined();
    const answered = sandbox.requests().filter((r) => r.route === 'P2');
    expect(answered).toHaveLength(61);
    const position = answered.findIndex((r) => r.url.includes(`/${databaseId(small ?? '')}/`));
    // In arrival order it would be the 61st; in turns it is among the first few after it came.
    expect(position).toBeGreaterThanOrEqual(0);
    expect(position).toBeLessThan(30);
  });
});

describe('deadline-aware shedding', () => {
  it('sheds, with a coded error, the calls a request cannot get answered before its deadline', async () => {
    // 30 calls of 60 ms one at a time need 1.8 s; the request has 540 ms of upstream time.
    const gw = await gateway({ UPSTREAM_CONCURRENCY: '1', REQUEST_DEADLINE_MS: '600' });
    sandbox.setLatency({ ms: 60, jitterMs: 0 });
    // This first call also shows the gateway how long a call takes, so the calls of the next
    // request are judged when they queue, not only (by chance of timing) when their turn comes.
    const ids = await fileIds(gw.url, 30);
    sandbox.resetCalls();
    const answer = await post(gw.url, '/graphql', { query: NODES, variables: { ids } });
    const errors = answer.body.errors ?? [];
    expect(errors.length).toBeGreaterThan(0);
    for (const error of errors) expect(error.extensions?.code).toBe('UPSTREAM_UNAVAILABLE');
    expect(
      errors.some((e) =>
        /too busy to ask Open Humans before this request's deadline/.test(e.message),
      ),
    ).toBe(true);
    expect(sandbox.calls().P2 ?? 0).toBeLessThan(30);
  });

  it('sheds nothing when the deadline leaves room for every call', async () => {
    const gw = await gateway({ UPSTREAM_CONCURRENCY: '1', REQUEST_DEADLINE_MS: ROOMY });
    const ids = await fileIds(gw.url, 30);
    sandbox.setLatency({ ms: 20, jitterMs: 0 });
    sandbox.resetCalls();
    const answer = await post(gw.url, '/graphql', { query: NODES, variables: { ids } });
    expect(answer.body.errors).toBeUndefined();
    expect(sandbox.calls()).toEqual({ P2: 30 });
  });
});
