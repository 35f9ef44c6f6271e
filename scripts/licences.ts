/**
 * `npm run licences`: writes THIRD_PARTY_NOTICES.md, the licences of the production dependency
 * tree (what `npm ci --omit=dev` installs), read from each installed package's package.json and
 * walked from ours the way Node resolves them. With `--check`, exits non-zero when the committed
 * file is stale instead of writing it. A licence that is not permissive needs a note in NOTES
 * below (what it allows and forbids): without one the run fails.
 */
import { existsSync, readFileSync } from 'node:fs';
import { readFile, writeFile } from 'node:fs/promises';
import { dirname, join, relative } from 'node:path';
import { fileURLToPath } from 'node:url';

interface Manifest {
  name?: string;
  version?: string;
  license?: unknown;
  licenses?: unknown;
  dependencies?: Record<string, string>;
  optionalDependencies?: Record<string, string>;
  peerDependencies?: Record<string, string>;
  peerDependenciesMeta?: Record<string, { optional?: boolean }>;
}

export interface Installed {
  name: string;
  version: string;
  licence: string;
  /** Reached only through optionalDependencies (absent after `npm ci --omit=optional`). */
  optional: boolean;
  /** The dependency chain from our package.json, nearest last. */
  via: string[];
}

/** Licences that ask no more than keeping the notice (SPDX ids). */
const PERMISSIVE = new Set([
  'MIT',
  'MIT-0',
  'ISC',
  'Apache-2.0',
  'BSD-2-Clause',
  'BSD-3-Clause',
  '0BSD',
  'BlueOak-1.0.0',
  'CC0-1.0',
  'Unlicense',
]);

/**
 * What each non-permissive licence in the tree allows and forbids, for those who run the gateway.
 */
export const NOTES: Readonly<Record<string, string>> = {
  'Elastic-2.0': [
    'The Elastic License 2.0 lets you use, copy, modify and distribute the package, in products too, ' +
      'with three limitations: you may not provide it to third parties as a hosted or managed service ' +
      'that gives them access to a substantial set of its features; you may not circumvent licence-key ' +
      'functionality (this package has none); you may not remove its licensing or copyright notices, and ' +
      'whoever gets a copy from you (in a Docker image, say) must get its terms: its LICENSE file, which ' +
      '`npm ci` installs beside it. Keep it.',
    'Here it serves the federation subgraph (`/subgraph`): it builds and prints the subgraph schema ' +
      'inside the gateway. Serving your own subgraph to your own router or supergraph offers the ' +
      'gateway as a service, not the package, which in our reading the licence allows. What it forbids ' +
      'is offering the federation functionality itself to others as a hosted service (running their ' +
      'subgraphs or supergraphs for them with it, say). This is a reading, not legal advice.',
    'It is optional: `npm ci --omit=dev --omit=optional`, or `docker build --build-arg ' +
      'WITHOUT_FEDERATION=1 .`, leaves it out; the gateway then serves `/graphql` unchanged and ' +
      '`/subgraph` answers 501 (README, Federation).',
  ].join('\n\n'),
};

/** Whether an SPDX expression is permissive: any side of an OR, every side of an AND. */
export function isPermissive(expression: string): boolean {
  const bare = expression.replace(/[()]/g, '').trim();
  if (bare.includes(' OR ')) return bare.split(' OR ').some((part) => isPermissive(part));
  return bare.split(' AND ').every((part) => PERMISSIVE.has(part.trim()));
}

function licenceOf(manifest: Manifest): string {
  const { license, licenses } = manifest;
  if (typeof license === 'string') return license;
  const typed = (value: unknown): string | null =>
    typeof value === 'object' && value !== null && 'type' in value && typeof value.type === 'string'
      ? value.type
      : null;
  if (typed(license)) return typed(license) ?? 'UNKNOWN';
  if (Array.isArray(licenses)) return `(${licenses.map(typed).filter(Boolean).join(' OR ')})`;
  return 'UNKNOWN';
}

/** Code-point order: the same file on every machine, whatever its locale. */
const byText = (a: string, b: string): number => (a < b ? -1 : a > b ? 1 : 0);

const readManifest = (dir: string): Manifest =>
  JSON.parse(readFileSync(join(dir, 'package.json'), 'utf8')) as Manifest;

/** Node's lookup: `node_modules/<name>` in `from`, then in each directory above, up to `root`. */
function resolvePackage(from: string, name: string, root: string): string | null {
  for (let dir = from; ; dir = dirname(dir)) {
    const candidate = join(dir, 'node_modules', name);
    if (existsSync(join(candidate, 'package.json'))) return candidate;
    if (dir === root || dirname(dir) === dir) return null;
  }
}

interface Edge {
  name: string;
  optional: boolean;
}

function edgesOf(manifest: Manifest, followOptional: boolean): Edge[] {
  const required = Object.keys(manifest.dependencies ?? {}).map((name) => ({
    name,
    optional: false,
  }));
  const peers = Object.keys(manifest.peerDependencies ?? {}).map((name) => ({
    name,
    optional: manifest.peerDependenciesMeta?.[name]?.optional === true,
  }));
  const optional = Object.keys(manifest.optionalDependencies ?? {}).map((name) => ({
    name,
    optional: true,
  }));
  return [...required, ...peers, ...optional].filter((edge) => followOptional || !edge.optional);
}

