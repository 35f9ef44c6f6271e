/**
 * The Pothos federation plugin, when it is installed.
 *
 * `@pothos/plugin-federation` imports `@apollo/subgraph` as soon as it loads, and that brings
 * `@apollo/federation-internals`, licensed Elastic-2.0 (see THIRD_PARTY_NOTICES.md). Both are
 * optional dependencies: `npm ci --omit=optional` leaves them out, and then the schema is built
 * without the plugin (no entity keys; `/graphql` is the same) and `/subgraph` answers that
 * federation is not installed. Loaded with `import()`, so their absence is not a crash.
 */

type FederationModule = typeof import('@pothos/plugin-federation');
export type FederationPluginName = FederationModule['default'];

/** Whether `err` is Node's "this package is not installed" (ESM or CommonJS resolution). */
export function isModuleNotFound(err: unknown): boolean {
  if (!(err instanceof Error) || !('code' in err)) return false;
  return err.code === 'ERR_MODULE_NOT_FOUND' || err.code === 'MODULE_NOT_FOUND';
}

/** The plugin's name for `new SchemaBuilder({ plugins })`, or null when it is not installed. */
export async function loadFederationPlugin(
  importer: () => Promise<FederationModule> = () => import('@pothos/plugin-federation'),
): Promise<FederationPluginName | null> {
  try {
    return (await importer()).default;
  } catch (err) {
    // Only absence is tolerated: a broken install of a present package still fails loudly.
    if (isModuleNotFound(err)) return null;
    throw err;
  }
}

/** Thrown where the subgraph is wanted but the optional federation packages are not installed. */
export class FederationNotInstalled extends Error {
  constructor(options?: { cause?: unknown }) {
    super(
      'Federation is not installed: `/subgraph` needs the optional dependencies @pothos/plugin-federation and ' +
        '@apollo/subgraph, which this installation left out (`npm ci --omit=optional`). Install them, or unset SUBGRAPH_SECRET.',
      options,
    );
    this.name = 'FederationNotInstalled';
  }
}

/** Registered (imported) once, before the builder is created (src/schema/builder.ts). */
export const federationPlugin: FederationPluginName | null = await loadFederationPlugin();
