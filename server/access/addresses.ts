/**
 * Small facts about IP addresses the access rules need: one spelling per
 * address, and whether an address is in a set of subnets (node's BlockList).
 */
import { BlockList, isIP } from 'node:net';

/** One spelling of an address: IPv4-mapped IPv6 as IPv4, no zone, IPv6 shortest; undefined if none. */
export function canonicalAddress(address: string | undefined): string | undefined {
  if (address === undefined) return undefined;
  const bare = address
    .replace(/^\[(.*)\]$/, '$1')
    .split('%')[0]!
    .toLowerCase();
  const mapped = /^::ffff:(\d+\.\d+\.\d+\.\d+)$/.exec(bare);
  const plain = mapped ? mapped[1]! : bare;
  const family = isIP(plain);
  if (family === 0) return undefined;
  // The URL parser writes IPv6 in its shortest form (RFC 5952): fd00:0::2 is fd00::2.
  return family === 4 ? plain : new URL(`http://[${plain}]/`).hostname.slice(1, -1);
}

/** A set of subnets (`10.0.0.0/8`, `fd00::/64`) to test addresses against. */
export class SubnetSet {
  private readonly list = new BlockList();
  readonly cidrs: string[] = [];

  constructor(cidrs: Iterable<string> = []) {
    for (const cidr of cidrs) this.add(cidr);
  }

  /** Adds `cidr`; ignores what is not one (an engine may report odd IPAM entries). */
  add(cidr: string): void {
    const [net, bits] = cidr.split('/');
    const address = canonicalAddress(net);
    const family = address === undefined ? 0 : isIP(address);
    const prefix = Number(bits);
    if (!address || !Number.isInteger(prefix) || prefix < 0 || prefix > (family === 4 ? 32 : 128))
      return;
    this.list.addSubnet(address, prefix, family === 4 ? 'ipv4' : 'ipv6');
    this.cidrs.push(`${address}/${prefix}`);
  }

  has(address: string | undefined): boolean {
    const canonical = canonicalAddress(address);
    if (canonical === undefined) return false;
    return this.list.check(canonical, isIP(canonical) === 4 ? 'ipv4' : 'ipv6');
  }
}

/** True for 127.0.0.0/8 and ::1. */
export function isLoopback(address: string | undefined): boolean {
  return LOOPBACK.has(address);
}

const LOOPBACK = new SubnetSet(['127.0.0.0/8', '::1/128']);
