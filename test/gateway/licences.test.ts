/**
 * `npm run licences` (scripts/licences.ts): the production tree it reads is what npm installs,
 * and nothing that is not permissive is required in production.
 */
import { fileURLToPath } from 'node:url';
import { describe, expect, it } from 'vitest';
import {
  type Installed,
  isPermissive,
  NOTES,
  productionTree,
  renderNotices,
} from '../../scripts/licences.js';

const root = fileURLToPath(new URL('../../', import.meta.url)).replace(/\/$/, '');

describe('third-party licences', () => {
  const tree = productionTree(root);

  it('walks the production tree: our dependencies, their dependencies, no devDependency of ours', () => {
    const names = new Set(tree.map((p) => p.name));
    for (const name of [
      'graphql-yoga',
      'undici',
      '@pothos/core',
      '@whatwg-node/server',
      'dataloader',
    ])
      expect(names).toContain(name);
    for (const name of [
      'vitest',
      'typescript',
      'tsx',
      '@graphql-hive/gateway-runtime',
      'relay-compiler',
    ])
      expect(names).not.toContain(name);
  });

  it('requires nothing non-permissive in production: Elastic-2.0 comes only with optional federation', () => {
    const restricted = tree.filter((p) => !isPermissive(p.licence));
    expect(restricted.map((p) => `${p.name} ${p.licence}`)).toEqual([
      '@apollo/federation-internals Elastic-2.0',
    ]);
    expect(restricted.every((p) => p.optional)).toBe(true);
    expect(tree.find((p) => p.name === '@apollo/subgraph')?.optional).toBe(true);
    expect(tree.find((p) => p.name === 'graphql-yoga')?.optional).toBe(false);
  });

  it('reads SPDX expressions: any side of OR, every side of AND', () => {
    expect(isPermissive('MIT')).toBe(true);
    expect(isPermissive('(MIT AND BSD-3-Clause)')).toBe(true);
    expect(isPermissive('(MIT OR GPL-3.0-only)')).toBe(true);
    expect(isPermissive('(MIT AND GPL-3.0-only)')).toBe(false);
    expect(isPermissive('Elastic-2.0')).toBe(false);
    expect(isPermissive('UNKNOWN')).toBe(false);
  });

  it('calls out each non-permissive licence with its note, and refuses one it has no note for', () => {
    const elastic = tree.filter((p) => p.licence === 'Elastic-2.0');
    expect(renderNotices(elastic)).toContain(NOTES['Elastic-2.0']);
    const gpl: Installed = {
      name: 'copyleft',
      version: '1.0.0',
      licence: 'GPL-3.0-only',
      optional: false,
      via: [],
    };
    expect(() => renderNotices([gpl])).toThrow(/copyleft@1.0.0 is GPL-3.0-only.*add a note/);
  });
});
