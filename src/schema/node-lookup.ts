/**
 * Visibility rules of `Query.node` / `Query.nodes`: an id that names nothing the caller may see
 * resolves to null, never to an error that would tell whether it exists. Loaders answer NOT_FOUND
 * for missing keys; here that becomes null. Other failures (upstream down, bad token) still surface
 * as errors.
 *
 * Wired into the relay plugin's options in `builder.ts`; this file must not import the builder.
 */
import { PothosError } from '@pothos/core';
import { badUserInput, ErrorCode, GatewayError } from '../errors.js';

type GlobalId = { typename: string; id: string };

const isNotFound = (value: unknown): boolean =>
  value instanceof GatewayError && value.code === ErrorCode.NOT_FOUND;

/** A loaded node, or null when it does not exist (or is not visible). */
function visible(value: unknown): unknown {
  if (isNotFound(value)) return null;
  if (value instanceof Error) throw value;
  return value;
}

/** `node(id)`: null for unknown objects and for ids of types that are not nodes. */
export async function resolveVisibleNode(
  resolveNode: (id: GlobalId) => unknown,
  id: GlobalId,
): Promise<unknown> {
  try {
    return visible(await resolveNode(id));
  } catch (err) {
    // An id naming a type that is not a Node (or no type at all) names nothing.
    if (isNotFound(err) || err instanceof PothosError) return null;
    throw err;
  }
}

/** `nodes(ids)`: per id as `node`; an id of a type that is not a Node is a BAD_USER_INPUT. */
export async function resolveVisibleNodes(
  resolveNodes: (ids: GlobalId[]) => Promise<unknown[]>,
  ids: GlobalId[],
): Promise<unknown[]> {
  let results: unknown[];
  try {
    results = await resolveNodes(ids);
  } catch (err) {
    if (err instanceof PothosError) {
      throw badUserInput('`ids` contains an id that does not name an object type of this API.', {
        argumentName: 'ids',
      });
    }
    throw err;
  }
  return Promise.all(
    results.map(async (entry) => {
      try {
        return visible(await entry);
      } catch (err) {
        if (isNotFound(err)) return null;
        return err instanceof Error ? err : new Error(String(err));
      }
    }),
  );
}

/** Types whose key is an Open Humans numeric id, written in decimal without leading zeros. */
const NUMERIC_KEY_TYPES: ReadonlySet<string> = new Set(['DataFile', 'Project', 'DataType']);

/**
 * Decodes a Relay global id (base64 of `Type:key`). Ids are canonical: `node(id: X).id` is X.
 * So only the exact text the gateway issues is accepted — padded standard base64, and a numeric
 * key without leading zeros — and anything else is a BAD_USER_INPUT, rather than an object that
 * would come back under another id (`Project:0015`, unpadded base64, URL-safe alphabet).
 */
export function decodeGlobalId(globalID: string): GlobalId {
  const decoded = Buffer.from(globalID, 'base64').toString('utf8');
  const colon = decoded.indexOf(':');
  const typename = decoded.slice(0, colon);
  const invalid = () => badUserInput(`"${globalID.slice(0, 100)}" is not a valid global id.`);
  if (colon <= 0 || !/^[A-Za-z_][A-Za-z0-9_]*$/.test(typename) || decoded.length === colon + 1) {
    throw invalid();
  }
  const id = decoded.slice(colon + 1);
  if (Buffer.from(decoded, 'utf8').toString('base64') !== globalID) {
    throw badUserInput(
      `"${globalID.slice(0, 100)}" is not in canonical form; use the id exactly as this API issued it.`,
    );
  }
  if (NUMERIC_KEY_TYPES.has(typename) && /^0\d/.test(id)) {
    throw badUserInput(
      `"${globalID.slice(0, 100)}" names a ${typename} with leading zeros; use the id exactly as this API issued it.`,
    );
  }
  return { typename, id };
}
