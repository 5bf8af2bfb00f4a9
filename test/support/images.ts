// The local images the tests use, built on the engine from Debian packages since no registry
// is reachable: BusyBox from busybox-static, and debian:bookworm-slim from debootstrap.
import { chmod, copyFile, mkdir, mkdtemp, rm, symlink, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { dirname, join } from 'node:path';
import { debianRootfsTar } from './debian-rootfs.js';
import { run } from './exec.js';
import { busyboxStaticPath, ensureHostTools } from './host-tools.js';

/** A BusyBox image (sh, httpd, wget, nc…) made from Debian's static busybox. */
export const BUSYBOX_IMAGE = 'foyer-test/busybox:latest';

/** debian:bookworm-slim, bootstrapped locally under the official name. */
export const DEBIAN_IMAGE = 'debian:bookworm-slim';

/** What the image helpers need from an engine. */
export interface DockerRunner {
  docker(args: string[]): Promise<{ stdout: string; stderr: string }>;
}

const PATH_ENV = 'ENV PATH=/usr/local/sbin:/usr/local/bin:/usr/sbin:/usr/bin:/sbin:/bin';

/** Builds the test images the engine lacks; images already present are left alone. */
export async function ensureTestImages(engine: DockerRunner): Promise<void> {
  if (!(await hasImage(engine, BUSYBOX_IMAGE))) {
    await ensureHostTools();
    await importTar(engine, await busyboxTar(), BUSYBOX_IMAGE, 'CMD ["sh"]', true);
  }
  if (!(await hasImage(engine, DEBIAN_IMAGE))) {
    await ensureHostTools();
    await importTar(engine, await debianRootfsTar(), DEBIAN_IMAGE, 'CMD ["bash"]', false);
  }
}

/** True when the engine has an image with this reference. */
export async function hasImage(engine: DockerRunner, ref: string): Promise<boolean> {
  const { stdout } = await engine.docker(['image', 'ls', '-q', ref]);
  return stdout.trim() !== '';
}

async function importTar(
  engine: DockerRunner,
  tar: string,
  tag: string,
  cmd: string,
  temp: boolean,
) {
  try {
    await engine.docker(['import', '--change', cmd, '--change', PATH_ENV, tar, tag]);
  } finally {
    if (temp) await rm(dirname(tar), { recursive: true, force: true });
  }
}

// A root filesystem of one static binary plus a symlink per applet, at the paths busybox
// itself reports (bin/sh, usr/sbin/httpd…), and the few files programs expect.
async function busyboxTar(): Promise<string> {
  const binary = await busyboxStaticPath();
  if (!binary) throw new Error('busybox-static is not installed');
  const work = await mkdtemp(join(tmpdir(), 'foyer-busybox-'));
  const root = join(work, 'rootfs');
  await mkdir(join(root, 'bin'), { recursive: true });
  await copyFile(binary, join(root, 'bin/busybox'));
  const applets = (await run(binary, ['--list-full'])).stdout.split('\n').filter(Boolean);
  for (const applet of applets) {
    if (applet === 'bin/busybox') continue;
    await mkdir(join(root, dirname(applet)), { recursive: true });
    await symlink('/bin/busybox', join(root, applet)).catch((e: NodeJS.ErrnoException) => {
      if (e.code !== 'EEXIST') throw e;
    });
  }
  for (const dir of ['etc', 'root', 'tmp', 'var/www', 'home', 'proc', 'sys', 'dev']) {
    await mkdir(join(root, dir), { recursive: true });
  }
  await chmod(join(root, 'tmp'), 0o1777);
  await writeFile(
    join(root, 'etc/passwd'),
    'root:x:0:0:root:/root:/bin/sh\nnobody:x:65534:65534:nobody:/nonexistent:/bin/false\n',
  );
  await writeFile(join(root, 'etc/group'), 'root:x:0:\nnogroup:x:65534:\n');
  const tar = join(work, 'busybox.tar');
  await run('tar', ['--numeric-owner', '--owner=0', '--group=0', '-C', root, '-cf', tar, '.']);
  await rm(root, { recursive: true, force: true });
  return tar;
}
