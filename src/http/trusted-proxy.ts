import { isIP } from 'node:net';

/**
 * "Is this hop trusted?" for `X-Forwarded-*` headers: only a proxy named by `TRUST_PROXY` may
 * tell the gateway the scheme and host the client used; from anyone else these headers are
 * ignored (a client could otherwise claim https, or another host, at will).
 *
 * The setting is `false` (trust no one), `true` (trust the direct peer, whoever it is: only
 * behind a proxy that every request must cross), or a list of entries: an IP address, an IPv4
 * CIDR range (10.0.0.0/8), or the words `loopback` and `private`.
 */
export type TrustProxySetting = boolean | readonly string[];

export type IsTrustedHop = (address: string | null | undefined) => boolean;

export function trustedHop(setting: TrustProxySetting): IsTrustedHop {
  if (setting === true) return (address) => Boolean(address);
  if (setting === false || setting.length === 0) return () => false;
  const checks = setting.map(entryCheck);
  return (address) => {
    if (!address) return false;
    const plain = unmapped(address);
    return checks.some((check) => check(plain));
  };
}

/** `::ffff:10.0.0.1` (an IPv4 peer on a dual-stack socket) is `10.0.0.1`. */
const unmapped = (address: string): string =>
  address.toLowerCase().startsWith('::ffff:') && isIP(address.slice(7)) === 4
    ? address.slice(7)
    : address;

function entryCheck(entry: string): (address: string) => boolean {
  const e = entry.trim().toLowerCase();
  if (e === 'loopback') return (a) => a === '::1' || inRange(a, '127.0.0.0', 8);
  if (e === 'private') {
    return (a) =>
      inRange(a, '10.0.0.0', 8) ||
      inRange(a, '172.16.0.0', 12) ||
      inRange(a, '192.168.0.0', 16) ||
      /^f[cd]/i.test(a);
  }
  const [base = '', bits] = e.split('/');
  if (bits !== undefined && isIP(base) === 4) return (a) => inRange(a, base, Number(bits));
  return (a) => a.toLowerCase() === unmapped(e);
}

function ipv4ToInt(address: string): number | null {
  if (isIP(address) !== 4) return null;
  return address.split('.').reduce((n, part) => n * 256 + Number(part), 0);
}

function inRange(address: string, base: string, bits: number): boolean {
  const a = ipv4ToInt(address);
  const b = ipv4ToInt(base);
  if (a === null || b === null || !Number.isInteger(bits) || bits < 0 || bits > 32) return false;
  const size = 2 ** (32 - bits);
  return Math.floor(a / size) === Math.floor(b / size);
}

interface NodeServerContext {
  req?: { socket?: { remoteAddress?: string } };
}

/** The direct peer's address (node:http), or null (in-process `yoga.fetch`). */
export const peerAddress = (serverContext: unknown): string | null =>
  (serverContext as NodeServerContext | undefined)?.req?.socket?.remoteAddress ?? null;

/** The last value of a comma-separated forwarded header: the one our trusted hop added. */
function lastValue(header: string | null): string | null {
  const value = header?.split(',').pop()?.trim();
  return value ? value : null;
}

/**
 * The origin the client used: the request URL's, corrected by `X-Forwarded-Proto`/`-Host` only
 * when the direct peer is a trusted hop. Malformed forwarded values are ignored.
 */
export function clientFacingOrigin(
  request: Request,
  serverContext: unknown,
  isTrusted: IsTrustedHop,
): string {
  const url = new URL(request.url);
  if (!isTrusted(peerAddress(serverContext))) return url.origin;
  const proto = lastValue(request.headers.get('x-forwarded-proto'))?.toLowerCase();
  const host = lastValue(request.headers.get('x-forwarded-host'));
  if (proto === 'http' || proto === 'https') url.protocol = `${proto}:`;
  if (host && /^[A-Za-z0-9.-]+(?::\d{1,5})?$|^\[[0-9A-Fa-f:.]+\](?::\d{1,5})?$/.test(host)) {
    // The forwarded host names its own port, or none (the scheme's default): never ours.
    url.port = '';
    url.host = host;
  }
  return url.origin;
}
