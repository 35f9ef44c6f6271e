import type { UploadSource } from './upload.js';
import { MultipartRequestError, Upload } from './upload.js';

const FORBIDDEN_SEGMENTS = new Set(['__proto__', 'prototype', 'constructor']);

/**
 * Checks `operations` and the `map` paths before anything executes: one operation (no batch),
 * every path points at an existing `null` placeholder under `variables`, and each file goes to
 * one path only. The multipart spec allows one file under several paths, but a streamed file can
 * be read only once: the second use would fail after the first had already been stored, so such
 * a request is refused whole, before anything runs.
 */
export function checkOperationsAndMap(
  operationsJson: string,
  map: Record<string, string[]>,
): MultipartRequestError | undefined {
  let operations: unknown;
  try {
    operations = JSON.parse(operationsJson);
  } catch {
    return new MultipartRequestError('The "operations" field is not valid JSON.');
  }
  if (Array.isArray(operations)) {
    return new MultipartRequestError('Batched operations are not supported in multipart requests.');
  }
  if (!isRecord(operations)) {
    return new MultipartRequestError('The "operations" field must be a JSON object.');
  }
  const seen = new Set<string>();
  for (const [key, paths] of Object.entries(map)) {
    if (paths.length > 1) {
      return new MultipartRequestError(
        `The file "${key}" is mapped to ${paths.length} paths; each file may be used once per request (send it once per use).`,
      );
    }
    for (const path of paths) {
      // A path named twice would leave one of its parts unread (and set aside on disk).
      if (seen.has(path))
        return new MultipartRequestError(`The "map" path "${path}" is named more than once.`);
      seen.add(path);
      const problem = checkPath(operations, path);
      if (problem)
        return new MultipartRequestError(`The "map" path "${path}" for file "${key}" ${problem}.`);
    }
  }
  return undefined;
}

/** Returns a copy of `variables` with an `Upload` at every mapped path (paths already checked). */
export function applyUploads(
  variables: Record<string, unknown> | undefined,
  map: Record<string, string[]>,
  source: UploadSource,
): Record<string, unknown> {
  const root: Record<string, unknown> = structuredClone(variables ?? {});
  for (const [key, paths] of Object.entries(map)) {
    const upload = new Upload(key, source);
    for (const path of paths) {
      const segments = path.split('.').slice(1);
      const last = segments.pop();
      let target: unknown = root;
      for (const segment of segments) target = (target as Record<string, unknown>)[segment];
      if (last !== undefined && (isRecord(target) || Array.isArray(target))) {
        (target as Record<string, unknown>)[last] = upload;
      }
    }
  }
  return root;
}

function checkPath(operations: Record<string, unknown>, path: string): string | undefined {
  const segments = path.split('.');
  if (segments[0] !== 'variables' || segments.length < 2) return 'must start with "variables."';
  if (segments.some((s) => FORBIDDEN_SEGMENTS.has(s) || s === '')) return 'is not allowed';
  let target: unknown = operations;
  for (const segment of segments.slice(0, -1)) {
    if (!isRecord(target) && !Array.isArray(target)) return 'does not exist in "operations"';
    target = (target as Record<string, unknown>)[segment];
  }
  const last = segments[segments.length - 1] as string;
  if (!isRecord(target) && !Array.isArray(target)) return 'does not exist in "operations"';
  const value = (target as Record<string, unknown>)[last];
  // A null placeholder, or (for an object) a key the client left out.
  if (value !== null && !(value === undefined && isRecord(target)))
    return 'must hold null in "operations"';
  return undefined;
}

function isRecord(value: unknown): value is Record<string, unknown> {
  return typeof value === 'object' && value !== null && !Array.isArray(value);
}
