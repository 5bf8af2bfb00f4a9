/**
 * Which peer may speak for the client in X-Forwarded-* headers (issue 11
 * §4): exactly the HTTPS edge, named by address in FOYER_TRUSTED_PROXY,
 * and only as the direct peer of the connection. Anyone else's forwarded
 * headers are ignored, so nobody can pick the address a sign-in limit
 * counts or the origin a cookie write is checked against.
 */
import { canonicalAddress } from './addresses.js';

/**
 * The `trustProxy` function for Fastify: trusts the socket peer (hop 0) when it is one of
 * `proxies`, never an address further along X-Forwarded-For.
 */
export function trustOnly(proxies: readonly string[]): (address: string, hop: number) => boolean {
  const trusted = new Set(proxies.map(canonicalAddress).filter((a) => a !== undefined));
  return (address, hop) => hop === 0 && trusted.has(canonicalAddress(address) ?? '');
}

/** The addresses of FOYER_TRUSTED_PROXY (comma or space separated); throws on what is not one. */
export function parseTrustedProxies(value: string | undefined): string[] {
  const words = (value ?? '').split(/[\s,]+/).filter(Boolean);
  for (const word of words) {
    if (canonicalAddress(word) === undefined) {
      throw new Error(`FOYER_TRUSTED_PROXY: "${word}" is not an IP address (the edge's address)`);
    }
  }
  return words;
}
