/**
 * `npm run demo`: the gateway on the built-in Open Humans sandbox, for trying it out locally.
 * Starts the sandbox in-process on a free port (its data is generated and fake), then the
 * gateway on PORT (default 4000) pointed at it, and prints the GraphiQL URL, the sandbox's demo
 * tokens and the variables the README examples need (`demo-setup.ts`). Nothing here talks to
 * openhumans.org.
 *
 * Environment: `.env` when present, then PORT (4000), HOST (127.0.0.1), LOG_LEVEL (warn),
 * SANDBOX_SEED (1), and every other gateway variable of `.env.example` except
 * OPENHUMANS_BASE_URL (set to the sandbox).
 */

import { loadEnvFileIfPresent } from '../src/config/env-file.js';
import { ConfigError } from '../src/config/index.js';
import type { Demo } from './demo-setup.js';
import { startDemo } from './demo-setup.js';

let demo: Demo;
try {
  // `.env` in the working directory, when present (the real environment wins over it).
  const envFile = loadEnvFileIfPresent();
  demo = await startDemo(process.env);
  if (envFile) process.stdout.write('\n  Settings from .env loaded.\n');
} catch (err) {
  if (err instanceof ConfigError) {
    process.stderr.write(`${err.message}\n`);
    process.exit(1);
  }
  const code = (err as { code?: string }).code;
  const hint = code === 'EADDRINUSE' ? ` (the port is taken: try PORT=4001 npm run demo)` : '';
  process.stderr.write(`Cannot start the gateway: ${code ?? String(err)}${hint}\n`);
  process.exit(1);
}
process.stdout.write(`${demo.banner()}\n`);

let stopping = false;
for (const signal of ['SIGINT', 'SIGTERM'] as const) {
  process.on(signal, () => {
    if (stopping) process.exit(1);
    stopping = true;
    void demo.close().then(
      () => process.exit(0),
      () => process.exit(1),
    );
  });
}
