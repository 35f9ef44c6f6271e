import type { ExecutionResult } from 'graphql';
import { GraphQLError } from 'graphql';
import type { Plugin } from 'graphql-yoga';
import { ErrorCode } from '../errors.js';

/**
 * Every error a client sees carries a stable `extensions.code`, and nothing of an internal
 * error's shape. Two gaps in what yoga and graphql-js send:
 * - request errors without a code (graphql-js variable coercion: a missing required variable,
 *   a value of the wrong type) get `BAD_USER_INPUT`. Yoga's own codes (GRAPHQL_PARSE_FAILED,
 *   GRAPHQL_VALIDATION_FAILED, BAD_REQUEST, OPERATION_RESOLUTION_FAILURE) are kept;
 * - `extensions.originalError` (yoga puts the JSON parser's error there) is never sent.
 * A request error is one of a result without `data`: the operation never ran, so the input is
 * at fault. Field errors keep what their resolver (or the masking) gave them.
 * Streamed results (subscriptions, SSE) are left alone: their events come from resolvers.
 */
export function useStableErrorCodes(): Plugin {
  return {
    onResultProcess({ result, setResult }) {
      if (Array.isArray(result)) setResult(result.map(withStableCodes));
      else if (isExecutionResult(result)) setResult(withStableCodes(result));
    },
  };
}

function isExecutionResult(value: unknown): value is ExecutionResult {
  return typeof value === 'object' && value !== null && !(Symbol.asyncIterator in value);
}

function withStableCodes(result: ExecutionResult): ExecutionResult {
  if (!result.errors?.length) return result;
  const requestError = result.data === undefined;
  return { ...result, errors: result.errors.map((error) => stableError(error, requestError)) };
}

function stableError(error: GraphQLError, requestError: boolean): GraphQLError {
  const { originalError: leaked, ...rest } = error.extensions ?? {};
  const missingCode = requestError && typeof rest.code !== 'string';
  if (!missingCode && leaked === undefined) return error;
  const extensions: Record<string, unknown> = missingCode
    ? { ...rest, code: ErrorCode.BAD_USER_INPUT }
    : rest;
  // Yoga still reads it to pick the status (400 for a body it could not parse) but serialises
  // only enumerable extensions: kept for the one, hidden from the other.
  if (leaked !== undefined)
    Object.defineProperty(extensions, 'originalError', { value: leaked, enumerable: false });
  return new GraphQLError(error.message, {
    nodes: error.nodes,
    source: error.source,
    positions: error.positions,
    path: error.path,
    // Kept on the server side only (yoga reads it to tell expected from unexpected errors).
    originalError: error.originalError,
    extensions,
  });
}
