import { readFileSync } from 'node:fs';
import { usePersistedOperations } from '@graphql-yoga/plugin-persisted-operations';
import type { GraphQLParams, Plugin } from 'graphql-yoga';
import { limitError } from './limit-error.js';

/** The allow-list: operation id (e.g. a sha256 hex digest) → query text. */
export type PersistedOperations = ReadonlyMap<string, string>;

/**
 * Reads `PERSISTED_OPERATIONS_FILE`: one JSON object mapping ids to query strings. Called once
 * at start; a missing or malformed file stops the gateway (running without the allow-list the
 * operator asked for would be worse).
 */
export function loadPersistedOperations(file: string): PersistedOperations {
  let parsed: unknown;
  try {
    parsed = JSON.parse(readFileSync(file, 'utf8'));
  } catch (err) {
    throw new Error(
      `PERSISTED_OPERATIONS_FILE: cannot read "${file}" as JSON (${(err as Error).message})`,
    );
  }
  if (!parsed || typeof parsed !== 'object' || Array.isArray(parsed)) {
    throw new Error(
      'PERSISTED_OPERATIONS_FILE must hold a JSON object mapping operation hashes to queries',
    );
  }
  const entries = Object.entries(parsed as Record<string, unknown>);
  const bad = entries
    .filter(([, query]) => typeof query !== 'string' || query.trim() === '')
    .map(([id]) => id);
  if (bad.length > 0)
    throw new Error(
      `PERSISTED_OPERATIONS_FILE: the entries ${bad.slice(0, 5).join(', ')} are not query strings`,
    );
  return new Map(entries as [string, string][]);
}

/**
 * The operation id of a request: Apollo's `extensions.persistedQuery.sha256Hash` (what Apollo
 * Client, urql and Relay send) or GraphQL-over-HTTP's `documentId`.
 */
export function persistedOperationId(params: GraphQLParams): string | null {
  const pq = (params.extensions as { persistedQuery?: { sha256Hash?: unknown } } | undefined)
    ?.persistedQuery;
  if (typeof pq?.sha256Hash === 'string') return pq.sha256Hash;
  const documentId = (params as { documentId?: unknown }).documentId;
  return typeof documentId === 'string' ? documentId : null;
}

/** Allow-list mode: only the listed operations run; any other request fails with a coded error. */
export function usePersistedOperationsOnly(operations: PersistedOperations): Plugin {
  return usePersistedOperations({
    allowArbitraryOperations: false,
    extractPersistedOperationId: (params) => persistedOperationId(params),
    getPersistedOperation: (id) => operations.get(id) ?? null,
    customErrors: {
      persistedQueryOnly: () =>
        limitError(
          'persistedOperation',
          'Only persisted operations run on this server: send the operation hash (extensions.persistedQuery.sha256Hash or documentId) instead of a query.',
        ),
      keyNotFound: () =>
        limitError(
          'persistedOperation',
          'Send the hash of a persisted operation (extensions.persistedQuery.sha256Hash or documentId).',
        ),
      notFound: () =>
        limitError(
          'persistedOperation',
          'PersistedQueryNotFound: no persisted operation has this hash on this server.',
        ),
    },
  }) as Plugin;
}
