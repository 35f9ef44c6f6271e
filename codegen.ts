/**
 * `npm run codegen` (offline): prints `schema.graphql` from the Pothos schema (the one printer,
 * scripts/print-schema.ts), then generates typed documents for the tests into `test/gql/` from
 * `test/**\/*.graphql`. Run it after changing the schema or a test document; commit the output.
 */
import type { CodegenConfig } from '@graphql-codegen/cli';

const config: CodegenConfig = {
  overwrite: true,
  // The Pothos module itself (loaded through tsx, see the npm script); no server, no network.
  schema: process.env.CODEGEN_SCHEMA ?? './src/schema/index.ts',
  documents: ['test/**/*.graphql'],
  ignoreNoDocuments: false,
  // NodeNext needs explicit `.js` extensions in the generated imports.
  emitLegacyCommonJSImports: false,
  hooks: { afterStart: ['node --import tsx scripts/print-schema.ts'] },
  generates: {
    'test/gql/': {
      preset: 'client',
      presetConfig: { fragmentMasking: false },
      config: {
        useTypeImports: true,
        enumsAsTypes: true,
        scalars: {
          DateTime: 'string',
          URL: 'string',
          JSONObject: 'Record<string, unknown>',
          ID: 'string',
        },
      },
    },
  },
};

export default config;
