/**
 * The demo (`npm run demo`) as a function, so the README test runs every README example against
 * exactly what a new user gets: the sandbox (seed 1 by default) and the gateway pointed at it,
 * plus the values the README examples need on that sandbox (a project with public files, a
 * member, the OAuth2 redirect URI the sandbox accepts), printed by the demo.
 */
import { randomBytes } from 'node:crypto';
import type { AddressInfo } from 'node:net';
import type { Sandbox } from '../sandbox/index.js';
import { startSandbox } from '../sandbox/index.js';
import { configureOAuthApp } from '../sandbox/routes/direct-sharing-controls.js';
import type { Config } from '../src/config/index.js';
import { loadConfig } from '../src/config/index.js';
import type { RunningServer } from '../src/server.js';
import { startServer } from '../src/server.js';

/** The variables the README's examples use, with values that exist on the demo's sandbox. */
export interface ExampleVariables {
  /** `FilesOfAProject`: an approved project with public files. */
  projectId: number;
  /** `DataTypeTree`: a data type with sub-types and public files. */
  dataTypeId: number;
  /** `Member`: a public member who shares files. */
  username: string;
  /** Uploads, `CleanUp`: a member of the demo project (use the project master token). */
  member: string;
  /** `SignInUrl`, `FinishSignIn`: the OAuth2 redirect URI registered for the demo project. */
  redirectUri: string;
}

export interface Demo {
  sandbox: Sandbox;
  running: RunningServer;
  config: Config;
  seed: number;
  examples: ExampleVariables;
  /** What `npm run demo` prints. */
  banner(): string;
  close(): Promise<void>;
}

type Env = Record<string, string | undefined>;

/**
 * Starts the sandbox and the gateway on it. @throws ConfigError, or the listen error (EADDRINUSE).
 */
export async function startDemo(env: Env): Promise<Demo> {
  const demoEnv = { HOST: '127.0.0.1', LOG_LEVEL: 'warn', ...env };
  // The sandbox calls the gateway's deauthorization webhook, signed with a secret made up here.
  // (Session mode needs the sandbox's client, which does not exist yet: planned without it.)
  const planned = loadConfig({ ...demoEnv, OAUTH_SESSIONS: 'false' });
  const webhookSecret = randomBytes(24).toString('hex');
  const wanted = Number(env.SANDBOX_SEED ?? 1);
  const seed = Number.isInteger(wanted) ? wanted : 1;
  const sandbox = await startSandbox({
    port: 0,
    seed,
    webhook: {
      url: `http://127.0.0.1:${planned.server.port}${planned.deauthorization.webhookPath}`,
      secret: webhookSecret,
    },
  });
  const sessionEnv = demoSessionEnv(demoEnv, planned.server.port);
  if (sessionEnv.OAUTH_SESSION_REDIRECT_URI)
    configureOAuthApp(sandbox.state, { redirectUrl: sessionEnv.OAUTH_SESSION_REDIRECT_URI });
  let running: RunningServer;
  let config: Config;
  try {
    config = loadConfig({
      ...demoEnv,
      ...sessionEnv,
      OPENHUMANS_BASE_URL: sandbox.url,
      OPENHUMANS_CLIENT_ID: sandbox.clientId,
      OPENHUMANS_CLIENT_SECRET: sandbox.clientSecret,
      OPENHUMANS_PROJECT_ID: String(sandbox.projectId),
      OPENHUMANS_WEBHOOK_SECRET: webhookSecret,
    });
    running = await startServer(config);
  } catch (err) {
    await sandbox.close();
    throw err;
  }
  // With PORT=0 the webhook can only be pointed at the gateway once it listens.
  const app = sandbox.store.project(sandbox.projectId)?.oauth2;
  if (planned.server.port === 0 && app) {
    app.webhookUrl = `http://127.0.0.1:${(running.server.address() as AddressInfo).port}${config.deauthorization.webhookPath}`;
  }
  const examples = await exampleVariables(running, sandbox);
  return {
    sandbox,
    running,
    config,
    seed,
    examples,
    banner: () => bannerOf(running, sandbox, seed, examples, config),
    close: async () => {
      await running.close(2_000);
      await sandbox.close();
    },
  };
}

/**
 * OAUTH_SESSIONS=true: the sandbox's OAuth client accepts the demo's callback, and the session
 * cookie may be plain-http on localhost (the explicit development setting; refused in production).
 */
