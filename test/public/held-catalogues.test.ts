/**
 * A page of files waits for the catalogues it prefetched (P3, P10), so each row's `dataTypes` and
 * `sourceProject` answer from the held lists without a promise (`Loaders.heldDataTypes`,
 * `heldPublicProject`). Those answers must be the loaders' answers, and a failed catalogue must
 * still fail only the fields that need it, not the page.
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { present } from '../../src/schema/connections.js';
import { type Stack, startStack } from '../helpers/stack.js';
import { callsOf, coldCache } from './support.js';

let stack: Stack;
beforeAll(async () => {
  // Bare calls: a failed P3 stays one call and one error.
  stack = await startStack({ resilience: 'none' });
});
afterAll(async () => {
  await stack?.close();
});

function requestPublicApi() {
  const controller = new AbortController();
  return stack.openHumans.forRequest({
    token: null,
    tokenMalformed: false,
    signal: controller.signal,
  }).publicApi;
}

describe('held catalogues', () => {
  it('answer nothing before the list is loaded, then what the loaders answer', async () => {
    await coldCache(stack);
    const api = requestPublicApi();
    const { store } = stack.sandbox;
    const known = store.publicIndexes().all[0];
    expect(known).toBeDefined();
    const typeIds = [...(known?.datatypes ?? []), 987_654, ...(known?.datatypes ?? [])];
    const projectId = known?.projectId ?? 0;
    expect(api.heldDataTypes(typeIds)).toBeUndefined();
    expect(api.heldProject(projectId)).toBeUndefined();

    await Promise.all([api.allDataTypes(), api.allProjects()]);
    const byLoader = present(await Promise.all(typeIds.map((id) => api.dataType(id))));
    expect(byLoader.length).toBe(2 * (known?.datatypes.length ?? 0));
    expect(api.heldDataTypes(typeIds)).toEqual(byLoader);
    expect(api.heldProject(projectId)).toEqual(await api.project(projectId));
    expect(api.heldProject(projectId)?.name).toBe(store.project(projectId)?.name);
    expect(api.heldProject(987_654)).toBeNull();
  });

  it('a failed data type list fails the rows’ `dataTypes`, not the page, in one call', async () => {
    await coldCache(stack);
    stack.sandbox.setFaults({ rules: [{ route: 'P3', kind: 'status', status: 503, times: 1 }] });
    let errors: readonly { path?: readonly (string | number)[] }[] = [];
    const calls = await callsOf(stack, async () => {
      const res = await stack.execute(
        '{ dataFiles(first: 3) { edges { node { basename dataTypes { name } sourceProject { name } } } } }',
      );
      errors = res.errors ?? [];
    });
    stack.sandbox.setFaults({ rules: [] });
    expect(calls).toEqual({ P1: 1, P3: 1, P10: 1 });
    expect(errors.length).toBeGreaterThan(0);
    // Reported where the data types are used, as before the page waited for the catalogues.
    for (const error of errors) expect(error.path?.at(-1)).toBe('dataTypes');
  });
});
