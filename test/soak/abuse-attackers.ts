/**
 * The attackers of the abuse soak (`abuse-intake.soak.ts`), run as their own process so their
 * CPU work does not stall the well-behaved client's event loop in the test process:
 *
 *   node --import tsx test/soak/abuse-attackers.ts '<json options>'
 *
 * Runs every class until SIGTERM or `seconds`, then prints one JSON line of tallies (outcome →
 * count per class) on stdout.
 */
import type { Socket } from 'node:net';
import type { StreamedResult } from '../limits/abuse-client.js';
import {
  fakeMasterToken,
  holdConnections,
  multipartHead,
  multipartHeaders,
  multipartTail,
  streamRequest,
  trickle,
  uploadOperations,
  zeroes,
} from '../limits/abuse-client.js';
import { prng } from './bad-input-cases.js';

export interface AttackerOptions {
  baseUrl: string;
  port: number;
  seconds: number;
  seed: number;
  /** A valid member token (the misbehaving member of the trickling uploads). */
  memberToken: string;
  /** The source address of each attack class. */
  addresses: { uploads: string; trickle: string; flood: string; json: string };
}

const MiB = 1024 * 1024;
type Tally = Record<string, number>;

const count = (tally: Tally, key: string): void => {
  tally[key] = (tally[key] ?? 0) + 1;
};

const outcome = (res: StreamedResult): string =>
  res.status === null
    ? 'closed'
    : `${res.status} ${String(res.json?.errors?.[0]?.extensions?.reason ?? res.json?.errors?.[0]?.extensions?.code ?? '')}`.trim();

const sleep = (ms: number): Promise<void> => new Promise((r) => setTimeout(r, ms));

/**
 * `lanes` loops of `attack` until `stop()`, each pausing `pause()` ms between attempts (seeded
 * jitter): hostile, but not a CPU benchmark of the attacking process on a shared machine.
 */
async function loop(
  lanes: number,
  stop: () => boolean,
  tally: Tally,
  pause: () => number,
  attack: (lane: number) => Promise<string>,
): Promise<void> {
  await Promise.all(
    Array.from({ length: lanes }, async (_, lane) => {
      while (!stop()) {
        count(tally, await attack(lane));
        await sleep(pause());
      }
    }),
  );
}

/**
 * Opens `count` sockets from `localAddress`, each asking for `/health` (keep-alive). After a
 * second, `held` are the ones the gateway accepted and answered and still keeps open; sockets
 * the gateway closed are `refused` (the kernel completes handshakes before the gateway accepts,
 * so an unanswered open socket may just be waiting in the backlog).
 */
async function flood(
  port: number,
  count: number,
  localAddress: string,
): Promise<{ held: number; refused: number }> {
  const answered = new WeakSet<Socket>();
  const sockets = await holdConnections(port, count, localAddress);
  for (const socket of sockets) {
    socket.once('data', () => answered.add(socket));
    if (!socket.destroyed) socket.write('GET /health HTTP/1.1\r\nHost: gateway\r\n\r\n');
  }
  await sleep(1_000);
  const held = sockets.filter((s) => answered.has(s) && !s.destroyed).length;
  const refused = sockets.filter((s) => s.destroyed).length;
  for (const s of sockets) s.destroy();
  return { held, refused };
}

export async function runAttackers(
  options: AttackerOptions,
  stop: () => boolean,
): Promise<Record<string, Tally>> {
  const { baseUrl, port, addresses } = options;
  const random = prng(options.seed);
  const tallies = {
    uploads: {} as Tally,
    json: {} as Tally,
    trickle: {} as Tally,
    flood: {} as Tally,
  };
  const pause = (): number => 20 + Math.floor(random() * 80);
  await Promise.all([
    // Disk: 1 GiB uploads with random master-token-shaped strings.
    loop(4, stop, tallies.uploads, pause, async () =>
      outcome(
        await streamRequest(baseUrl, {
          path: '/graphql',
          headers: multipartHeaders(fakeMasterToken(random)),
          body: (function* () {
            yield multipartHead(
              uploadOperations('12345678'),
              { '0': ['variables.input.file'] },
              '0',
            );
            yield* zeroes(1024 * MiB);
            yield multipartTail();
          })(),
          localAddress: addresses.uploads,
        }),
      ),
    ),
    // Memory: 5 MB JSON bodies.
    loop(4, stop, tallies.json, pause, async () =>
      outcome(
        await streamRequest(baseUrl, {
          path: '/graphql',
          headers: { 'content-type': 'application/json', 'content-length': String(5 * MiB) },
          body: (function* () {
            yield Buffer.from('{"query":"{ __typename }","variables":{"a":"');
            yield* zeroes(5 * MiB - 48);
            yield Buffer.from('"}');
          })(),
          localAddress: addresses.json,
        }),
      ),
    ),
    // Slow bodies: JSON, and uploads by a member with a valid token.
    loop(24, stop, tallies.trickle, pause, async (lane) => {
      const multipart = lane % 2 === 1;
      return outcome(
        await streamRequest(baseUrl, {
          path: '/graphql',
          headers: multipart
            ? multipartHeaders(options.memberToken)
            : { 'content-type': 'application/json', 'content-length': '100000' },
          body: (async function* () {
            if (multipart)
              yield multipartHead(uploadOperations(), { '0': ['variables.input.file'] }, '0');
            yield* trickle(100_000, 20 + Math.floor(random() * 80), stop);
          })(),
          localAddress: addresses.trickle,
          timeoutMs: options.seconds * 1000 + 10_000,
        }),
      );
    }),
    // Sockets: 200 connections at a time from one address.
    (async () => {
      while (!stop()) {
        const { held, refused } = await flood(port, 200, addresses.flood);
        tallies.flood.held = Math.max(tallies.flood.held ?? 0, held);
        tallies.flood.refused = (tallies.flood.refused ?? 0) + refused;
      }
    })(),
  ]);
  return tallies;
}

if (process.argv[2]) {
  const options = JSON.parse(process.argv[2]) as AttackerOptions;
  let stopped = false;
  process.on('SIGTERM', () => (stopped = true));
  setTimeout(() => (stopped = true), options.seconds * 1000).unref();
  const tallies = await runAttackers(options, () => stopped);
  process.stdout.write(`${JSON.stringify(tallies)}\n`);
  process.exit(0);
}