function demoSessionEnv(env: Env, port: number): Env {
  const on = ['1', 'true', 'yes', 'on'].includes((env.OAUTH_SESSIONS ?? '').trim().toLowerCase());
  if (!on) return {};
  return {
    OAUTH_SESSION_REDIRECT_URI:
      env.OAUTH_SESSION_REDIRECT_URI || `http://localhost:${port}/auth/openhumans/callback`,
    OAUTH_SESSION_COOKIE_SECURE: env.OAUTH_SESSION_COOKIE_SECURE || 'false',
  };
}

/** Asks the gateway (in-process) for values the README examples can use on this sandbox. */
async function exampleVariables(
  running: RunningServer,
  sandbox: Sandbox,
): Promise<ExampleVariables> {
  const ask = async <T>(query: string): Promise<T> => {
    const res = await running.gateway.fetch(new URL('/graphql', 'http://localhost'), {
      method: 'POST',
      headers: { 'content-type': 'application/json', accept: 'application/graphql-response+json' },
      body: JSON.stringify({ query }),
    });
    const body = (await res.json()) as { data?: T; errors?: unknown };
    if (!body.data)
      throw new Error(`demo: cannot read the sandbox: ${JSON.stringify(body.errors)}`);
    return body.data;
  };
  type Edges<N> = { edges: { node: N }[] };
  const { projects } = await ask<{
    projects: Edges<{ databaseId: number; dataFiles: { totalCount: number } | null }>;
  }>('{ projects(first: 5) { edges { node { databaseId dataFiles(first: 1) { totalCount } } } } }');
  const { dataTypes } = await ask<{
    dataTypes: Edges<{
      databaseId: number;
      children: unknown[];
      dataFiles: { totalCount: number } | null;
    }>;
  }>(
    '{ dataTypes(first: 10) { edges { node { databaseId children { name } dataFiles(first: 1) { totalCount } } } } }',
  );
  const { users } = await ask<{
    users: Edges<{ username: string; dataFiles: { totalCount: number } | null }>;
  }>('{ users(first: 5) { edges { node { username dataFiles(first: 1) { totalCount } } } } }');
  const project = projects.edges.find((e) => (e.node.dataFiles?.totalCount ?? 0) > 0)?.node;
  const dataType =
    dataTypes.edges.find(
      (e) => e.node.children.length > 0 && (e.node.dataFiles?.totalCount ?? 0) > 0,
    )?.node ?? dataTypes.edges[0]?.node;
  const user = users.edges.find((e) => (e.node.dataFiles?.totalCount ?? 0) > 0)?.node;
  const member = Object.keys(sandbox.memberTokens)[0];
  const redirectUri = sandbox.store.project(sandbox.projectId)?.oauth2?.redirectUrl;
  if (!project || !dataType || !user || !member || !redirectUri)
    throw new Error('demo: the sandbox lacks data for the README examples');
  return {
    projectId: project.databaseId,
    dataTypeId: dataType.databaseId,
    username: user.username,
    member,
    redirectUri,
  };
}

function bannerOf(
  running: RunningServer,
  sandbox: Sandbox,
  seed: number,
  examples: ExampleVariables,
  config: Config,
): string {
  const members = Object.entries(sandbox.memberTokens).slice(0, 3);
  return [
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
    '  Variables for the README examples (paste into GraphiQL’s Variables pane):',
    `    ${JSON.stringify(examples)}`,
    '',
    `  OAuth2 redirect URI registered in the sandbox:  ${examples.redirectUri}`,
    '  (SignInUrl with it; after "Authorize" the browser lands there with ?code=…&state=…,',
    '  where nothing listens: copy code and state into FinishSignIn.)',
    '',
    '  Try:',
    `    curl -s ${running.url}/graphql -H 'content-type: application/json' \\`,
    `      -d '{"query":"{ projects(first: 3) { edges { node { name } } } }"}'`,
    '',
    ...(config.oauth.sessions.enabled
      ? [
          '  Session mode: sign in with a browser at',
          `    http://localhost:${config.server.port}/auth/openhumans/login?returnTo=/graphql`,
          '  (pick a member on the sandbox page), then query `viewer` in GraphiQL without a token.',
          '',
        ]
      : []),
    '  Ctrl+C stops both.',
    '',
  ].join('\n');
}
