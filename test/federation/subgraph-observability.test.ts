/**
 * `/subgraph` observed like `/graphql`: Prometheus series labelled endpoint="subgraph" (with
 * the operation and, for errors, their codes), the x-request-id header, and Apollo's inline
 * trace (`extensions.ftv1`) only when the router asks for it, decoded with Apollo's protobuf.
 */
import { Trace } from '@apollo/usage-reporting-protobuf';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { Sandbox } from '../../sandbox/index.js';
import { startSandbox } from '../../sandbox/index.js';
import { type Stack, startStack } from '../helpers/stack.js';
import { SUBGRAPH_TEST_SECRET } from './support.js';

const METRICS_TEST_TOKEN = 'test-metrics-token-0123456789';

let sandbox: Sandbox;
let stack: Stack;
beforeAll(async () => {
  sandbox = await startSandbox({ port: 0 });
  stack = await startStack({
    sandbox,
    env: { SUBGRAPH_SECRET: SUBGRAPH_TEST_SECRET, METRICS_TOKEN: METRICS_TEST_TOKEN },
  });
});
afterAll(async () => {
  await stack?.close();
  await sandbox?.close();
});

const routerCall = (query: string, headers: Record<string, string> = {}) =>
  stack.fetch('/subgraph', {
    method: 'POST',
    headers: {
      'content-type': 'application/json',
      accept: 'application/json',
      'x-subgraph-secret': SUBGRAPH_TEST_SECRET,
      ...headers,
    },
    body: JSON.stringify({ query }),
  });

describe('/subgraph observability', () => {
  it('answers ftv1 inline traces only when asked, decodable with the resolver tree', async () => {
    const plain = (await (
      await routerCall('query Plain { projects(first: 1) { totalCount } }')
    ).json()) as { extensions?: Record<string, unknown> };
    expect(plain.extensions?.ftv1).toBeUndefined();

    const res = await routerCall('query Traced { projects(first: 2) { totalCount } }', {
      'apollo-federation-include-trace': 'ftv1',
    });
    expect(res.status).toBe(200);
    expect(res.headers.get('x-request-id')).toBeTruthy();
    const body = (await res.json()) as {
      data: { projects: { totalCount: number } };
      extensions: { ftv1: string };
    };
    expect(body.data.projects.totalCount).toBeGreaterThan(0);
    const decoded = Trace.decode(Buffer.from(body.extensions.ftv1, 'base64'));
    expect(Number(decoded.durationNs)).toBeGreaterThan(0);
    const fields = (decoded.root?.child ?? []).map((n) => n.responseName);
    expect(fields).toContain('projects');
    const projects = decoded.root?.child?.find((n) => n.responseName === 'projects');
    expect(projects?.parentType).toBe('Query');
    expect(projects?.child?.map((n) => n.responseName)).toContain('totalCount');
  });

  it('masks unexpected error messages inside the trace, keeps coded ones', async () => {
    const res = await routerCall('{ viewer { member { created } } }', {
      'apollo-federation-include-trace': 'ftv1',
    });
    const body = (await res.json()) as {
      errors?: { extensions?: { code?: string } }[];
      extensions: { ftv1: string };
    };
    expect(body.errors?.[0]?.extensions?.code).toBe('UNAUTHENTICATED');
    const decoded = Trace.decode(Buffer.from(body.extensions.ftv1, 'base64'));
    const errors = JSON.stringify(decoded.root);
    expect(errors).toContain('UNAUTHENTICATED');
  });

  it('is counted in graphql_request_duration_seconds with endpoint="subgraph"', async () => {
    await (await routerCall('query Counted { projects(first: 1) { totalCount } }')).text();
    const text = await (
      await stack.fetch('/metrics', { headers: { authorization: `Bearer ${METRICS_TEST_TOKEN}` } })
    ).text();
    expect(text).toMatch(
      /graphql_request_duration_seconds_count\{operation_name="Counted",operation_type="query",status="200",endpoint="subgraph"\} 1/,
    );
    expect(text).not.toMatch(/operation_name="Counted"[^}]*endpoint="graphql"/);
    expect(text).toMatch(
      /graphql_errors_total\{operation_name="\(anonymous\)",code="UNAUTHENTICATED"\} \d+/,
    );
  });
});
