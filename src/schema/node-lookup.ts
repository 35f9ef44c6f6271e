/**
 * Visibility rules of `Query.node` / `Query.nodes` (decisions.md, Schema): an id that names
 * nothing the caller may see resolves to null, never to an error that would tell whether it
 * exists. Loaders answer NOT_FOUND for missing keys; here that becomes null. Other failures
 * (upstream down, bad token) still surface as errors.
 *
 * Wired into the relay plugin's options in `builder.ts`; this file must not import the builder.
 */
import { PothosError } from '@pothos/core';
import { ErrorCode, GatewayError, badUserInput } from '../errors.js';

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

/**
 * Decodes a Relay global id (base64 of `Type:key`); a malformed one is a BAD_USER_INPUT rather
 * than an unexpected error.
 */
export function decodeGlobalId(globalID: string): GlobalId {
  const decoded = Buffer.from(globalID, 'base64').toString('utf8');
  const colon = decoded.indexOf(':');
  const typename = decoded.slice(0, colon);
  if (colon <= 0 || !/^[A-Za-z_][A-Za-z0-9_]*$/.test(typename) || decoded.length === colon + 1) {
    throw badUserInput(`"${globalID.slice(0, 100)}" is not a valid global id.`);
  }
  return { typename, id: decoded.slice(colon + 1) };
}
