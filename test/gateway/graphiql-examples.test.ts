import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { EXAMPLE_TABS, examplesFor, isValidExample } from '../../src/http/graphiql-examples.js';
import { schema } from '../../src/schema/index.js';
import type { Stack } from '../helpers/stack.js';
import { startStack } from '../helpers/stack.js';

const nameOf = (query: string): string => /query (\w+)/.exec(query)?.[1] ?? 'anonymous';

describe('GraphiQL example tabs', () => {
  let stack: Stack;
  beforeAll(async () => {
    stack = await startStack();
  });
  afterAll(async () => {
    await stack?.close();
  });

  it('all validate against the served schema (none is dropped from the page)', () => {
    const invalid = EXAMPLE_TABS.filter((t) => !isValidExample(schema, t.query)).map((t) =>
      nameOf(t.query),
    );
    expect(invalid).toEqual([]);
    expect(examplesFor(schema)).toHaveLength(EXAMPLE_TABS.length);
  });

  it.each(EXAMPLE_TABS.map((t) => [nameOf(t.query), t] as const))(
    '%s runs without errors on the sandbox',
    async (_name, tab) => {
      const token = tab.headers ? stack.sandbox.masterToken : undefined;
      const res = await stack.execute(tab.query, undefined, token ? { token } : {});
      expect(res.errors).toBeUndefined();
      expect(res.status).toBe(200);
      expect(res.data).toBeTruthy();
    },
  );
});
