/**
 * The names the box answers to (issue 11 §4, against DNS rebinding): a page
 * on `evil.example` whose name an attacker points at the box's address must
 * not be served, or its scripts would read Foyer's answers as same-origin.
 * Accepted: `localhost`, loopback, the box's own addresses, its host name
 * and `<hostname>.local` (mDNS), and the names in FOYER_HOSTNAMES, the edge's domain and
 * its installs' names. The local unix socket is not checked.
 */
import { networkInterfaces, hostname as osHostname } from 'node:os';
import { canonicalAddress, isLoopback } from './addresses.js';

export interface HostSources {
  hostname(): string;
  /** The box's own addresses now (they change with DHCP, so they are read again). */
  addresses(): string[];
}

const systemSources: HostSources = {
  hostname: osHostname,
  addresses: () =>
    Object.values(networkInterfaces())
      .flat()
      .map((i) => i?.address)
      .filter((a) => a !== undefined),
};

/** The host part of a Host header, lower case, without port, brackets or a final dot. */
export function hostOf(header: string): string {
  const trimmed = header.trim().toLowerCase();
  const bracketed = /^\[([^\]]*)\](?::\d*)?$/.exec(trimmed);
  if (bracketed) return bracketed[1]!;
  const name = trimmed.includes(':') && !/:.*:/.test(trimmed) ? trimmed.split(':')[0]! : trimmed;
  return name.replace(/\.$/, '');
}

/** The names in FOYER_HOSTNAMES (comma or space separated), lower case. */
export function parseHostnames(value: string | undefined): string[] {
  return (value ?? '')
    .split(/[\s,]+/)
    .filter(Boolean)
    .map((n) => n.toLowerCase().replace(/\.$/, ''));
}

/** Decides whether a Host header names this box. */
export class HostAllowList {
  private addressesReadAt = Number.NEGATIVE_INFINITY;
  private addresses = new Set<string>();

  constructor(
    private readonly extra: readonly string[],
    private readonly sources: HostSources = systemSources,
    private readonly now: () => number = Date.now,
    /** Names learnt at run time: the edge's domain and `<install>.<domain>` (issue 13). */
    private readonly learnt: () => readonly string[] = () => [],
  ) {}

  /** True when `header` (a Host header, or the edge's X-Forwarded-Host) names this box. */
  allows(header: string | undefined): boolean {
    if (header === undefined || header === '') return false;
    const host = hostOf(header);
    if (host === 'localhost' || this.extra.includes(host) || this.learnt().includes(host))
      return true;
    const box = this.sources.hostname().toLowerCase();
    if (host === box || host === `${box}.local`) return true;
    const address = canonicalAddress(host);
    if (address === undefined) return false;
    return isLoopback(address) || this.ownAddresses().has(address);
  }

  private ownAddresses(): Set<string> {
    // Read at most every few seconds: a request must not cost a walk of the interfaces.
    if (this.now() - this.addressesReadAt > 5000) {
      const list = this.sources.addresses().map(canonicalAddress);
      this.addresses = new Set(list.filter((a) => a !== undefined));
      this.addressesReadAt = this.now();
    }
    return this.addresses;
  }
}
