/**
 * The "Names and HTTPS" screen's logic (issue 13), pure so node tests run it
 * as the browser does: what the daemon says about the domain
 * (`GET /api/domain`), the DNS records and router ports a person must set up
 * for it, and a CA's error message sorted into what it most likely means.
 * Words live in ../messages/*-names.ts; this module returns keys and values.
 */
import type { Install } from './types.ts';

/** `public`: certificates from an ACME CA (Let's Encrypt by default); `internal`: the box's own CA. */
export type DomainMode = 'public' | 'internal';

/** One name the edge serves and its certificate, as `GET /api/domain` lists it. */
export interface DomainName {
  name: string;
  /** The install it leads to; absent or null for Foyer's own UI at `<domain>`. */
  install?: string | null;
  /** Who signed the certificate it serves now (its issuer's common name). */
  issuer?: string | null;
  /** When that certificate expires (ISO 8601). */
  expires?: string | null;
  /** Why the last attempt to get a certificate failed, in the CA's words. */
  error?: string | null;
}

/** `GET /api/domain`: nothing set yet (`mode` null) or the domain, its mode and its names. */
export interface DomainStatus {
  mode: DomainMode | null;
  domain: string | null;
  email?: string | null;
  /** The ACME directory URL (public mode). */
  acme?: string | null;
  names: DomainName[];
}

/** `PUT /api/domain`. */
export interface DomainSettings {
  domain: string;
  mode: DomainMode;
  acme?: string;
  acmeRoot?: string;
  email?: string;
}

/** Let's Encrypt's production directory: the default of public mode. */
export const LETS_ENCRYPT = 'https://acme-v02.api.letsencrypt.org/directory';

/** The body of `PUT /api/domain` from the form's fields: empty optional fields are left out. */
export function domainSettings(form: {
  mode: DomainMode;
  domain: string;
  acme: string;
  acmeRoot: string;
  email: string;
}): DomainSettings {
  const body: DomainSettings = { domain: form.domain.trim().toLowerCase(), mode: form.mode };
  if (form.mode === 'public') {
    const acme = form.acme.trim();
    if (acme !== '' && acme !== LETS_ENCRYPT) body.acme = acme;
    if (form.acmeRoot.trim() !== '') body.acmeRoot = form.acmeRoot;
    if (form.email.trim() !== '') body.email = form.email.trim();
  }
  return body;
}

/** A DNS record to create: `value` is a name, or `address` for the box's own address. */
export interface DnsRecord {
  type: 'A/AAAA' | 'MX';
  name: string;
  value: { address: true } | { name: string; priority: number };
  /** What the record is for: Foyer itself, every app at once (wildcard), or mail. */
  for: 'foyer' | 'apps' | 'mail';
}

/** The mail app's host name when an install of it is among the names (`mail.<domain>`). */
function mailHost(domain: string, installs: Pick<Install, 'id' | 'app'>[]): string | undefined {
  const mail = installs.find((install) => install.app === 'mail');
  return mail ? `${mail.id}.${domain}` : undefined;
}

/**
 * The records for `domain`: Foyer's own name, a wildcard that covers every
 * install's `<id>.<domain>` (and those installed later), and an MX record
 * to the mail app's name when mail is installed (public mode: in home mode
 * no other server delivers mail by these names).
 */
export function dnsRecords(
  domain: string,
  mode: DomainMode,
  installs: Pick<Install, 'id' | 'app'>[],
): DnsRecord[] {
  const records: DnsRecord[] = [
    { type: 'A/AAAA', name: domain, value: { address: true }, for: 'foyer' },
    { type: 'A/AAAA', name: `*.${domain}`, value: { address: true }, for: 'apps' },
  ];
  const mail = mailHost(domain, installs);
  if (mail && mode === 'public') {
    records.push({ type: 'MX', name: domain, value: { name: mail, priority: 10 }, for: 'mail' });
  }
  return records;
}

/** A port the router must forward to this box, and what uses it. */
export interface ForwardedPort {
  port: number;
  protocol: string;
  /** `web` for 80 and 443 (certificates and the apps' pages); else the install that uses it. */
  use: 'web' | { install: string; app: string };
}

/**
 * What a router must forward in public mode: 80 (HTTP, for the CA's checks
 * and the redirect) and 443, then every other port the installs publish on
 * the host (mail's SMTP and IMAP, chat's XMPP…), which the edge does not
 * carry. Home mode needs none: the names are used inside the home.
 */
export function forwardedPorts(
  mode: DomainMode,
  installs: Pick<Install, 'id' | 'app' | 'web' | 'status'>[],
): ForwardedPort[] {
  if (mode !== 'public') return [];
  const ports: ForwardedPort[] = [
    { port: 80, protocol: 'tcp', use: 'web' },
    { port: 443, protocol: 'tcp', use: 'web' },
  ];
  const seen = new Set(['80/tcp', '443/tcp']);
  for (const install of [...installs].sort((a, b) => a.id.localeCompare(b.id))) {
    for (const service of install.status?.services ?? []) {
      for (const p of service.ports ?? []) {
        const isWeb = install.web?.service === service.name && install.web.port === p.container;
        if (isWeb || /^(127\.|::1$)/.test(p.ip)) continue;
        const key = `${p.host}/${p.protocol}`;
        if (seen.has(key)) continue;
        seen.add(key);
        ports.push({
          port: p.host,
          protocol: p.protocol,
          use: { install: install.id, app: install.app },
        });
      }
    }
  }
  return ports;
}

/** What a CA's refusal most likely means, for a sentence a person can act on. */
export type NameProblem = 'dns' | 'unreachable' | 'wrongBox' | 'rateLimit' | 'caa' | 'other';

const PROBLEMS: [NameProblem, RegExp][] = [
  ['rateLimit', /rate.?limit|too many/i],
  ['caa', /\bCAA\b/],
  [
    'dns',
    /NXDOMAIN|SERVFAIL|no valid (A|AAAA)|no such host|DNS problem|could not resolve|no (A|AAAA) record/i,
  ],
  ['unreachable', /connection refused|timed? ?out|timeout|unreachable|connection reset|EOF/i],
  ['wrongBox', /unauthorized|invalid response|403|404|incorrect (challenge|validation)/i],
];

/** Sorts a CA's error message (Let's Encrypt, Pebble, Caddy) into a `NameProblem`. */
export function nameProblem(message: string): NameProblem {
  return PROBLEMS.find(([, pattern]) => pattern.test(message))?.[0] ?? 'other';
}

/** The box's address as the page was reached by, when that is an IP address (not loopback). */
export function pageAddress(hostname: string): string | undefined {
  const bare = hostname.replace(/^\[|\]$/g, '');
  if (/^(127\.|::1$)/.test(bare)) return undefined;
  if (/^\d{1,3}(\.\d{1,3}){3}$/.test(bare) || bare.includes(':')) return bare;
  return undefined;
}
