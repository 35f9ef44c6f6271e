/**
 * The gateway's Node flags are stated once for the benchmark (`GATEWAY_NODE_FLAGS`) and repeated
 * where the gateway is started for real: `npm start`, `npm run demo` and the Docker image's CMD.
 * The benchmark must measure the gateway as it ships, so the four may not drift apart.
 */
import { readFileSync } from 'node:fs';
import { describe, expect, it } from 'vitest';
import { GATEWAY_NODE_FLAGS } from '../../bench/lib/systems.js';

const scripts = (
  JSON.parse(readFileSync('package.json', 'utf8')) as {
    scripts: Record<string, string>;
  }
).scripts;

/** The flags between `node` and the first argument that is not a flag of node's own. */
function nodeFlagsOf(argv: readonly string[]): string[] {
  expect(argv[0]).toBe('node');
  const flags: string[] = [];
  for (let i = 1; i < argv.length; i++) {
    const arg = argv[i] as string;
    if (arg === '--import') {
      i++; // the loader (tsx) is how the script runs, not a runtime setting
      continue;
    }
    if (!arg.startsWith('--')) break;
    flags.push(arg);
  }
  return flags;
}

describe('the gateway runs with the same Node flags everywhere', () => {
  it('the benchmark states at least one flag (the young generation size)', () => {
    expect(GATEWAY_NODE_FLAGS).toContain('--max-semi-space-size=32');
  });

  it.each(['start', 'demo'])('npm run %s', (name) => {
    const argv = (scripts[name] ?? '').split(/\s+/);
    expect(nodeFlagsOf(argv)).toEqual([...GATEWAY_NODE_FLAGS]);
  });

  it("the Docker image's CMD", () => {
    const cmd = readFileSync('Dockerfile', 'utf8')
      .split('\n')
      .filter((line) => line.startsWith('CMD '))
      .at(-1);
    const argv = JSON.parse((cmd ?? '').slice('CMD '.length)) as string[];
    expect(nodeFlagsOf(argv)).toEqual([...GATEWAY_NODE_FLAGS]);
    expect(argv.at(-1)).toBe('dist/src/main.js');
  });
});
