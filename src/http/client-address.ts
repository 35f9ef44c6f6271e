/**
 * Who is calling: the client address the gateway keys limits on. A client can write any
 * `X-Forwarded-For` it likes, so only the hops appended by trusted proxies are believed: the
 * client is the right-most entry that a trusted proxy did not add (`TRUST_PROXY`).
 */
import { BlockList, isIP } from 'node:net';
import type { TrustProxy } from '../config/security.js';

/** The node:http server context yoga passes along (absent for in-process `yoga.fetch`). */
interface NodeServerContext {
  req?: { socket?: { remoteAddress?: string } };
}

/** `::ffff:192.0.2.1` → `192.0.2.1`, so IPv4 clients have one spelling. */
export function normalizeAddress(address: string): string {
  const mapped = /^::ffff:(\d+\.\d+\.\d+\.\d+)$/i.exec(address);
  return (mapped?.[1] ?? address).toLowerCase();
}

/** A set of CIDR blocks (or single addresses) to test addresses against. */
export class AddressSet {
  private readonly list = new BlockList();
  readonly empty: boolean;

  constructor(cidrs: readonly string[]) {
    for (const cidr of cidrs) {
      const [address = '', prefix] = cidr.split('/');
      const type = isIP(address) === 6 ? 'ipv6' : 'ipv4';
      if (prefix === undefined) this.list.addAddress(normalizeAddress(address), type);
      else this.list.addSubnet(normalizeAddress(address), Number(prefix), type);
    }
    this.empty = cidrs.length === 0;
  }

  has(address: string): boolean {
    if (this.empty) return false;
    const plain = normalizeAddress(address);
    const family = isIP(plain);
    if (family === 0) return false;
    return this.list.check(plain, family === 6 ? 'ipv6' : 'ipv4');
  }
}

/** Resolves client addresses under one `TRUST_PROXY` setting (build once, reuse). */
export class ClientAddressResolver {
  private readonly trusted: AddressSet | null;

  constructor(private readonly trust: TrustProxy) {
    this.trusted = trust.kind === 'cidrs' ? new AddressSet(trust.cidrs) : null;
  }

  /** The socket peer of a request; null for in-process calls (`yoga.fetch` without a server). */
  static peerOf(serverContext: unknown): string | null {
    const address = (serverContext as NodeServerContext | undefined)?.req?.socket?.remoteAddress;
    return address ? normalizeAddress(address) : null;
  }

  /**
   * The client address of a request, or null when it came in-process (no socket). Behind
   * trusted proxies: walk from the socket peer leftwards through `X-Forwarded-For`, skipping
   * trusted hops; the first untrusted one is the client. Entries that are not IP addresses end
   * the walk at the last address known good (a proxy never writes them).
   */
  resolve(request: Request, serverContext: unknown): string | null {
    const peer = ClientAddressResolver.peerOf(serverContext);
    if (peer === null || this.trust.kind === 'none') return peer;
    const forwarded = (request.headers.get('x-forwarded-for') ?? '')
      .split(',')
      .map((s) => s.trim())
      .filter(Boolean);
    // Nearest first: the peer, then X-Forwarded-For from right to left.
    const chain = [peer, ...forwarded.reverse()];
    let client = peer;
    for (let i = 0; i < chain.length; i += 1) {
      const hop = chain[i] as string;
      if (isIP(normalizeAddress(hop)) === 0) return client;
      client = normalizeAddress(hop);
      if (!this.isTrusted(client, i)) return client;
    }
    return client; // every hop trusted: the left-most one is as far as anyone can tell
  }

  /** Whether the hop at `index` (0 = socket peer) is a trusted proxy. */
  private isTrusted(address: string, index: number): boolean {
    if (this.trust.kind === 'hops') return index < this.trust.hops;
    return this.trusted?.has(address) ?? false;
  }
}
