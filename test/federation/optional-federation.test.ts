/**
 * Federation is optional: `@pothos/plugin-federation` and `@apollo/subgraph` (whose
 * `@apollo/federation-internals` is Elastic-2.0) are optionalDependencies, loaded with `import()`.
 * A child Node hides them as `npm ci --omit=optional` would (fixtures/hide-packages.mjs): the
 * gateway must start, build the committed client schema, serve `/graphql`, and answer
 * `/subgraph` with 501 and what to install, logging it once.
 */
import { spawn } from 'node:child_process';
import { describe, expect, it } from 'vitest';
import {
  FederationNotInstalled,
  loadFederationPlugin,
} from '../../src/schema/federation-plugin.js';

interface Report {
  federationPlugin: string | null;
  sameClientSchema: boolean;
  graphql: { status: number; edges: number | null; errors: unknown };
  subgraph: {
    status: number;
    body: { errors?: { message: string; extensions?: { code?: string } }[] };
  }[];
  notInstalledLogLines: number;
}

/** Runs fixtures/without-federation.ts with `hidden` unresolvable; its one JSON line. */
async function runWithout(hidden: string[]): Promise<Report> {
  const child = spawn(
    process.execPath,
    [
      '--import',
      'tsx',
      '--import',
      './test/federation/fixtures/hide-packages.mjs',
      'test/federation/fixtures/without-federation.ts',
    ],
    { env: { ...process.env, HIDE_PACKAGES: hidden.join(',') }, stdio: ['ignore', 'pipe', 'pipe'] },
  );
  let out = '';
  let err = '';
  child.stdout.on('data', (chunk: Buffer) => (out += chunk.toString()));
  child.stderr.on('data', (chunk: Buffer) => (err += chunk.toString()));
  const code = await new Promise<number | null>((resolve) => child.on('exit', resolve));
  expect(code, err).toBe(0);
  return JSON.parse(out.trim().split('\n').pop() ?? '') as Report;
}

function expectRunsWithoutFederation(report: Report): void {
  expect(report.federationPlugin).toBeNull();
  expect(report.sameClientSchema).toBe(true);
  expect(report.graphql).toEqual({ status: 200, edges: 2, errors: null });
  for (const answer of report.subgraph) {
    expect(answer.status).toBe(501);
    expect(answer.body.errors?.[0]?.extensions?.code).toBe('INTERNAL_SERVER_ERROR');
    expect(answer.body.errors?.[0]?.message).toMatch(
      /Federation is not installed.*@apollo\/subgraph.*unset SUBGRAPH_SECRET/,
    );
  }
  // Said once in the log, however many times a router asks.
  expect(report.notInstalledLogLines).toBe(1);
}

describe('federation left out (npm ci --omit=optional)', () => {
  it('without @apollo/subgraph (so the Pothos plugin cannot load either): /graphql serves, /subgraph answers 501', {
    timeout: 120_000,
  }, async () => {
    expectRunsWithoutFederation(await runWithout(['@apollo/subgraph']));
  });

  it('without @pothos/plugin-federation (@apollo/subgraph present): the same', {
    timeout: 120_000,
  }, async () => {
    expectRunsWithoutFederation(await runWithout(['@pothos/plugin-federation']));
  });
});

describe('loadFederationPlugin', () => {
  const notFound = Object.assign(new Error("Cannot find package '@apollo/subgraph'"), {
    code: 'ERR_MODULE_NOT_FOUND',
  });

  it('is the plugin name when installed, null when the import finds no package', async () => {
    expect(await loadFederationPlugin()).toBe('federation');
    expect(await loadFederationPlugin(() => Promise.reject(notFound))).toBeNull();
  });

  it('lets any other import failure through (a broken install is not an absent one)', async () => {
    const broken = new SyntaxError('Unexpected token');
    await expect(loadFederationPlugin(() => Promise.reject(broken))).rejects.toBe(broken);
  });

  it('names the packages and the way out in its error', () => {
    expect(new FederationNotInstalled().message).toContain('@pothos/plugin-federation');
  });
});
