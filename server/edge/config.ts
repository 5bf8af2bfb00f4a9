/**
 * The edge's Caddy JSON config (issue 13), derived from desired state by one pure function:
 * the domain settings and the installs' web entries → the whole config `POST /load` takes.
 * Caddy 2.6.2's exact shapes (shared/references B1): every route has an `@id`; the home CA
 * never touches the host's trust store (`install_trust: false`, always); automatic HTTPS adds
 * the HTTP → HTTPS redirects and serves ACME's HTTP-01 challenges on the HTTP port.
 */

import { byCodeUnit } from '../text-order.js';
import { CONTAINER, LETS_ENCRYPT } from './paths.js';

/** What an admin chose for names and HTTPS (the store's `domain_settings`). */
export interface DomainSettings {
  /** `public`: certificates from an ACME CA; `internal`: the box's own CA (home). */
  mode: 'public' | 'internal';
  domain: string;
  /** The address the ACME CA writes to about certificates (public mode). */
  email?: string;
  /** The ACME directory URL (public mode; Let's Encrypt when absent). */
  acme?: string;
  /** A PEM root the ACME directory's HTTPS is checked against (a private or test CA). */
  acmeRoot?: string;
}

/** One install's web entry as the edge reaches it. */
export interface EdgeSite {
  install: string;
  /** `<container DNS name>:<port>` on the edge network. */
  upstream: string;
  /**
   * app.yaml `web.auth`: `true`, a Foyer admin session before anything reaches the app;
   * `members-basic`, HTTP Basic credentials of a member allowed to use the install.
   */
  auth?: boolean | 'members-basic';
}

export interface EdgeConfigInput {
  settings: DomainSettings;
  sites: EdgeSite[];
  /** Ports Caddy listens on (inside the container, published as the same host ports). */
  httpPort: number;
  httpsPort: number;
  /**
   * Names other services want certificates for without a web route (mail's `mail.<domain>`,
   * XMPP's `<domain>`; app.yaml `tls`): obtained and renewed all the same (`certificates.automate`).
   */
  certificateNames?: string[];
  /**
   * Public mode: whether Caddy's storage already holds an ACME account for the directory and
   * email. Caddy 2.6.2 (certmagic 0.17) races when many names are obtained at once with no
   * account: each creates one, the stored key and registration end up from different ones, and
   * those names fail with "JWS verification error" at every retry (measured with Pebble,
   * bench:edge). So until the account exists only the domain is obtained by ACME and the other
   * names keep a certificate from the home CA; the next config, with the account, moves them.
   */
  acmeAccountReady?: boolean;
  /**
   * The mail domains the box serves (each mail install's DOMAIN): `autoconfig.<domain>` leads to
   * the daemon's Thunderbird autoconfig file (issue 14), and nothing else on that name.
   */
  autoconfigDomains?: string[];
}

/** Where the ACME root given by the admin is written for Caddy (under the storage root). */
export const ACME_ROOT_FILE = `${CONTAINER.storage}/foyer/acme-root.pem`;

/** The HSTS header public mode sends: a year, as browsers' preload lists ask. */
export const HSTS = 'max-age=31536000';

type Json = Record<string, unknown>;

/** The name of an install's web entry: `<install>.<domain>`. */
export function siteName(install: string, domain: string): string {
  return `${install}.${domain}`;
}

/** The paths of Mozilla's autoconfig file (ISPDB format) that `autoconfig.<domain>` serves. */
export const AUTOCONFIG_PATHS = [
  '/mail/config-v1.1.xml',
  '/.well-known/autoconfig/mail/config-v1.1.xml',
] as const;

/** What a name of `foyer domain status` leads to when it is a mail domain's autoconfig name. */
export const AUTOCONFIG = 'autoconfig';

/**
 * The `autoconfig.<domain>` names, one per mail domain. An install named `autoconfig` keeps its
 * own `autoconfig.<box domain>`: the admin chose that name, and mail programs fall back to the
 * settings typed by hand.
 */
