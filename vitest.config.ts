import { defineConfig } from 'vitest/config';

export default defineConfig({
  // One graphql instance: Pothos and yoga load graphql's CommonJS build, so tests must too
  // (otherwise "Cannot use GraphQLScalarType from another module or realm").
  resolve: { alias: { graphql: 'graphql/index.js' } },
  test: {
    environment: 'node',
    include: ['test/**/*.test.ts'],
    exclude: ['test/soak/**', 'node_modules/**'],
    testTimeout: 30_000,
    hookTimeout: 30_000,
  },
});
