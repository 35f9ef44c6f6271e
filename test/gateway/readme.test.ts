import { readFile } from 'node:fs/promises';
import { parse, validate } from 'graphql';
import { describe, expect, it } from 'vitest';
import { schema } from '../../src/schema/index.js';

/** Every ```graphql block of the README must be a valid operation against the real schema. */
describe('README examples', () => {
  it('validate against the schema', async () => {
    const readme = await readFile(new URL('../../README.md', import.meta.url), 'utf8');
    const blocks = [...readme.matchAll(/```graphql\n([\s\S]*?)```/g)].map((m) => m[1] ?? '');
    expect(blocks.length).toBeGreaterThanOrEqual(5);
    const problems = blocks.flatMap((block) =>
      validate(schema, parse(block)).map(
        (e) => `${/query (\w+)/.exec(block)?.[1] ?? '?'}: ${e.message}`,
      ),
    );
    expect(problems).toEqual([]);
  });
});
