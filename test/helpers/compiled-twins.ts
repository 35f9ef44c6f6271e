/** Set-ups the compiled-execution tests share (src/http/compiled-execution.ts). */
import type { Sandbox } from '../../sandbox/index.js';
import { type Stack, type StackOptions, startStack } from './stack.js';

/**
 * Two gateways on one sandbox, alike but for `COMPILED_EXECUTION`. `options.env` applies to
 * both; the caller closes them.
 */
export async function startTwinStacks(
  sandbox: Sandbox,
  options: Omit<StackOptions, 'sandbox'> = {},
): Promise<{ interpreted: Stack; compiled: Stack }> {
  const env = options.env ?? {};
  const interpreted = await startStack({
    ...options,
    sandbox,
    env: { ...env, COMPILED_EXECUTION: 'off' },
  });
  const compiled = await startStack({ ...options, sandbox, env });
  return { interpreted, compiled };
}

/** The sandbox mints a fresh download key for every listing it answers: blank them to compare. */
export const withoutDownloadKeys = (text: string): string =>
  text.replace(/([?&]key=)[^"&]+/g, '$1…');
