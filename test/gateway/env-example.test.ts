import { readdir, readFile } from 'node:fs/promises';
import { describe, expect, it } from 'vitest';
import { loadConfig } from '../../src/config/index.js';

const root = new URL('../../', import.meta.url);

/** `NAME=value` lines of .env.example. */
async function exampleEntries(): Promise<Map<string, string>> {
  const text = await readFile(new URL('.env.example', root), 'utf8');
  const entries = new Map<string, string>();
  for (const line of text.split('\n')) {
    const match = /^([A-Z][A-Z0-9_]*)=(.*)$/.exec(line.trim());
    if (match?.[1]) entries.set(match[1], match[2] ?? '');
  }
  return entries;
}

describe('.env.example', () => {
  it('documents every variable src/config/index.ts reads', async () => {
    // src/config/index.ts and every group it reads from (src/config/*.ts).
    const groups = (await readdir(new URL('src/config/', root))).filter((f) => f.endsWith('.ts'));
    const source = (
      await Promise.all(
        ['src/config/index.ts', ...groups.map((f) => `src/config/${f}`)].map((f) =>
          readFile(new URL(f, root), 'utf8'),
        ),
      )
    ).join('\n');
    const read = [...source.matchAll(/r\.\w+\('([A-Z][A-Z0-9_]*)'/g)].map((m) => m[1]);
    expect(read.length).toBeGreaterThan(10);
    const documented = await exampleEntries();
    expect(read.filter((name) => name && !documented.has(name))).toEqual([]);
  });

  it('is itself a valid configuration', async () => {
    const env = Object.fromEntries(await exampleEntries());
    expect(() => loadConfig(env)).not.toThrow();
  });
});
