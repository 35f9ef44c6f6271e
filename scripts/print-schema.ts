/**
 * Prints the client-facing schema to `schema.graphql` and the federation subgraph's SDL to
 * `schema.subgraph.graphql` (both committed, reviewed as contracts; the subgraph one is what
 * `_service { sdl }` answers, without a type prefix).
 * With `--check`, exits non-zero when a committed file is stale instead of writing it.
 */
import { readFile, writeFile } from 'node:fs/promises';
import { lexicographicSortSchema, printSchema } from 'graphql';
import { printSubgraph, subgraphSchema } from '../src/federation/subgraph.js';
import { schema } from '../src/schema/index.js';

const files: [URL, string][] = [
  [
    new URL('../schema.graphql', import.meta.url),
    `${printSchema(lexicographicSortSchema(schema))}\n`,
  ],
  [new URL('../schema.subgraph.graphql', import.meta.url), `${printSubgraph(subgraphSchema())}\n`],
];

let stale = false;
for (const [target, printed] of files) {
  const name = target.pathname.split('/').pop() ?? '';
  if (process.argv.includes('--check')) {
    const committed = await readFile(target, 'utf8').catch(() => '');
    if (committed !== printed) {
      console.error(`${name} is stale: run \`npm run schema:print\` and commit the result.`);
      stale = true;
    } else {
      console.log(`${name} is up to date.`);
    }
  } else {
    await writeFile(target, printed);
    console.log(`wrote ${name}`);
  }
}
if (stale) process.exit(1);
