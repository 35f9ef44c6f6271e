import type { Sandbox } from '../../sandbox/index.js';
import { configureOAuthApp } from '../../sandbox/routes/direct-sharing-controls.js';
import { type Stack, startStack } from './stack.js';

/** The environment of session mode on the sandbox's OAuth2 app, then `extra`. */
export function sessionEnv(sandbox: Sandbox, extra: Record<string, string> = {}) {
  return {
    OPENHUMANS_CLIENT_ID: sandbox.clientId,
    OPENHUMANS_CLIENT_SECRET: sandbox.clientSecret,
    OAUTH_SESSIONS: 'true',
    ...extra,
  };
}

/**
 * A session-mode gateway listening on loopback, with the sandbox's OAuth2 app redirecting to its
 * callback (the last such stack started gets the sandbox's redirects).
 */
export async function startSessionStack(
  sandbox: Sandbox,
  extra: Record<string, string> = {},
): Promise<{ stack: Stack; base: string }> {
  const stack = await startStack({ sandbox, env: sessionEnv(sandbox, extra) });
  const base = await stack.listen();
  configureOAuthApp(sandbox.state, { redirectUrl: `${base}/auth/openhumans/callback` });
  return { stack, base };
}