export function autoconfigNames(
  input: Pick<EdgeConfigInput, 'settings' | 'sites' | 'autoconfigDomains'>,
): string[] {
  const sites = new Set(input.sites.map((s) => siteName(s.install, input.settings.domain)));
  const names = (input.autoconfigDomains ?? []).map((d) => `autoconfig.${d.toLowerCase()}`);
  return [...new Set(names)].filter((n) => !sites.has(n)).sort();
}

/**
 * Every name the edge serves: the domain (Foyer's UI), one per install, then the mail domains'
 * autoconfig names.
 */
export function edgeNames(
  input: Pick<EdgeConfigInput, 'settings' | 'sites' | 'autoconfigDomains'>,
): string[] {
  const domain = input.settings.domain;
  return [
    ...new Set([
      domain,
      ...input.sites.map((s) => siteName(s.install, domain)).sort(),
      ...autoconfigNames(input),
    ]),
  ];
}

/** The names that have no route of their own: certificates only, for the hand-over. */
export function routelessNames(
  input: Pick<EdgeConfigInput, 'settings' | 'sites' | 'certificateNames' | 'autoconfigDomains'>,
): string[] {
  const served = new Set(edgeNames(input));
  return [...new Set(input.certificateNames ?? [])].filter((n) => !served.has(n)).sort();
}

/** What a name of `foyer domain status` is for: Foyer's UI, an install's web entry, or a file. */
export const CERTIFICATE_ONLY = 'certificate';

/**
 * Every name the edge obtains a certificate for, with what it is for: `foyer` (the domain),
 * the install id (`<install>.<domain>`), or `certificate` for a name with no route that an
 * app wants as files (mail's `mail.<domain>`): its failures must show as well.
 */
export function statusNames(
  input: Pick<EdgeConfigInput, 'settings' | 'sites' | 'certificateNames' | 'autoconfigDomains'>,
): { name: string; target: string }[] {
  const { domain } = input.settings;
  const autoconfig = new Set(autoconfigNames(input));
  return [
    ...edgeNames(input).map((name) => ({
      name,
      target:
        name === domain
          ? 'foyer'
          : autoconfig.has(name)
            ? AUTOCONFIG
            : name.slice(0, -domain.length - 1),
    })),
    ...routelessNames(input).map((name) => ({ name, target: CERTIFICATE_ONLY })),
  ];
}

const daemonUpstream = [{ dial: `unix/${CONTAINER.daemonSocket}` }];

function proxyTo(upstreams: Json[]): Json {
  return { handler: 'reverse_proxy', upstreams };
}

/** The daemon's route that checks an install's HTTP Basic credentials for the edge (issue 14). */
export function basicCheckPath(install: string): string {
  return `/api/auth/basic/${install}`;
}

/**
 * Caddy's `forward_auth` in JSON (B1): ask the daemon with GET `uri`; a 2xx goes on with the
 * user it names in `Remote-User`, anything else (401, 429, a 302 to sign-in) is the answer, with
 * the daemon's headers (`WWW-Authenticate`, `Retry-After`). The original request's headers go
 * along (its `Authorization` for the Basic check), and Caddy sets `X-Forwarded-For` to the
 * client it sees: a client's own is dropped, since no one is in the proxy's `trusted_proxies`.
 */
function forwardAuth(uri: string): Json {
  return {
    handler: 'reverse_proxy',
    upstreams: daemonUpstream,
    rewrite: { method: 'GET', uri },
    headers: {
      request: {
        set: {
          'X-Forwarded-Method': ['{http.request.method}'],
          'X-Forwarded-Uri': ['{http.request.uri}'],
        },
      },
    },
    handle_response: [
      {
        match: { status_code: [2] },
        routes: [
          {
            handle: [
              {
                handler: 'headers',
                request: { set: { 'Remote-User': ['{http.reverse_proxy.header.Remote-User}'] } },
              },
            ],
          },
        ],
      },
    ],
  };
}

function route(id: string, host: string, handle: Json[]): Json {
  return {
    '@id': id,
    match: [{ host: [host] }],
    handle: [{ handler: 'subroute', routes: [{ handle }] }],
    terminal: true,
  };
}

