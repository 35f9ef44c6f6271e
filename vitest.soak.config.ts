import { defineConfig } from 'vitest/config';

// Heavy suites (fault runs, thousands of bad inputs, load, large uploads): `npm run test:soak`.
export default defineConfig({
  // One graphql instance: Pothos and yoga load graphql's CommonJS build, so tests must too
  // (otherwise "Cannot use GraphQLScalarType from another module or realm").
  resolve: { alias: { graphql: 'graphql/index.js' } },
  test: {
    environment: 'node',
    include: ['test/soak/**/*.soak.ts'],
    testTimeout: 600_000,
    hookTimeout: 60_000,
    fileParallelism: false,
  },
});
