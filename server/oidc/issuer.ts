/**
 * Foyer's OpenID Connect issuer: the URL apps discover the provider at and that every ID token
 * names (`iss`), so it must not change while apps hold tokens. With a domain (the edge, issue 13)
 * it is `https://<domain>/oidc` (the edge sends `<domain>` to the daemon); without one, the
 * daemon's own URL as the start banner prints it (a LAN address when Foyer listens on every
 * address, else the address it is bound to) followed by `/oidc`.
 *
 * The domain comes from a function (`IssuerSource.domain`) so the domain settings can be plugged
 * in where they live; today nothing sets it and the daemon's URL is used.
 */

export interface IssuerSource {
  /** The box's domain, when one is set. */
  domain(): string | undefined;
  /** The edge's HTTPS port, when it is not 443. */
  httpsPort?(): number | undefined;
}

/** Where the provider is mounted in the daemon. */
export const OIDC_PATH = '/oidc';

/** The issuer for a domain or the daemon's URL; undefined before the daemon listens. */
export function issuerUrl(input: {
  domain?: string;
  httpsPort?: number;
  selfUrl?: string;
}): string | undefined {
  if (input.domain) {
    const port = input.httpsPort && input.httpsPort !== 443 ? `:${input.httpsPort}` : '';
    return `https://${input.domain}${port}${OIDC_PATH}`;
  }
  if (!input.selfUrl) return undefined;
  return `${new URL(input.selfUrl).origin}${OIDC_PATH}`;
}

/** The issuer now, from the source and the daemon's own URL (`http://192.168.1.20:8420/`). */
export function currentIssuer(
  source: IssuerSource,
  selfUrl: string | undefined,
): string | undefined {
  return issuerUrl({ domain: source.domain(), httpsPort: source.httpsPort?.(), selfUrl });
}
