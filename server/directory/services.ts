/**
 * A member's services (issue 14, "a member's own page"): the installs one of
 * their groups may use, each with what a person types into a mail, chat or
 * calendar program, derived from the install's settings (DOMAIN,
 * MAIL_HOSTNAME, the host ports). Pure; passwords and secrets never enter.
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
}

export interface ServiceInstall {
  id: string;
  appId: string;
  settings: Record<string, string>;
}

const field = (key: ServiceFieldKey, value: string | undefined) => (value ? [{ key, value }] : []);

/** `host` for a URL: IPv6 literals in brackets. */
const urlHost = (host: string) =>
  host.includes(':') && !host.startsWith('[') ? `[${host}]` : host;

/**
 * The services of member `name` in `groups`: every install one of the groups may use (`access`:
 * install id → groups), sorted by install id. `host` is the box's name as the browser reached it
 * (the server of apps without a domain of their own).
 */
export function memberServices(
  name: string,
  groups: readonly string[],
  installs: readonly ServiceInstall[],
  access: ReadonlyMap<string, readonly string[]>,
  host: string,
): MemberService[] {
  const mine = new Set(groups);
  return installs
    .filter((i) => (access.get(i.id) ?? []).some((g) => mine.has(g)))
    .sort((a, b) => byCodeUnit(a.id, b.id))
    .map((i) => {
      const s = i.settings;
      if (i.appId === 'mail') {
        const server = s.MAIL_HOSTNAME || (s.DOMAIN ? `mail.${s.DOMAIN}` : host);
        return {
          install: i.id,
          app: i.appId,
          kind: 'mail' as const,
          fields: [
            ...field('address', s.DOMAIN ? `${name}@${s.DOMAIN}` : undefined),
            ...field('username', name),
            ...field('server', server),
            ...field('imaps', s.IMAPS_PORT || '993'),
            ...field('imap', s.IMAP_PORT || '143'),
            ...field('submission', s.SUBMISSION_PORT || '587'),
          ],
        };
      }
      if (i.appId === 'chat') {
        return {
          install: i.id,
          app: i.appId,
          kind: 'chat' as const,
          fields: [
            ...field('xmpp', `${name}@${s.DOMAIN || host}`),
            ...field('server', s.DOMAIN || host),
            ...field('xmppPort', s.C2S_PORT || '5222'),
          ],
        };
      }
      if (i.appId === 'calendar') {
        return {
          install: i.id,
          app: i.appId,
          kind: 'calendar' as const,
          fields: [
            ...field('username', name),
            ...field('caldav', `http://${urlHost(host)}:${s.PORT || '5232'}/${name}/`),
          ],
        };
      }
      return { install: i.id, app: i.appId, kind: 'other' as const, fields: [] };
    });
}
