// The debian:bookworm-slim root filesystem, built with debootstrap from the host's mirror
// (Docker Hub is not reachable) and cached as a tar between runs, because it takes minutes.
import { existsSync } from 'node:fs';
import { mkdir, mkdtemp, readdir, rename, rm, writeFile } from 'node:fs/promises';
import { homedir, tmpdir } from 'node:os';
import { join } from 'node:path';
import { hostDebianMirrors } from './apt-sources.js';
import { run } from './exec.js';
import { unmountUnder } from './host-cleanup.js';

const SUITE = 'bookworm';

// Trimmed like the official slim image (debuerreotype --slimify): no docs, manuals or locales,
// and dpkg told not to install them later either.
const SLIM_EXCLUDES = [
  '/usr/share/doc/*',
  '/usr/share/groff/*',
  '/usr/share/info/*',
  '/usr/share/linda/*',
  '/usr/share/lintian/overrides/*',
  '/usr/share/locale/*',
  '/usr/share/man/*',
];

const APT_CONF: Record<string, string> = {
  'docker-clean': [
    'DPkg::Post-Invoke { "rm -f /var/cache/apt/archives/*.deb /var/cache/apt/archives/partial/*.deb /var/cache/apt/*.bin || true"; };',
    'APT::Update::Post-Invoke { "rm -f /var/cache/apt/archives/*.deb /var/cache/apt/archives/partial/*.deb /var/cache/apt/*.bin || true"; };',
    'Dir::Cache::pkgcache "";',
    'Dir::Cache::srcpkgcache "";',
  ].join('\n'),
  'docker-no-languages': 'Acquire::Languages "none";',
  'docker-autoremove-suggests': 'Apt::AutoRemove::SuggestsImportant "false";',
};

/** Where the cached tar for this architecture lives. */
export function debianCachePath(arch: string): string {
  const cache = process.env.XDG_CACHE_HOME || join(homedir(), '.cache');
  return join(cache, 'foyer', 'test-images', `debian-${SUITE}-${arch}.tar`);
}

/** Returns the path of the bookworm-slim rootfs tar, running debootstrap when it is not cached. */
export async function debianRootfsTar(): Promise<string> {
  const arch = (await run('dpkg', ['--print-architecture'])).stdout.trim();
  const target = debianCachePath(arch);
  if (existsSync(target)) return target;
  const { debian, security } = await hostDebianMirrors();
  const work = await mkdtemp(join(tmpdir(), 'foyer-debootstrap-'));
  const rootfs = join(work, 'rootfs');
  const started = Date.now();
  process.stderr.write(`foyer-test: debootstrap ${SUITE} from ${debian} (cached as ${target})\n`);
  try {
    await run('debootstrap', ['--variant=minbase', `--arch=${arch}`, SUITE, rootfs, debian]);
    await slimify(rootfs, debian, security);
    await mkdir(join(target, '..'), { recursive: true });
    // Written under a temporary name and renamed, so a crash never leaves a half tar in the cache.
    const partial = `${target}.${process.pid}.tmp`;
    await run('tar', ['--numeric-owner', '--exclude=./dev/*', '-C', rootfs, '-cf', partial, '.']);
    await rename(partial, target);
  } finally {
    await unmountUnder(work);
    await rm(work, { recursive: true, force: true });
  }
  process.stderr.write(
    `foyer-test: debootstrap took ${Math.round((Date.now() - started) / 1000)}s\n`,
  );
  return target;
}

async function slimify(rootfs: string, debian: string, security: string): Promise<void> {
  const dpkgCfg = [
    ...SLIM_EXCLUDES.map((p) => `path-exclude ${p}`),
    'path-include /usr/share/doc/*/copyright',
  ];
  await writeFile(join(rootfs, 'etc/dpkg/dpkg.cfg.d/docker'), `${dpkgCfg.join('\n')}\n`);
  for (const [name, text] of Object.entries(APT_CONF)) {
    await writeFile(join(rootfs, 'etc/apt/apt.conf.d', name), `${text}\n`);
  }
  for (const dir of SLIM_EXCLUDES.map((p) => p.replace(/\/\*$/, ''))) {
    await emptyDir(join(rootfs, dir), dir === '/usr/share/doc' ? keepCopyright : undefined);
  }
  for (const dir of ['var/lib/apt/lists', 'var/cache/apt', 'tmp', 'var/tmp']) {
    await emptyDir(join(rootfs, dir));
  }
  // Logs of the build are emptied but kept, as apt and dpkg expect their files to exist.
  const logs = await readdir(join(rootfs, 'var/log'), { recursive: true, withFileTypes: true });
  for (const entry of logs.filter((e) => e.isFile())) {
    await writeFile(join(entry.parentPath, entry.name), '');
  }
  await mkdir(join(rootfs, 'var/lib/apt/lists/partial'), { recursive: true });
  await mkdir(join(rootfs, 'var/cache/apt/archives/partial'), { recursive: true });
  // Docker supplies these at run time; the image must not carry the build host's.
  for (const file of ['etc/resolv.conf', 'etc/hostname', 'etc/apt/sources.list']) {
    await rm(join(rootfs, file), { force: true });
  }
  await writeFile(join(rootfs, 'etc/machine-id'), '');
  const keyring = 'Signed-By: /usr/share/keyrings/debian-archive-keyring.gpg';
  const sources = [
    `Types: deb\nURIs: ${debian}\nSuites: ${SUITE} ${SUITE}-updates\nComponents: main\n${keyring}`,
    `Types: deb\nURIs: ${security}\nSuites: ${SUITE}-security\nComponents: main\n${keyring}`,
  ];
  await writeFile(
    join(rootfs, 'etc/apt/sources.list.d/debian.sources'),
    `${sources.join('\n\n')}\n`,
  );
}

// In /usr/share/doc, each package keeps only its copyright file.
async function keepCopyright(path: string): Promise<void> {
  for (const entry of await readdir(path, { withFileTypes: true })) {
    if (entry.name !== 'copyright')
      await rm(join(path, entry.name), { recursive: true, force: true });
  }
}

async function emptyDir(path: string, perEntry?: (path: string) => Promise<void>): Promise<void> {
  const entries = await readdir(path, { withFileTypes: true }).catch(() => []);
  for (const entry of entries) {
    const child = join(path, entry.name);
    if (perEntry && entry.isDirectory()) await perEntry(child);
    else await rm(child, { recursive: true, force: true });
  }
}
