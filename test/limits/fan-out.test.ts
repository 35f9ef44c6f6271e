/**
 * Fan-out: list arguments that fan out upstream are charged per item and bounded in
 * length (refused with 0 upstream calls, counted at the sandbox), on /graphql and /subgraph;
 * a request past its upstream-call budget fails with a coded error after exactly that many
 * calls; one request never holds more than its share of the shared upstream concurrency,
 * and a fan-out beside other clients only takes its turns of the shared upstream slots.
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { Sandbox } from '../../sandbox/index.js';
import { startSandbox } from '../../sandbox/index.js';
import type { CountingRelay, ListeningGateway } from './abuse-support.js';
import { fileIds, post, startCountingRelay, startGatewayOn, totalCalls } from './abuse-support.js';

const SECRET = 'fan-out-test-subgraph-secret';
const NODES = 'query ($ids: [ID!]!) { nodes(ids: $ids) { __typename } }';
const NODES_WITH_NAMES =
  'query ($ids: [ID!]!) { nodes(ids: $ids) { ... on DataFile { basename } } }';

let sandbox: Sandbox;
const started: { close(): Promise<void> }[] = [];

async function gateway(
  upstream: string,
  env: Record<string, string> = {},
): Promise<ListeningGateway> {
  const gw = await startGatewayOn(upstream, {
    RATE_LIMIT_PER_SECOND: '0',
    SUBGRAPH_SECRET: SECRET,
    ...env,
  });
  started.push(gw);
  return gw;
}

beforeAll(async () => {
  sandbox = await startSandbox({ port: 0 });
});

afterAll(async () => {
  for (const s of started.reverse()) await s.close();
  await sandbox?.close();
});

/** 5,000 distinct, well-formed DataFile ids (most name nothing: the gateway cannot know). */
const manyIds = (n: number): string[] =>
  Array.from({ length: n }, (_, i) => Buffer.from(`DataFile:${100_000 + i}`).toString('base64'));

const GRAPHQL_RESPONSE = { accept: 'application/graphql-response+json' };

describe('list arguments that fan out', () => {
  it('a 5,000-id nodes is refused with a coded error and 0 upstream calls', async () => {
    const gw = await gateway(sandbox.url);
    sandbox.resetCalls();
    // A limit refusal is a validation error: 400 for application/graphql-response+json.
    const answer = await post(
      gw.url,
      '/graphql',
      { query: NODES, variables: { ids: manyIds(5_000) } },
      GRAPHQL_RESPONSE,
    );
    expect(answer.status).toBe(400);
    expect(answer.body.data ?? null).toBeNull();
    expect(answer.body.errors?.[0]?.extensions).toMatchObject({
      code: 'BAD_USER_INPUT',
      limit: 'listLength',
      max: 100,
      actual: 5_000,
    });
    expect(answer.body.errors?.[0]?.message).toMatch(
      /nodes\(ids:\).*at most 100 items, found 5000/,
    );
    expect(totalCalls(sandbox)).toBe(0);
  });

  it('a 5,000-representation _entities on /subgraph likewise', async () => {
    const gw = await gateway(sandbox.url);
    sandbox.resetCalls();
    const representations = Array.from({ length: 5_000 }, (_, i) => ({
      __typename: 'DataFile',
      databaseId: 100_000 + i,
    }));
    const query = 'query ($r: [_Any!]!) { _entities(representations: $r) { __typename } }';
    const answer = await post(
      gw.url,
      '/subgraph',
      { query, variables: { r: representations } },
      {
        'x-subgraph-secret': SECRET,
        ...GRAPHQL_RESPONSE,
      },
    );
    expect(answer.status).toBe(400);
    expect(answer.body.errors?.[0]?.extensions).toMatchObject({
      code: 'BAD_USER_INPUT',
      limit: 'listLength',
      actual: 5_000,
    });
    expect(totalCalls(sandbox)).toBe(0);
  });

  it('charges every item, even when nothing but __typename is selected', async () => {
    const ids = await fileIds((await gateway(sandbox.url)).url, 40);
    const gw = await gateway(sandbox.url, { MAX_COST: '50', MAX_LIST_ARGUMENT_ITEMS: '1000' });
    sandbox.resetCalls();
    // 60 items cost 1 + 60 × 1 = 61 > 50: refused before any call.
    const over = await post(gw.url, '/graphql', { query: NODES, variables: { ids: manyIds(60) } });
    expect(over.body.errors?.[0]?.extensions).toMatchObject({
      code: 'BAD_USER_INPUT',
      limit: 'cost',
      max: 50,
      actual: 61,
    });
    expect(totalCalls(sandbox)).toBe(0);
    // 40 items cost 41: served, one detail call per file (what the charge stands for).
    const under = await post(gw.url, '/graphql', { query: NODES, variables: { ids } });
    expect(under.body.errors).toBeUndefined();
    expect(sandbox.calls()).toEqual({ P2: 40 });
  });
});

