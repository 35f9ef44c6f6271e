/**
 * `npm run bench` — floor, gateway and peer side by side against the sandbox with injected
 * upstream latency; writes docs/benchmarks.{json,md,svg}.
 *
 *   npm run bench                       full run (about 5 minutes here)
 *   npm run bench -- --smoke            a few requests per level, report in bench/results/tmp/smoke
 *   npm run bench -- --out DIR          write the report elsewhere
 *   npm run bench -- --cases a,c        only some cases (a, b-last, b-after, c, d)
 *   npm run bench -- --systems floor,gateway   only some systems (floor, gateway,
 *                                       gateway-pages-uncached, gateway-nocache, peer, and
 *                                       gateway-nocache-b64: case (d) only, budget 64)
 *   npm run bench -- --no-upload        skip scenario (e)
 */

import { defaultOptions, runBench } from './lib/bench.js';
import { CASES, type CaseId } from './lib/cases.js';
import type { SystemId } from './lib/types.js';

const argv = process.argv.slice(2);
const flag = (name: string): boolean => argv.includes(name);
const value = (name: string): string | undefined => {
  const i = argv.indexOf(name);
  return i >= 0 ? argv[i + 1] : undefined;
};

const options = defaultOptions(flag('--smoke'));
const out = value('--out');
if (out) options.outDir = out;
const cases = value('--cases');
if (cases) {
  const known = new Set<string>(CASES.map((c) => c.id));
  const wanted = cases.split(',');
  const unknown = wanted.filter((c) => !known.has(c));
  if (unknown.length) throw new Error(`unknown case(s): ${unknown.join(', ')}`);
  options.cases = wanted as CaseId[];
}
const systems = value('--systems');
if (systems) options.systems = systems.split(',') as SystemId[];
if (flag('--no-upload')) options.uploadBytes = 0;

try {
  const report = await runBench(options);
  const missed = report.targets.filter((t) => t.pass === false).length;
  const unknown = report.targets.filter((t) => t.pass === null).length;
  process.stderr.write(
    `bench: targets: ${report.targets.length - missed - unknown} met, ${missed} missed, ${unknown} not measurable\n`,
  );
} catch (err) {
  process.stderr.write(
    `bench failed: ${err instanceof Error ? (err.stack ?? err.message) : String(err)}\n`,
  );
  process.exitCode = 1;
}
