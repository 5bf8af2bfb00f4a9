/**
 * `foyer service-unit`: the systemd unit that runs `foyer serve` as a system
 * service (issue 12 §5). `scripts/up.sh` writes it to
 * `/etc/systemd/system/foyer.service` on a machine with systemd. Pure: the
 * text comes from the paths and environment it is given, so a test can check
 * it (and `systemd-analyze verify` it) without systemd running.
 */
import { dirname, join, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';
import { defaultDataDir } from './paths.js';

/** The variables `foyer serve` reads that the unit carries over from where it was made. */
export const SERVICE_ENV = [
  'FOYER_DATA_DIR',
  'FOYER_PORT',
  'FOYER_HOST',
  'FOYER_HOSTNAMES',
  'FOYER_TRUSTED_PROXY',
  'FOYER_CATALOG',
  'FOYER_LOG_FORMAT',
  'FOYER_LOG_LEVEL',
  'FOYER_RESYNC_MS',
  'FOYER_HTTP_PORT',
  'FOYER_HTTPS_PORT',
  'DOCKER_HOST',
] as const;

export interface ServiceUnitOptions {
  /** The Node.js binary to run (`process.execPath` where up.sh ran). */
  node: string;
  /** The `bin/foyer.js` of the package. */
  foyerBin: string;
  /** The values of SERVICE_ENV to keep; FOYER_DATA_DIR is always set. */
  env: Partial<Record<(typeof SERVICE_ENV)[number], string>> & { FOYER_DATA_DIR: string };
}

/** A value in systemd's quoting: `%` is a specifier, `\` and `"` are escaped, no newline. */
function quote(value: string, where: string): string {
  if (/[\n\r]/.test(value)) throw new Error(`${where}: a systemd unit value cannot hold a newline`);
  return `"${value.replace(/[\\"]/g, '\\$&').replace(/%/g, '%%')}"`;
}

/** ExecStart's words: quoted as above, and `$` doubled so systemd expands nothing. */
function execWord(word: string): string {
  return quote(word, 'ExecStart').replace(/\$/g, '$$$$');
}

/** The unit's text. */
export function serviceUnit(options: ServiceUnitOptions): string {
  const env = { FOYER_LOG_FORMAT: 'pretty', ...options.env };
  const environment = SERVICE_ENV.filter((key) => env[key] !== undefined && env[key] !== '').map(
    (key) => `Environment=${quote(`${key}=${env[key]}`, key)}`,
  );
  return `# Written by \`foyer service-unit\` (scripts/up.sh). Made again, not edited, when Foyer
# moves: run scripts/up.sh again. Overrides belong in \`systemctl edit foyer\`.
[Unit]
Description=Foyer, the home server's service manager
Documentation=file://${resolve(dirname(options.foyerBin), '..', 'README.md')}
After=docker.service network-online.target
Wants=docker.service network-online.target

[Service]
Type=simple
ExecStart=${[options.node, options.foyerBin, 'serve'].map(execWord).join(' ')}
${environment.join('\n')}
# Fewer malloc arenas: the daemon idles on small boards (issue 12 §5).
Environment=MALLOC_ARENA_MAX=2
Restart=on-failure
RestartSec=5s
# SIGTERM: passes in flight get 10 s, then the daemon exits 0 (server/serve.ts).
TimeoutStopSec=30s
StandardOutput=journal
StandardError=journal
SyslogIdentifier=foyer
# Hardening that leaves what Foyer needs: root (the Docker socket is root's; it removes the
# files containers leave in app data), its data folder writable, and a JIT (no
# MemoryDenyWriteExecute). The Docker socket is root-equivalent whatever the unit says: these
# guard the rest of the system from a mistake in the daemon, not from its engine.
NoNewPrivileges=yes
ProtectSystem=full
ProtectHome=read-only
ReadWritePaths=${quote(env.FOYER_DATA_DIR, 'FOYER_DATA_DIR')}
PrivateTmp=yes
ProtectKernelTunables=yes
ProtectKernelModules=yes
ProtectKernelLogs=yes
ProtectControlGroups=yes
ProtectHostname=yes
ProtectClock=yes
RestrictRealtime=yes
RestrictSUIDSGID=yes
RestrictNamespaces=yes
LockPersonality=yes
SystemCallArchitectures=native
RestrictAddressFamilies=AF_UNIX AF_INET AF_INET6 AF_NETLINK

[Install]
WantedBy=multi-user.target
`;
}

/** The unit for this package and this process's environment. */
export function serviceUnitHere(env = process.env): string {
  // This module runs two folders below the package root: dist/server/ or dist/bundle/.
  const root = resolve(dirname(fileURLToPath(import.meta.url)), '../..');
  const kept: ServiceUnitOptions['env'] = { FOYER_DATA_DIR: resolve(defaultDataDir(env)) };
  for (const key of SERVICE_ENV) {
    const value = env[key];
    if (value !== undefined && value !== '' && key !== 'FOYER_DATA_DIR') kept[key] = value;
  }
  return serviceUnit({
    node: process.execPath,
    foyerBin: join(root, 'bin', 'foyer.js'),
    env: kept,
  });
}
