/**
 * graphql-jit with counters: a comparison between
 * compiled and interpreted answers proves nothing unless graphql-jit really ran. A test file
 * swaps it in with
 *
 *   vi.mock('graphql-jit', () => import('../helpers/counting-jit.js'));
 *
 * (`vi.mock` must sit in the test file itself) and reads `jitCounts`. It exports only what
 * src/http/compiled-execution.ts imports from graphql-jit. It imports nothing of the gateway's:
 * the gateway imports graphql-jit, so this module is loaded while the gateway's modules are.
 */
import { GraphQLError } from 'graphql';
import type * as Jit from 'graphql-jit';
import { vi } from 'vitest';

const actual = await vi.importActual<typeof Jit>('graphql-jit');

export const jitCounts = {
  /** Calls of `compileQuery`. */
  compiles: 0,
  /** Runs of a compiled query. */
  runs: 0,
  /** Answer every compilation as graphql-jit answers a document it cannot compile. */
  refuse: false,
};

export const isCompiledQuery = actual.isCompiledQuery;

export function compileQuery(
  ...args: Parameters<typeof Jit.compileQuery>
): ReturnType<typeof Jit.compileQuery> {
  jitCounts.compiles += 1;
  if (jitCounts.refuse) return { errors: [new GraphQLError('cannot compile "hunter2"')] };
  const compiled = actual.compileQuery(...args);
  if (!('query' in compiled)) return compiled;
  const query = compiled.query;
  compiled.query = (...run: Parameters<typeof query>) => {
    jitCounts.runs += 1;
    return query(...run);
  };
  return compiled;
}
