/**
 * Where the edge (issue 13) keeps its files on the host and inside its container. The edge is
 * the core install `edge`, so its folders are under that install's own data folder
 * (`$FOYER_DATA_DIR/apps/edge/`, the only host folder an install may bind without a permission):
 * - `admin/`: shared with the daemon; Caddy's admin API socket and the daemon's edge socket;
 * - `data/`: Caddy's storage (certificates, ACME account, the home CA), kept across recreation.
 * Pure: no file is touched here.
 */
import { join } from 'node:path';

/** The core install that runs the edge, and its catalogue entry. */
export const EDGE_INSTALL = 'edge';

/** The host folder shared between the daemon and the edge container. */
export function edgeAdminDir(dataDir: string): string {
  return join(dataDir, 'apps', EDGE_INSTALL, 'admin');
}

/**
 * Caddy's storage root on the host: certificates are at
 * `<storage>/certificates/<issuer-key>/<name>/<name>.{crt,key,json}` (see `issuerKey`), the
 * home CA at `<storage>/pki/authorities/local/root.crt`.
 */
export function edgeStorageDir(dataDir: string): string {
  return join(dataDir, 'apps', EDGE_INSTALL, 'data');
}

/** Caddy's admin API socket, seen from the host. */
export function caddyAdminSocket(dataDir: string): string {
  return join(edgeAdminDir(dataDir), CADDY_SOCKET);
}

/** The daemon's socket for the edge, seen from the host (a network listener, not the local admin's). */
export function edgeDaemonSocket(dataDir: string): string {
  return join(edgeAdminDir(dataDir), DAEMON_SOCKET);
}

const CADDY_SOCKET = 'caddy.sock';
const DAEMON_SOCKET = 'foyer.sock';

/** The same folders inside the edge container (catalog/edge/compose.yaml binds them there). */
export const CONTAINER = {
  adminDir: '/run/foyer-edge',
  adminSocket: `/run/foyer-edge/${CADDY_SOCKET}`,
  daemonSocket: `/run/foyer-edge/${DAEMON_SOCKET}`,
  storage: '/var/lib/caddy/storage',
} as const;

/** Let's Encrypt's production directory: the ACME CA when none is given. */
export const LETS_ENCRYPT = 'https://acme-v02.api.letsencrypt.org/directory';

/**
 * The folder name Caddy 2.6 gives an issuer under `certificates/`: `local` for the home CA,
 * else the directory URL without its scheme, `:` and `/` turned into `-`
 * (`https://127.0.0.1:14100/dir` → `127.0.0.1-14100-dir`).
 */
export function issuerKey(acmeDirectory: string | undefined): string {
  if (acmeDirectory === undefined) return 'local';
  // certmagic's ACMEIssuer.IssuerKey, then StorageKeys.Safe (lower case, `:` → `-`).
  const url = new URL(acmeDirectory);
  const path = url.pathname.replace(/[/\\]/g, '-').replace(/^-+|-+$/g, '');
  return `${url.host}${path ? `-${path}` : ''}`.toLowerCase().replace(/:/g, '-');
}

/** Where Caddy keeps a name's certificate, relative to its storage root. */
export function certificateFiles(storage: string, issuer: string, name: string) {
  const dir = join(storage, 'certificates', issuer, name);
  return {
    crt: join(dir, `${name}.crt`),
    key: join(dir, `${name}.key`),
    json: join(dir, `${name}.json`),
  };
}

/**
 * The folder where Caddy 2.6 (certmagic) keeps the ACME account of an email at a directory:
 * `<storage>/acme/<issuer-key>/users/<email>/<local part>.{json,key}` (`default` without email).
 */
export function acmeAccountDir(storage: string, acmeDirectory: string, email?: string): string {
  return join(
    storage,
    'acme',
    issuerKey(acmeDirectory),
    'users',
    (email || 'default').toLowerCase(),
  );
}