/** Every installed package reachable from `root`'s dependencies: directory → chain of names. */
function walk(root: string, followOptional: boolean): Map<string, string[]> {
  const seen = new Map<string, string[]>();
  const queue: { dir: string; via: string[] }[] = [{ dir: root, via: [] }];
  for (let item = queue.shift(); item; item = queue.shift()) {
    const manifest = readManifest(item.dir);
    const edges =
      item.dir === root
        ? edgesOf({ ...manifest, peerDependencies: {} }, followOptional)
        : edgesOf(manifest, followOptional);
    for (const edge of edges) {
      const dir = resolvePackage(item.dir, edge.name, root);
      if (!dir) {
        // Optional packages may be absent (another platform's build, or --omit=optional).
        if (edge.optional) continue;
        throw new Error(
          `${edge.name} (needed by ${manifest.name ?? 'the project'}) is not installed: run npm ci`,
        );
      }
      if (seen.has(dir)) continue;
      const via = item.dir === root ? [] : [...item.via, manifest.name ?? relative(root, item.dir)];
      seen.set(dir, via);
      queue.push({ dir, via });
    }
  }
  return seen;
}

/** One row per name and version (npm may install one in several places): required wins. */
function distinct(packages: Installed[]): Installed[] {
  const rows = new Map<string, Installed>();
  for (const p of packages) {
    const key = `${p.name}@${p.version}`;
    const known = rows.get(key);
    if (!known || (known.optional && !p.optional)) rows.set(key, p);
  }
  return [...rows.values()];
}

/** The production tree of the project at `root`, one row per name and version, sorted. */
export function productionTree(root: string): Installed[] {
  const required = walk(root, false);
  const installed = [...walk(root, true)].map(([dir, via]) => {
    const manifest = readManifest(dir);
    return {
      name: manifest.name ?? relative(root, dir),
      version: manifest.version ?? '?',
      licence: licenceOf(manifest),
      optional: !required.has(dir),
      via,
    };
  });
  return distinct(installed).sort((a, b) => byText(a.name, b.name) || byText(a.version, b.version));
}

function callouts(tree: Installed[]): string[] {
  return tree
    .filter((p) => !isPermissive(p.licence))
    .map((p) => {
      const note = NOTES[p.licence];
      if (!note)
        throw new Error(
          `${p.name}@${p.version} is ${p.licence}, which is not permissive: add a note to NOTES in scripts/licences.ts`,
        );
      const chain = [...p.via, p.name].map((name) => `\`${name}\``).join(' → ');
      const optional = p.optional ? ', optional' : '';
      return `### \`${p.name}\` ${p.version}: ${p.licence}${optional}\n\nReached through ${chain}.\n\n${note}\n`;
    });
}

function counts(tree: Installed[]): string[] {
  const byLicence = new Map<string, number>();
  for (const p of tree) byLicence.set(p.licence, (byLicence.get(p.licence) ?? 0) + 1);
  return [...byLicence]
    .sort((a, b) => b[1] - a[1] || byText(a[0], b[0]))
    .map(([licence, n]) => `| ${licence} | ${n} |`);
}

/** THIRD_PARTY_NOTICES.md for `tree`. */
export function renderNotices(tree: Installed[]): string {
  const optional = tree.filter((p) => p.optional).length;
  const flagged = callouts(tree);
  return [
    '# Third-party notices',
    '',
    'Generated by `npm run licences` (scripts/licences.ts) from the installed production dependency',
    `tree, what \`npm ci --omit=dev\` installs: ${tree.length} packages, ${optional} of them only through`,
    '`optionalDependencies` or optional peers (`npm ci --omit=dev --omit=optional` leaves those out).',
    'Regenerate after changing dependencies; `npm run licences -- --check`',
    "fails when this file is stale. This project's own code is MIT (LICENSE). Each package's full",
    'licence text ships in its directory under `node_modules`.',
    '',
    '## Not permissive',
    '',
    ...(flagged.length > 0 ? flagged : ['None.\n']),
    '## Licences',
    '',
    '| Licence | Packages |',
    '| --- | --- |',
    ...counts(tree),
    '',
    '## Packages',
    '',
    '| Package | Version | Licence | Optional |',
    '| --- | --- | --- | --- |',
    ...tree.map(
      (p) => `| \`${p.name}\` | ${p.version} | ${p.licence} | ${p.optional ? 'yes' : ''} |`,
    ),
    '',
  ].join('\n');
}

async function main(): Promise<void> {
  const root = fileURLToPath(new URL('..', import.meta.url)).replace(/\/$/, '');
  const target = join(root, 'THIRD_PARTY_NOTICES.md');
  const rendered = renderNotices(productionTree(root));
  if (!process.argv.includes('--check')) {
    await writeFile(target, rendered);
    console.log('wrote THIRD_PARTY_NOTICES.md');
    return;
  }
  const committed = await readFile(target, 'utf8').catch(() => '');
  if (committed === rendered) {
    console.log('THIRD_PARTY_NOTICES.md is up to date.');
    return;
  }
  console.error('THIRD_PARTY_NOTICES.md is stale: run `npm run licences` and commit the result.');
  process.exitCode = 1;
}

if (process.argv[1] && fileURLToPath(import.meta.url) === process.argv[1]) await main();
