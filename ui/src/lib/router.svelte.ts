/**
 * The hash router: `#/`, `#/catalogue`, `#/install/:app`, `#/apps/:id`,
 * `#/activity`, `#/backups`, `#/members`, `#/account`, `#/settings`, `#/names`, `#/login`,
 * `#/setup`. Hash routes need no
 * server fallback and survive a reload; the current route is reactive state
 * that App.svelte turns into a screen.
 */

export type RouteName =
  | 'dashboard'
  | 'catalogue'
  | 'install'
  | 'app'
  | 'activity'
  | 'backups'
  | 'members'
  | 'account'
  | 'settings'
  | 'names'
  | 'login'
  | 'setup'
  | 'not-found';

export interface Route {
  name: RouteName;
  /** Named segments of the pattern (`:app`, `:id`), decoded. */
  params: Record<string, string>;
  /** The query after `?` in the hash (`#/catalogue?q=chat`). */
  query: URLSearchParams;
  /** The hash path as written, for returning to it after sign-in. */
  path: string;
}

const PATTERNS: [RouteName, RegExp][] = [
  ['dashboard', /^\/$/],
  ['catalogue', /^\/catalogue$/],
  ['install', /^\/install\/(?<app>[^/]+)$/],
  ['app', /^\/apps\/(?<id>[^/]+)$/],
  ['activity', /^\/activity$/],
  ['backups', /^\/backups$/],
  ['members', /^\/members$/],
  ['account', /^\/account$/],
  ['settings', /^\/settings$/],
  ['names', /^\/names$/],
  ['login', /^\/login$/],
  ['setup', /^\/setup$/],
];

/** The route of a hash such as `#/apps/web?tab=logs`. */
export function parseHash(hash: string): Route {
  const raw = hash.replace(/^#/, '') || '/';
  const [path = '/', search = ''] = raw.split('?', 2);
  const query = new URLSearchParams(search);
  for (const [name, pattern] of PATTERNS) {
    const match = pattern.exec(path);
    if (!match) continue;
    const params: Record<string, string> = {};
    for (const [key, value] of Object.entries(match.groups ?? {})) {
      try {
        params[key] = decodeURIComponent(value);
      } catch {
        params[key] = value;
      }
    }
    return { name, params, query, path: raw };
  }
  return { name: 'not-found', params: {}, query, path: raw };
}

/** The current route; replaced as a whole on every change. */
export const router = $state({ route: parseHash(location.hash) });

addEventListener('hashchange', () => {
  router.route = parseHash(location.hash);
});

/** A link target for a route path: `href(`/apps/${id}`)`. */
export function href(path: string): string {
  return `#${path}`;
}

/** Goes to `path` (`/catalogue`); `replace` leaves no history entry (redirects). */
export function navigate(path: string, options: { replace?: boolean } = {}): void {
  const target = `#${path}`;
  if (location.hash === target) return;
  if (options.replace) {
    history.replaceState(history.state, '', target);
    router.route = parseHash(target);
  } else {
    location.hash = target;
  }
}
