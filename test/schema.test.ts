import { readFile } from 'node:fs/promises';
import { lexicographicSortSchema, printSchema } from 'graphql';
import { describe, expect, it } from 'vitest';
import { printSubgraph, subgraphSchema } from '../src/federation/subgraph.js';
import { schema } from '../src/schema/index.js';

describe('schema.graphql', () => {
  it('matches the schema built from code', async () => {
    const committed = await readFile(new URL('../schema.graphql', import.meta.url), 'utf8');
    expect(committed).toBe(`${printSchema(lexicographicSortSchema(schema))}\n`);
  });
});

describe('schema.subgraph.graphql', () => {
  it('matches the federation subgraph built from code', async () => {
    const committed = await readFile(
      new URL('../schema.subgraph.graphql', import.meta.url),
      'utf8',
    );
    expect(committed).toBe(`${printSubgraph(subgraphSchema())}\n`);
  });
});