describe('the per-request upstream budget', () => {
  it('stops a request at MAX_UPSTREAM_CALLS_PER_REQUEST calls with a coded error', async () => {
    const gw = await gateway(sandbox.url, { MAX_UPSTREAM_CALLS_PER_REQUEST: '10' });
    const ids = await fileIds(gw.url, 30);
    sandbox.resetCalls();
    const answer = await post(gw.url, '/graphql', { query: NODES_WITH_NAMES, variables: { ids } });
    expect(sandbox.calls()).toEqual({ P2: 10 });
    const codes = new Set(
      answer.body.errors?.map(
        (e) => `${String(e.extensions?.code)}/${String(e.extensions?.limit)}`,
      ),
    );
    expect([...codes]).toEqual(['BAD_USER_INPUT/upstreamCalls']);
    expect(answer.body.errors?.[0]?.message).toMatch(
      /more calls to Open Humans than one request may make/,
    );
    // What fit in the budget is still answered.
    const nodes = (answer.body.data?.nodes ?? []) as ({ basename?: string } | null)[];
    expect(nodes.filter((n) => n?.basename).length).toBe(10);
    // The next request has a budget of its own.
    sandbox.resetCalls();
    const next = await post(gw.url, '/graphql', {
      query: NODES_WITH_NAMES,
      variables: { ids: ids.slice(20) },
    });
    expect(next.body.errors).toBeUndefined();
  });
});

describe('the same limits on /subgraph', () => {
  it('the upstream budget holds for _entities', async () => {
    const gw = await gateway(sandbox.url, { MAX_UPSTREAM_CALLS_PER_REQUEST: '10' });
    const ids = await fileIds(gw.url, 30);
    const representations = ids.map((id) => ({ __typename: 'DataFile', id }));
    sandbox.resetCalls();
    const query =
      'query ($r: [_Any!]!) { _entities(representations: $r) { ... on DataFile { basename } } }';
    const answer = await post(
      gw.url,
      '/subgraph',
      { query, variables: { r: representations } },
      { 'x-subgraph-secret': SECRET },
    );
    expect(totalCalls(sandbox)).toBe(10);
    expect(answer.body.errors?.[0]?.extensions).toMatchObject({
      code: 'BAD_USER_INPUT',
      limit: 'upstreamCalls',
    });
  });
});

describe('a fair share of the shared upstream concurrency', () => {
  let relay: CountingRelay;
  let gw: ListeningGateway;
  let ids: string[];

  beforeAll(async () => {
    relay = await startCountingRelay(sandbox.url);
    started.push(relay);
    // 4 calls in flight process-wide; each request may hold 2 of them.
    gw = await gateway(relay.url, {
      UPSTREAM_CONCURRENCY: '4',
      UPSTREAM_CONCURRENCY_PER_REQUEST: '2',
    });
    ids = await fileIds(gw.url, 60);
    sandbox.setLatency({ ms: 15, jitterMs: 0 });
  });

  afterAll(() => sandbox.setLatency({ ms: 0, jitterMs: 0 }));

  it('one fan-out request has at most its share in flight, and still gets every answer', async () => {
    relay.reset();
    sandbox.resetCalls();
    const answer = await post(gw.url, '/graphql', { query: NODES_WITH_NAMES, variables: { ids } });
    expect(answer.body.errors).toBeUndefined();
    expect(sandbox.calls()).toEqual({ P2: 60 });
    expect(relay.maxInFlight).toBe(2);
  });

  it('three fan-outs beside a well-behaved client: every call waits its turn, none is refused', async () => {
    relay.reset();
    const attackers = [0, 1, 2].map(() =>
      post(gw.url, '/graphql', { query: NODES_WITH_NAMES, variables: { ids } }),
    );
    const victim: Awaited<ReturnType<typeof post>>[] = [];
    for (const id of ids.slice(0, 5))
      victim.push(
        await post(gw.url, '/graphql', { query: NODES_WITH_NAMES, variables: { ids: [id] } }),
      );
    const answers = [...(await Promise.all(attackers)), ...victim];
    // 180 calls meet 4 slots: they queue per request and are served in turns, none refused.
    for (const answer of answers)
      expect(answer.body.errors, JSON.stringify(answer.body.errors?.[0])).toBeUndefined();
    expect(relay.maxInFlight).toBeLessThanOrEqual(4);
  });
});
