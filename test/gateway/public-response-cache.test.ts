/**
 * The whole-response cache's rules on a small schema, counting resolver runs: only allow-listed
 * root fields are stored, never a token-scoped type, never for a session cookie, and nothing an
 * execution read before a clear is stored after it.
 */
import { createSchema, createYoga } from 'graphql-yoga';
import { describe, expect, it } from 'vitest';
import {
  PublicResponseCache,
  usePublicResponseCache,
} from '../../src/http/public-response-cache.js';

function setup() {
  const runs: Record<string, number> = {};
  /** Counts one run of `name`'s resolver and returns its value. */
  const counted = <T>(name: string, value: T): T => {
    runs[name] = (runs[name] ?? 0) + 1;
    return value;
  };
  let release: (() => void) | null = null;
  let started: (() => void) | null = null;
  const schema = createSchema({
    typeDefs: /* GraphQL */ `
      type Project { id: ID! name: String! }
      type Viewer { name: String! }
      type Query {
        projects: [Project!]!
        viewer: Viewer
        project(slow: Boolean): Project
        oauthAuthorizeUrl: String!
        member: Viewer
      }
    `,
    resolvers: {
      Query: {
        projects: () => counted('projects', [{ id: '1', name: 'one' }]),
        viewer: () => counted('viewer', { name: 'me' }),
        oauthAuthorizeUrl: () => counted('oauthAuthorizeUrl', 'https://example.test/?state=fresh'),
        // Resolves when the test releases it: an execution spanning a clear.
        project: () =>
          new Promise((resolve) => {
            release = () => resolve(counted('project', { id: '2', name: 'two' }));
            started?.();
          }),
        // A public-looking root field whose type is token-scoped.
        member: () => counted('member', { name: 'private' }),
      },
    },
  });
  const cache = new PublicResponseCache(10);
  const yoga = createYoga({
    schema,
    plugins: [
      usePublicResponseCache({ cache, ttlMs: 60_000, schema, sessionCookie: 'oh_session' }),
    ],
  });
  const run = async (query: string, headers: Record<string, string> = {}) => {
    const res = await yoga.fetch('http://test/graphql', {
      method: 'POST',
      headers: { 'content-type': 'application/json', ...headers },
      body: JSON.stringify({ query }),
    });
    return res.text();
  };
  /** Runs `query` and resolves once its slow resolver has started. */
  const start = async (query: string): Promise<{ done: Promise<string> }> => {
    const begun = new Promise<void>((resolve) => (started = resolve));
    const done = run(query);
    await begun;
    return { done };
  };
  return { runs, cache, run, start, release: () => release?.() };
}

describe('public response cache rules', () => {
  it('stores an allow-listed query once and serves the same bytes', async () => {
    const { runs, run } = setup();
    const first = await run('{ projects { name } }');
    expect(await run('{ projects { name } }')).toBe(first);
    expect(runs.projects).toBe(1);
    expect(JSON.parse(first)).toEqual({ data: { projects: [{ name: 'one' }] } });
  });

  it('never stores root fields off the allow-list, even mixed with public ones', async () => {
    const { runs, run } = setup();
    for (let i = 0; i < 2; i++) {
      await run('{ oauthAuthorizeUrl }');
      await run('{ projects { name } viewer { name } }');
    }
    expect(runs.oauthAuthorizeUrl).toBe(2);
    expect(runs.viewer).toBe(2);
  });

  it('never stores a result holding a token-scoped type', async () => {
    const { runs, run } = setup();
    // `member` is not on the allow-list either; the type rule must hold on its own too.
    await run('{ m: member { name } }');
    await run('{ m: member { name } }');
    expect(runs.member).toBe(2);
  });

  it('neither serves nor stores for the session cookie, yet does for other cookies', async () => {
    const { runs, run } = setup();
    await run('{ projects { name } }', { cookie: 'oh_session=abc' });
    await run('{ projects { name } }', { cookie: 'theme=dark' });
    await run('{ projects { name } }', { cookie: 'oh_session=abc' });
    await run('{ projects { name } }');
    // Session, other cookie (stored), session again (not served): three runs; then served.
    expect(runs.projects).toBe(3);
  });

  it('does not store what an execution computed across a clear', async () => {
    const { runs, run, start, cache, release } = setup();
    const first = await start('{ project(slow: true) { name } }');
    cache.clear();
    release();
    await first.done;
    const again = await start('{ project(slow: true) { name } }');
    release();
    await again.done;
    expect(runs.project).toBe(2);
    // Stored the second time: a third run is served without the resolver.
    await run('{ project(slow: true) { name } }');
    expect(runs.project).toBe(2);
  });
});
