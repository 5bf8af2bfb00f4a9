/**
 * Thunderbird's autoconfig (issue 14): the file Mozilla's ISPDB format describes
 * (`config-v1.1.xml`, clientConfig 1.1), which Thunderbird and other mail programs fetch from
 * `https://autoconfig.<domain>/mail/config-v1.1.xml?emailaddress=…` when a person types only
 * their address and password. Derived from the mail install's settings by the same function as
 * the member's page (services.ts), so both say the same. Pure.
 *
 * The login is the whole address (`%EMAILADDRESS%`): Dovecot finds a member by name or by
 * address (catalog/mail/dovecot/entrypoint.sh), and Postfix's submission asks Dovecot, so the
 * address works even for a member whose name is not the address's local part.
 */
import type { Desired } from '../store/installs.js';
import { type MailClientSettings, mailClientSettings, type ServiceInstall } from './services.js';

/** A mail install as autoconfig reads it. */
export type MailInstall = ServiceInstall & { desired: Desired };

/** The mail domains served: each mail install's DOMAIN (lower case, sorted, once each). */
export function mailDomains(installs: readonly MailInstall[]): string[] {
  const domains = installs
    .filter((i) => i.appId === 'mail' && i.desired !== 'absent' && i.settings.DOMAIN)
    .map((i) => i.settings.DOMAIN!.toLowerCase());
  return [...new Set(domains)].sort();
}

/**
 * The mail domain a request asks about: the address's domain when Thunderbird passes one
 * (`?emailaddress=`), else the name it asked (`autoconfig.<domain>`, or `<domain>` for the
 * `.well-known` path).
 */
export function requestedDomain(host: string, emailAddress?: string): string {
  const at = emailAddress?.lastIndexOf('@') ?? -1;
  if (emailAddress && at > 0) return emailAddress.slice(at + 1).toLowerCase();
  const name = host.replace(/:\d+$/, '').toLowerCase();
  return name.startsWith('autoconfig.') ? name.slice('autoconfig.'.length) : name;
}

/** The client settings of the mail install serving `domain`, or undefined when none does. */
export function autoconfigFor(
  domain: string,
  installs: readonly MailInstall[],
): (MailClientSettings & { domain: string }) | undefined {
  const install = installs.find(
    (i) =>
      i.appId === 'mail' && i.desired !== 'absent' && i.settings.DOMAIN?.toLowerCase() === domain,
  );
  if (!install) return undefined;
  return { ...mailClientSettings(install.settings, domain), domain };
}

const ESCAPES: Record<string, string> = {
  '&': '&amp;',
  '<': '&lt;',
  '>': '&gt;',
  '"': '&quot;',
  "'": '&apos;',
};

/** Text for XML content and attribute values. */
export function xmlEscape(text: string): string {
  return text.replace(/[&<>"']/g, (c) => ESCAPES[c]!);
}

/** The placeholder Thunderbird replaces with the address the person typed. */
const LOGIN = '%EMAILADDRESS%';

function server(
  tag: 'incomingServer' | 'outgoingServer',
  type: 'imap' | 'smtp',
  hostname: string,
  port: number,
  socketType: 'SSL' | 'STARTTLS',
): string {
  return [
    `    <${tag} type="${type}">`,
    `      <hostname>${xmlEscape(hostname)}</hostname>`,
    `      <port>${port}</port>`,
    `      <socketType>${socketType}</socketType>`,
    `      <username>${LOGIN}</username>`,
    '      <authentication>password-cleartext</authentication>',
    `    </${tag}>`,
  ].join('\n');
}

/**
 * `config-v1.1.xml` for a mail domain: IMAP over TLS (993) first, IMAP with STARTTLS (143) as
 * the alternative, submission with STARTTLS (587), each at the install's host port; passwords
 * only inside TLS (Dovecot refuses a login before STARTTLS).
 */
export function autoconfigXml(mail: MailClientSettings & { domain: string }): string {
  const domain = xmlEscape(mail.domain);
  return [
    '<?xml version="1.0" encoding="UTF-8"?>',
    '<clientConfig version="1.1">',
    `  <emailProvider id="${domain}">`,
    `    <domain>${domain}</domain>`,
    `    <displayName>${domain}</displayName>`,
    `    <displayShortName>${domain}</displayShortName>`,
    server('incomingServer', 'imap', mail.server, mail.imaps, 'SSL'),
    server('incomingServer', 'imap', mail.server, mail.imap, 'STARTTLS'),
    server('outgoingServer', 'smtp', mail.server, mail.submission, 'STARTTLS'),
    '  </emailProvider>',
    '</clientConfig>',
    '',
  ].join('\n');
}
