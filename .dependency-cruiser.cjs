/**
 * Import rules of the gateway (`npm run deps:check`, part of `npm test`). The layers:
 *
 *   src/schema       GraphQL types and resolvers
 *     -> src/loaders     per-request loaders through which the schema reads
 *       -> src/datasources   the Open Humans client (public, direct-sharing, writes)
 *
 * HTTP and GraphQL-server concerns (yoga plugins, the multipart transport) live in src/http and
 * sit above the data layer. Imports only go down; each rule says what breaks when one goes up.
 *
 * Parsed with swc: dependency-cruiser reads TypeScript through the `typescript` package only up
 * to 6.x, and the project compiles with 7. swc does not tell type-only imports apart, so
 * `import type` counts like any import here (stricter, and what a reader of the file sees).
 */
module.exports = {
  forbidden: [
    {
      name: 'no-circular',
      severity: 'error',
      comment:
        'A circle has no layer order: its modules can only be read, tested and replaced together, and ' +
        'ES module cycles see half-initialised bindings at start-up. Move the shared piece (a type, an ' +
        'interface) into a module both import.',
      from: {},
      to: { circular: true },
    },
    {
      name: 'datasources-not-to-loaders-or-schema',
      severity: 'error',
      comment:
        'The data layer serves the loaders and the schema, never the other way: a data source that ' +
        'imports them cannot be used (or tested) without the GraphQL layer, and GraphQL names (input ' +
        'paths, type names) leak into upstream code.',
      from: { path: '^src/datasources/' },
      to: { path: '^src/(loaders|schema)/' },
    },
    {
      name: 'loaders-not-to-schema',
      severity: 'error',
      comment: 'Loaders are what the schema reads through; the schema is above them.',
      from: { path: '^src/loaders/' },
      to: { path: '^src/schema/' },
    },
    {
      name: 'datasources-not-to-server',
      severity: 'error',
      comment:
        'Yoga/envelop plugins and other HTTP-server concerns (src/http, the multipart transport in ' +
        'src/http/multipart) belong to the server, not to the Open Humans client: the data layer must ' +
        'run under any server, a script or a test without one.',
      from: { path: '^src/datasources/' },
      to: {
        path: [
          '^src/http/',
          '^src/(context|gateway|server|main)\\.ts$',
          '(^|/)node_modules/(graphql-yoga|@graphql-yoga|@envelop)/',
        ],
      },
    },
    {
      name: 'auth-not-to-datasources',
      severity: 'error',
      comment:
        'auth/ (token kinds, token-keyed caches) is used by the data sources; importing them back ' +
        'would make a circle between the two folders.',
      from: { path: '^src/auth/' },
      to: { path: '^src/datasources/' },
    },
    {
      name: 'src-not-to-sandbox',
      severity: 'error',
      comment:
        'sandbox/ is the Open Humans emulator for tests and demos; the gateway must not ship or lean ' +
        'on it (it would pass against the sandbox and fail against openhumans.org).',
      from: { path: '^src/' },
      to: { path: '^sandbox/' },
    },
    {
      name: 'sandbox-not-to-src',
      severity: 'error',
      comment:
        'The sandbox emulates the upstream independently of the gateway; sharing code with it would ' +
        'let a bug in that code pass the tests on both sides.',
      from: { path: '^sandbox/' },
      to: { path: '^src/' },
    },
    {
      name: 'not-to-unresolvable',
      severity: 'error',
      comment:
        'An import the cruiser cannot resolve is an edge no rule above sees; keep every import ' +
        'resolvable so the rules check the real graph.',
      from: {},
      to: { couldNotResolve: true },
    },
  ],
  options: {
    parser: 'swc',
    tsPreCompilationDeps: true,
    tsConfig: { fileName: 'tsconfig.json' },
    doNotFollow: { path: 'node_modules' },
    // Resolve packages the way Node and tsc do (export maps; type-only packages by `types`).
    enhancedResolveOptions: {
      exportsFields: ['exports'],
      conditionNames: ['import', 'require', 'node', 'default', 'types'],
      mainFields: ['module', 'main', 'types', 'typings'],
    },
    // Node built-ins and packages are edges too (so the yoga rule sees them), but not cruised.
    exclude: { path: '^(dist|coverage|\\.ci)/' },
  },
};
