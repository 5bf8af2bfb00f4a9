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
  /** What it leads to: `foyer` (the UI at `<domain>`) or an install's id. */
  target?: string;
  /** Who issues its certificates: `local` (the home CA) or the ACME directory's storage key. */
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
  /** The box's ports the edge listens on (FOYER_HTTP_PORT, FOYER_HTTPS_PORT). */
  ports?: { http: number; https: number };
  /** The edge itself: `off` (no domain), `waiting` (starting), `synced`, `failed` with why. */
  edge?: { state: string; error?: string | null; install?: string | null };
  names: DomainName[];
}

/** The HTTPS address of a name, with the edge's port when it is not 443. */
export function nameUrl(name: string, ports?: { https: number }): string {
  const port = ports && ports.https !== 443 ? `:${ports.https}` : '';
  return `https://${name}${port}/`;
}

/** The install a name leads to, or undefined for Foyer's own UI. */
export function nameInstall(name: DomainName): string | undefined {
  return name.target && name.target !== 'foyer' ? name.target : undefined;
}

/**
 * Who signs a name's certificates, for people: the box itself, Let's Encrypt
 * (or its staging directory), else the ACME directory's host — never
 * Caddy's storage key as it is.
 */
export function issuerLabel(
  issuer: string,
  acme: string | null | undefined,
): { kind: 'local' | 'letsEncrypt' | 'letsEncryptStaging' } | { kind: 'host'; host: string } {
  if (issuer === 'local') return { kind: 'local' };
  if (/(^|\.)api\.letsencrypt\.org/.test(issuer))
    return { kind: issuer.includes('staging') ? 'letsEncryptStaging' : 'letsEncrypt' };
  try {
    if (acme) return { kind: 'host', host: new URL(acme).host };
  } catch {
    // Not a URL: the key is the best there is.
  }
  return { kind: 'host', host: issuer };
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

type MailInstall = Pick<Install, 'id' | 'app'> & { settings?: Record<string, string> };

/**
 * The mail install's domain (the part after @, its `DOMAIN` setting) and
 * host name (`MAIL_HOSTNAME`, else `mail.<its domain>`, as catalog/mail says).
 */
function mailNames(installs: MailInstall[]): { domain: string; host: string } | undefined {
  const mail = installs.find((install) => install.app === 'mail');
  const domain = mail?.settings?.DOMAIN;
  if (!domain) return undefined;
  return { domain, host: mail.settings?.MAIL_HOSTNAME || `mail.${domain}` };
}

/** Whether the wildcard `*.<domain>` (or the domain's own record) already covers `name`. */
const covered = (name: string, domain: string) =>
  name === domain ||
  (name.endsWith(`.${domain}`) && !name.slice(0, -domain.length - 1).includes('.'));

/**
 * The records for `domain`: Foyer's own name, a wildcard that covers every
 * install's `<id>.<domain>` (and those installed later), and in public mode,
 * with mail installed, an MX record for the mail domain to the mail host
 * (and that host's address when the wildcard does not cover it). In home
 * mode no other server delivers mail by these names.
 */
export function dnsRecords(domain: string, mode: DomainMode, installs: MailInstall[]): DnsRecord[] {
  const records: DnsRecord[] = [
    { type: 'A/AAAA', name: domain, value: { address: true }, for: 'foyer' },
    { type: 'A/AAAA', name: `*.${domain}`, value: { address: true }, for: 'apps' },
  ];
  const mail = mailNames(installs);
  if (mail && mode === 'public') {
    if (!covered(mail.host, domain))
      records.push({ type: 'A/AAAA', name: mail.host, value: { address: true }, for: 'mail' });
    records.push({
      type: 'MX',
      name: mail.domain,
      value: { name: mail.host, priority: 10 },
      for: 'mail',
    });
  }
  return records;
}

/** A port the router must forward to this box, and what uses it. */
export interface ForwardedPort {
  port: number;
  /** The box's port it goes to, when not the same (the edge on FOYER_HTTP_PORT/FOYER_HTTPS_PORT). */
  to?: number;
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
  edge: { http: number; https: number } = { http: 80, https: 443 },
): ForwardedPort[] {
  if (mode !== 'public') return [];
  const ports: ForwardedPort[] = [
    { port: 80, protocol: 'tcp', use: 'web', ...(edge.http !== 80 ? { to: edge.http } : {}) },
    { port: 443, protocol: 'tcp', use: 'web', ...(edge.https !== 443 ? { to: edge.https } : {}) },
  ];
  const seen = new Set(['80/tcp', '443/tcp', `${edge.http}/tcp`, `${edge.https}/tcp`]);
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
