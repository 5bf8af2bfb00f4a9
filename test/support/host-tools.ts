// Makes sure the host has what the Docker tiers need, installing it with apt-get when we may.
import { findCommand, run } from './exec.js';

/**
 * The Debian packages the harness relies on (docker-registry is for the pull tests, restic and
 * openssh-server for the backup tests: a real repository, a real SFTP server on loopback; pebble
 * and caddy for the edge's tests: a real ACME server on loopback, a real Caddy on the host).
 */
export const APT_PACKAGES = [
  'docker.io',
  'busybox-static',
  'debootstrap',
  'docker-registry',
  'restic',
  'openssh-server',
  'pebble',
  'caddy',
];

/** The exact command a user must run when we cannot install the packages ourselves. */
export const INSTALL_COMMAND = `apt-get update && apt-get install -y ${APT_PACKAGES.join(' ')}`;

// Executables that must be present, with the package that provides each.
const COMMANDS: Record<string, string> = {
  dockerd: 'docker.io',
  docker: 'docker.io',
  containerd: 'docker.io',
  'docker-proxy': 'docker.io',
  debootstrap: 'debootstrap',
  'docker-registry': 'docker-registry',
  iptables: 'iptables',
  ip: 'iproute2',
  restic: 'restic',
  sshd: 'openssh-server',
  'ssh-keygen': 'openssh-client',
  pebble: 'pebble',
  'pebble-challtestsrv': 'pebble',
  caddy: 'caddy',
  openssl: 'openssl',
};

let checked: Promise<void> | undefined;

/** Ensures dockerd, busybox-static, debootstrap and docker-registry are installed (apt-get as root). */
export function ensureHostTools(): Promise<void> {
  checked ??= check().catch((e: unknown) => {
    checked = undefined;
    throw e;
  });
  return checked;
}

async function check(): Promise<void> {
  let missing = await missingPackages();
  if (missing.length === 0) return;
  const isRoot = process.getuid?.() === 0;
  if (!isRoot || !findCommand('apt-get')) {
    throw new Error(
      `The Docker test tiers need these packages, which are missing: ${missing.join(', ')}.\n` +
        `Install them as root with:\n  ${installCommand(missing)}`,
    );
  }
  const packages = [...new Set([...APT_PACKAGES, ...missing])];
  process.stderr.write(`foyer-test: installing ${packages.join(' ')} with apt-get\n`);
  const env = { ...process.env, DEBIAN_FRONTEND: 'noninteractive' };
  await run('apt-get', ['update'], { env });
  await run('apt-get', ['install', '-y', ...packages], { env });
  missing = await missingPackages();
  if (missing.length > 0) {
    throw new Error(
      `apt-get did not provide: ${missing.join(', ')}; run: ${installCommand(missing)}`,
    );
  }
}

function installCommand(missing: string[]): string {
  const extra = missing.filter((p) => !APT_PACKAGES.includes(p));
  return extra.length === 0 ? INSTALL_COMMAND : `${INSTALL_COMMAND} ${extra.join(' ')}`;
}

async function missingPackages(): Promise<string[]> {
  const missing = new Set<string>();
  for (const [command, pkg] of Object.entries(COMMANDS)) {
    if (!findCommand(command)) missing.add(pkg);
  }
  // Only the static build works inside an image that has no libc.
  if (!(await busyboxStaticPath())) missing.add('busybox-static');
  return [...missing];
}

/** Path of Debian's static busybox binary, from the busybox-static package's file list. */
export async function busyboxStaticPath(): Promise<string | undefined> {
  const listed = await run('dpkg', ['-L', 'busybox-static'], { allowFailure: true });
  if (listed.code !== 0) return undefined;
  return listed.stdout.split('\n').find((line) => /\/bin\/busybox$/.test(line.trim()));
}
