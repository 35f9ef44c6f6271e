/**
 * `npm run demo`: the gateway on the built-in Open Humans sandbox, for trying it out locally.
 * Starts the sandbox in-process on a free port (its data is generated and fake), then the
 * gateway on PORT (default 4000) pointed at it, and prints the GraphiQL URL and the sandbox's
 * demo tokens so token-scoped queries can be tried too. Nothing here talks to openhumans.org.
 *
 * Environment: PORT (4000), HOST (127.0.0.1), LOG_LEVEL (warn), SANDBOX_SEED (1), and every
 * other gateway variable of `.env.example` except OPENHUMANS_BASE_URL (set to the sandbox).
 */
import { randomBytes } from 'node:crypto';
import { startSandbox } from '../sandbox/index.js';
import { configureOAuthApp } from '../sandbox/routes/direct-sharing-controls.js';
import { ConfigError, loadConfig } from '../src/config.js';
import { startServer } from '../src/server.js';

function configOrExit(env: Record<string, string | undefined>) {
  try {
    return loadConfig(env);
  } catch (err) {
    if (err instanceof ConfigError) {
      process.stderr.write(`${err.message}\n`);
      process.exit(1);
    }
    throw err;
  }
}

const demoEnv: Record<string, string | undefined> = { HOST: '127.0.0.1', LOG_LEVEL: 'warn', ...process.env };
// The sandbox calls the gateway's deauthorization webhook, signed with a secret made up here.
// (Session mode needs the sandbox's client, which does not exist yet: planned without it.)
const planned = configOrExit({ ...demoEnv, OAUTH_SESSIONS: 'false' });
const webhookSecret = randomBytes(24).toString('hex');
const seed = Number(process.env.SANDBOX_SEED ?? 1);
const sandbox = await startSandbox({
  port: 0,
  seed: Number.isInteger(seed) ? seed : 1,
  webhook: { url: `http://127.0.0.1:${planned.server.port}${planned.deauthorization.webhookPath}`, secret: webhookSecret },
});
// OAUTH_SESSIONS=true: the sandbox's OAuth client accepts the demo's callback, and the session
// cookie may be plain-http on localhost (the explicit development setting; refused in production).
const demoOrigin = `http://localhost:${planned.server.port}`;
const sessionsOn = ['1', 'true', 'yes', 'on'].includes((demoEnv.OAUTH_SESSIONS ?? '').trim().toLowerCase());
const sessionEnv = sessionsOn
  ? {
      OAUTH_SESSION_REDIRECT_URI: demoEnv.OAUTH_SESSION_REDIRECT_URI || `${demoOrigin}/auth/openhumans/callback`,
      OAUTH_SESSION_COOKIE_SECURE: demoEnv.OAUTH_SESSION_COOKIE_SECURE || 'false',
    }
  : {};
if (sessionEnv.OAUTH_SESSION_REDIRECT_URI) configureOAuthApp(sandbox.state, { redirectUrl: sessionEnv.OAUTH_SESSION_REDIRECT_URI });
const config = configOrExit({
  ...demoEnv,
  ...sessionEnv,
  OPENHUMANS_BASE_URL: sandbox.url,
  OPENHUMANS_CLIENT_ID: sandbox.clientId,
  OPENHUMANS_CLIENT_SECRET: sandbox.clientSecret,
  OPENHUMANS_PROJECT_ID: String(sandbox.projectId),
  OPENHUMANS_WEBHOOK_SECRET: webhookSecret,
});

const running = await startServer(config).catch(async (err: unknown) => {
  await sandbox.close();
  const code = (err as { code?: string }).code;
  const hint = code === 'EADDRINUSE' ? ` (port ${config.server.port} is taken: try PORT=4001 npm run demo)` : '';
  process.stderr.write(`Cannot start the gateway: ${code ?? String(err)}${hint}\n`);
  process.exit(1);
});

const members = Object.entries(sandbox.memberTokens).slice(0, 3);
const lines = [
  '',
  '  Open Humans GraphQL gateway — demo on the local sandbox (fake data, fake tokens)',
  '',
  `  GraphiQL:  ${running.url}/graphql`,
  `  Sandbox:   ${sandbox.url}  (an Open Humans emulator; seed ${seed})`,
  '',
  '  Public data needs no token. For token-scoped queries, put one of these in GraphiQL’s',
  '  Headers pane as {"Authorization": "Bearer <token>"}:',
  '',
  `  Project master token (project ${sandbox.projectId}):  ${sandbox.masterToken}`,
  ...members.map(([id, token]) => `  Member ${id} OAuth2 token:  ${token}`),
  `  Another project's master token (project ${sandbox.secondProject.projectId}):  ${sandbox.secondProject.masterToken}`,
  `  An expired master token (answers TOKEN_EXPIRED):  ${sandbox.expiredMasterToken}`,
  '',
  '  Try:',
  `    curl -s ${running.url}/graphql -H 'content-type: application/json' \\`,
  `      -d '{"query":"{ projects(first: 3) { edges { node { name } } } }"}'`,
  '',
  ...(config.oauth.sessions.enabled
    ? [
        '  Session mode: sign in with a browser at',
        `    ${demoOrigin}/auth/openhumans/login?returnTo=/graphql`,
        '  (pick a member on the sandbox page), then query `viewer` in GraphiQL without a token.',
        '',
      ]
    : []),
  '  Ctrl+C stops both.',
  '',
];
process.stdout.write(`${lines.join('\n')}\n`);

let stopping = false;
for (const signal of ['SIGINT', 'SIGTERM'] as const) {
  process.on(signal, () => {
    if (stopping) process.exit(1);
    stopping = true;
    void running
      .close(2_000)
      .then(() => sandbox.close())
      .then(() => process.exit(0), () => process.exit(1));
  });
}