/**
 * `autoconfig.<domain>`: the autoconfig file's two paths go to the daemon (it answers for the
 * mail install of that domain); every other path is a 404 at the edge, so the name opens
 * nothing else of Foyer's.
 */
function autoconfigRoute(name: string, before: Json[]): Json {
  return {
    '@id': `autoconfig-${name}`,
    match: [{ host: [name] }],
    handle: [
      {
        handler: 'subroute',
        routes: [
          {
            match: [{ path: [...AUTOCONFIG_PATHS] }],
            handle: [...before, proxyTo(daemonUpstream)],
          },
          { handle: [...before, { handler: 'static_response', status_code: 404 }] },
        ],
      },
    ],
    terminal: true,
  };
}

/** The route id of an install's name (`GET /id/<id>` on the admin API). */
export function siteRouteId(install: string): string {
  return `site-${install}`;
}

function tlsIssuer(settings: DomainSettings): Json {
  if (settings.mode === 'internal') return { module: 'internal' };
  return {
    module: 'acme',
    ca: settings.acme ?? LETS_ENCRYPT,
    ...(settings.email ? { email: settings.email } : {}),
    ...(settings.acmeRoot ? { trusted_roots_pem_files: [ACME_ROOT_FILE] } : {}),
  };
}

/** One policy for every name; while no ACME account exists, the domain alone goes first. */
function tlsPolicies(input: EdgeConfigInput, subjects: string[]): Json[] {
  const { settings } = input;
  if (settings.mode !== 'public' || input.acmeAccountReady !== false)
    return [{ subjects, issuers: [tlsIssuer(settings)] }];
  const later = subjects.filter((name) => name !== settings.domain);
  return [
    { subjects: [settings.domain], issuers: [tlsIssuer(settings)] },
    ...(later.length > 0 ? [{ subjects: later, issuers: [{ module: 'internal' }] }] : []),
  ];
}

/** The boot config the container starts with: the admin socket and storage, nothing served. */
export function bootConfig(): Json {
  return {
    admin: { listen: `unix/${CONTAINER.adminSocket}`, config: { persist: false } },
    storage: { module: 'file_system', root: CONTAINER.storage },
  };
}

/** Installs + domain settings → the whole Caddy config. Pure; sites in any order give one config. */
export function edgeConfig(input: EdgeConfigInput): Json {
  const { settings } = input;
  const hsts: Json[] =
    settings.mode === 'public'
      ? [{ handler: 'headers', response: { set: { 'Strict-Transport-Security': [HSTS] } } }]
      : [];
  // Whatever a client sends as Remote-User is never passed on: only the auth gate sets it.
  const strip: Json = { handler: 'headers', request: { delete: ['Remote-User'] } };
  const sites = [...input.sites].sort((a, b) => byCodeUnit(a.install, b.install));
  const extra = routelessNames(input);
  const routes = [
    route('foyer-ui', settings.domain, [...hsts, proxyTo(daemonUpstream)]),
    ...sites.map((site) =>
      route(siteRouteId(site.install), siteName(site.install, settings.domain), [
        ...hsts,
        strip,
        ...(site.auth === 'members-basic'
          ? [forwardAuth(basicCheckPath(site.install))]
          : site.auth
            ? [forwardAuth('/api/auth/verify')]
            : []),
        proxyTo([{ dial: site.upstream }]),
      ]),
    ),
    ...autoconfigNames(input).map((name) => autoconfigRoute(name, [...hsts, strip])),
  ];
  return {
    ...bootConfig(),
    apps: {
      pki: { certificate_authorities: { local: { install_trust: false } } },
      tls: {
        ...(extra.length > 0 ? { certificates: { automate: extra } } : {}),
        automation: { policies: tlsPolicies(input, [...edgeNames(input), ...extra]) },
      },
      http: {
        // https_port stays Caddy's default (443): its redirects then name any other port, as
        // a client that reaches FOYER_HTTPS_PORT directly needs.
        http_port: input.httpPort,
        servers: {
          foyer: {
            listen: [`:${input.httpsPort}`],
            routes,
          },
        },
      },
    },
  };
}
