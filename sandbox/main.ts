// `npm run sandbox`: starts the sandbox and prints ONE JSON line (url, masterToken, memberTokens,
// clientId, clientSecret, projectId), then keeps serving until interrupted.
// Flags (or env): --port (SANDBOX_PORT, default 8100), --host (SANDBOX_HOST), --seed
// (SANDBOX_SEED), --latency-ms / --jitter-ms (SANDBOX_LATENCY_MS / SANDBOX_JITTER_MS), --storage
// memory|hash, --webhook-url / --webhook-secret, and sizes: --projects --unapproved-projects
// --data-types --users --public-files --members --second-project-members (SANDBOX_<NAME>, e.g.
// SANDBOX_PUBLIC_FILES).
import { parseArgs } from 'node:util';
import { type SandboxSizes, startSandbox } from './index.js';

const SIZE_FLAGS: Record<string, keyof SandboxSizes> = {
  projects: 'projects',
  'unapproved-projects': 'unapprovedProjects',
  'data-types': 'dataTypes',
  users: 'users',
  'public-files': 'publicFiles',
  members: 'members',
  'second-project-members': 'secondProjectMembers',
};
const STRING_FLAGS = [
  'port',
  'host',
  'seed',
  'latency-ms',
  'jitter-ms',
  'storage',
  'webhook-url',
  'webhook-secret',
  ...Object.keys(SIZE_FLAGS),
];

function fail(message: string): never {
  process.stderr.write(`sandbox: ${message}\n`);
  process.exit(2);
}

const { values } = parseArgs({
  options: Object.fromEntries(STRING_FLAGS.map((f) => [f, { type: 'string' as const }])),
  strict: true,
});
const opt = (flag: string): string | undefined => {
  const v = (values as Record<string, string | undefined>)[flag];
  return v ?? process.env[`SANDBOX_${flag.toUpperCase().replace(/-/g, '_')}`];
};
const int = (flag: string, fallback?: number): number | undefined => {
  const raw = opt(flag);
  if (raw === undefined) return fallback;
  const n = Number(raw);
  if (!Number.isInteger(n) || n < 0)
    fail(`--${flag} must be a non-negative integer, got ${JSON.stringify(raw)}`);
  return n;
};

const sizes: Partial<SandboxSizes> = {};
for (const [flag, key] of Object.entries(SIZE_FLAGS)) {
  const n = int(flag);
  if (n !== undefined) sizes[key] = n;
}
const storage = opt('storage') ?? 'memory';
if (storage !== 'memory' && storage !== 'hash') fail('--storage must be memory or hash');
const webhookUrl = opt('webhook-url');
const webhookSecret = opt('webhook-secret');

const sandbox = await startSandbox({
  port: int('port', 8100) ?? 8100,
  host: opt('host') ?? '127.0.0.1',
  seed: int('seed', 1) ?? 1,
  sizes,
  latency: { ms: int('latency-ms', 0) ?? 0, jitterMs: int('jitter-ms', 0) ?? 0 },
  storage,
  ...(webhookUrl
    ? { webhook: { url: webhookUrl, ...(webhookSecret ? { secret: webhookSecret } : {}) } }
    : {}),
});
process.stdout.write(`${JSON.stringify(sandbox.info())}\n`);

const stop = (): void => {
  void sandbox.close().then(() => process.exit(0));
};
process.on('SIGINT', stop);
process.on('SIGTERM', stop);
