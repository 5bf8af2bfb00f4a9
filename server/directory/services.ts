/**
 * A member's services (issue 14, "a member's own page"): the installs one of
 * their groups may use, each with what a person types into a mail, chat or
 * calendar program, derived from the install's settings (DOMAIN,
 * MAIL_HOSTNAME, the host ports), and what a phone scans. Pure; passwords and
 * secrets never enter. The mail derivation is shared with Thunderbird's
 * autoconfig (autoconfig.ts), so the page and the mail program agree.
 */
import { byCodeUnit } from '../text-order.js';

/** What one client setting is; the UI words each key. */
export type ServiceFieldKey =
  | 'username'
  | 'address'
  | 'server'
  | 'imaps'
  | 'imap'
  | 'submission'
  | 'xmpp'
  | 'xmppPort'
  | 'caldav';

export interface MemberService {
  install: string;
  app: string;
  /** mail, chat, calendar: the apps whose client settings Foyer knows; other: only its name. */
  kind: 'mail' | 'chat' | 'calendar' | 'other';
  fields: { key: ServiceFieldKey; value: string }[];
  /**
   * What a phone scans as a QR code, when there is one: `xmpp:<address>` for chat (Conversations
   * and other XMPP apps open it), the CalDAV URL for calendar (DAVx⁵ and iOS take it).
   */
  scan?: string;
  /** Mail: the edge serves Thunderbird's autoconfig file for its domain (autoconfig.ts). */
  autoconfig?: boolean;
}

export interface ServiceInstall {
  id: string;
  appId: string;
  settings: Record<string, string>;
}

/** What a mail program needs of a mail install: the server's name and its host ports. */
export interface MailClientSettings {
  /** The mail domain (DOMAIN), when set. */
  domain?: string;
  /** MAIL_HOSTNAME, else `mail.<DOMAIN>`, else the box's own name. */
  server: string;
  imaps: number;
  imap: number;
  submission: number;
}

const port = (value: string | undefined, fallback: number) => Number(value || fallback);

/** A mail install's client settings from its settings; `host` when it names no server. */
export function mailClientSettings(
  settings: Record<string, string>,
  host: string,
): MailClientSettings {
  return {
    ...(settings.DOMAIN ? { domain: settings.DOMAIN } : {}),
    server: settings.MAIL_HOSTNAME || (settings.DOMAIN ? `mail.${settings.DOMAIN}` : host),
    imaps: port(settings.IMAPS_PORT, 993),
    imap: port(settings.IMAP_PORT, 143),
    submission: port(settings.SUBMISSION_PORT, 587),
  };
}

const field = (key: ServiceFieldKey, value: string | undefined) => (value ? [{ key, value }] : []);

/** `host` for a URL: IPv6 literals in brackets. */
const urlHost = (host: string) =>
  host.includes(':') && !host.startsWith('[') ? `[${host}]` : host;

/** Where the box is reached, for the settings that name it. */
export interface ServiceHost {
  /**
   * The box's name: its domain when one is set, else the name the browser reached it by (the
   * server of apps without a domain of their own).
   */
  host: string;
  /** Install id → `https://<install>.<domain>/`: installs the edge serves by name (issue 13). */
  webUrls?: ReadonlyMap<string, string>;
  /** A domain is set: the edge serves `autoconfig.<mail domain>` (issue 14). */
  autoconfig?: boolean;
}

/**
 * The services of member `name` in `groups`: every install one of the groups may use (`access`:
 * install id → groups), sorted by install id.
 */
export function memberServices(
  name: string,
  groups: readonly string[],
  installs: readonly ServiceInstall[],
  access: ReadonlyMap<string, readonly string[]>,
  where: ServiceHost,
): MemberService[] {
  const mine = new Set(groups);
  const { host } = where;
  return installs
    .filter((i) => (access.get(i.id) ?? []).some((g) => mine.has(g)))
    .sort((a, b) => byCodeUnit(a.id, b.id))
    .map((i) => {
      const s = i.settings;
      if (i.appId === 'mail') {
        const mail = mailClientSettings(s, host);
        return {
          install: i.id,
          app: i.appId,
          kind: 'mail' as const,
          fields: [
            ...field('address', mail.domain ? `${name}@${mail.domain}` : undefined),
            ...field('username', name),
            ...field('server', mail.server),
            ...field('imaps', String(mail.imaps)),
            ...field('imap', String(mail.imap)),
            ...field('submission', String(mail.submission)),
          ],
          ...(where.autoconfig && mail.domain ? { autoconfig: true } : {}),
        };
      }
      if (i.appId === 'chat') {
        const address = `${name}@${s.DOMAIN || host}`;
        return {
          install: i.id,
          app: i.appId,
          kind: 'chat' as const,
          fields: [
            ...field('xmpp', address),
            ...field('server', s.DOMAIN || host),
            ...field('xmppPort', s.C2S_PORT || '5222'),
          ],
          // RFC 5122's XMPP URI; an address is safe as it is (member names are [a-z0-9._-]).
          scan: `xmpp:${address}`,
        };
      }
      if (i.appId === 'calendar') {
        // Through the edge over HTTPS when it serves the install by name; else the host port.
        const base = where.webUrls?.get(i.id) ?? `http://${urlHost(host)}:${s.PORT || '5232'}/`;
        const caldav = `${base}${encodeURIComponent(name)}/`;
        return {
          install: i.id,
          app: i.appId,
          kind: 'calendar' as const,
          fields: [...field('username', name), ...field('caldav', caldav)],
          scan: caldav,
        };
      }
      return { install: i.id, app: i.appId, kind: 'other' as const, fields: [] };
    });
}
