/**
 * The gateway as a child process of the benchmark, served the way `src/main.ts` serves it
 * (`createGateway(deps)` on a node:http listener), on an ephemeral loopback port. Configuration
 * comes from the environment through `loadConfig`, exactly as in production; the benchmark only
 * sets `OPENHUMANS_BASE_URL` (the sandbox) and, for the no-cache variant, the cache settings.
 * Prints one JSON line (`ready`, `url`) on stdout; stops on SIGTERM.
 */
import { createServer } from 'node:http';
import type { AddressInfo } from 'node:net';
import { TokenScopedCache } from '../../src/auth/token-scoped-cache.js';
import { loadConfig } from '../../src/config/index.js';
import { createGateway } from '../../src/gateway.js';

const config = loadConfig(process.env);
// The no-cache variant also shortens the per-token read cache (10 s by default) to 1 ms.
const tokenCacheTtlMs = process.env.BENCH_TOKEN_CACHE_TTL_MS;
const yoga = createGateway({
  config,
  ...(tokenCacheTtlMs
    ? { openHumansParts: { tokenCache: new TokenScopedCache({ ttlMs: Number(tokenCacheTtlMs) }) } }
    : {}),
});
const server = createServer(yoga);
server.keepAliveTimeout = 60_000;

server.listen(0, '127.0.0.1', () => {
  const { port } = server.address() as AddressInfo;
  process.stdout.write(`${JSON.stringify({ ready: true, url: `http://127.0.0.1:${port}` })}\n`);
});

const stop = (): void => {
  server.closeAllConnections();
  server.close(() => process.exit(0));
};
process.once('SIGTERM', stop);
process.once('SIGINT', stop);
