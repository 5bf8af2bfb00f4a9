/**
 * Local volume snapshots for updates (issue 15): each of an install's volumes
 * is copied from its data folder (the engine's `Mountpoint`, readable since
 * the daemon runs as root beside a local engine, as adopt relies on) into
 * `$FOYER_DATA_DIR/snapshots/<install>/<job>/<volume>/` with
 * `cp -a --reflink=auto` (a copy-on-write clone where the file system can,
 * so a snapshot of a large volume costs seconds, not its size). Names reach
 * `cp` as arguments, never a shell. A snapshot is written under `.partial`
 * and renamed when complete, so a crash never leaves a half copy that a
 * rollback would take for the data.
 */
import { execFile } from 'node:child_process';
import { existsSync, mkdirSync, readdirSync, renameSync, rmSync } from 'node:fs';
import { join } from 'node:path';
import { promisify } from 'node:util';
import type { DockerAdapter } from '../docker/adapter.js';
import { instanceFilter } from '../reconcile/desired.js';

const run = promisify(execFile);

/** Where the snapshot of one update lives. */
export function snapshotDir(dataDir: string, install: string, job: string): string {
  return join(dataDir, 'snapshots', install, job);
}

/** True when the snapshot was taken whole. */
export function snapshotComplete(dir: string): boolean {
  return existsSync(dir);
}

/** The data folder of each of the install's volumes (this instance's), by volume name. */
async function volumeFolders(
  docker: DockerAdapter,
  install: string,
  instance: string | undefined,
): Promise<Map<string, string>> {
  const volumes = await docker.listVolumes([`foyer.install=${install}`, instanceFilter(instance)]);
  const folders = new Map<string, string>();
  for (const volume of volumes) {
    const details = await docker.inspectLabels('volume', volume.name);
    if (!details) continue;
    if (!details.mountpoint || (details.driver && details.driver !== 'local'))
      throw new Error(
        `volume ${volume.name} has no local data folder (driver ${details.driver ?? '?'}); ` +
          'it cannot be snapshotted before an update',
      );
    folders.set(volume.name, details.mountpoint);
  }
  return folders;
}

/** Copies every volume of the install into `dir`; a snapshot already complete is kept. */
export async function takeSnapshot(
  docker: DockerAdapter,
  install: string,
  instance: string | undefined,
  dir: string,
): Promise<string[]> {
  if (snapshotComplete(dir)) return readdirSync(dir);
  const partial = `${dir}.partial`;
  rmSync(partial, { recursive: true, force: true });
  mkdirSync(partial, { recursive: true, mode: 0o700 });
  const folders = await volumeFolders(docker, install, instance);
  for (const [name, folder] of folders) {
    const target = join(partial, name);
    mkdirSync(target);
    await run('cp', ['-a', '--reflink=auto', '--', `${folder}/.`, `${target}/`]);
  }
  renameSync(partial, dir);
  return [...folders.keys()];
}

/**
 * Puts each snapshotted volume's data back: the volume's folder is emptied and the copy made
 * again. Idempotent (the snapshot stays until the update ends), so a crash midway is repaired
 * by doing it again. Volumes the snapshot does not hold (the new version made them) stay.
 */
export async function restoreSnapshot(
  docker: DockerAdapter,
  install: string,
  instance: string | undefined,
  dir: string,
): Promise<string[]> {
  const folders = await volumeFolders(docker, install, instance);
  const restored: string[] = [];
  for (const name of readdirSync(dir)) {
    const folder = folders.get(name);
    if (!folder) continue;
    for (const entry of readdirSync(folder))
      rmSync(join(folder, entry), { recursive: true, force: true });
    await run('cp', ['-a', '--reflink=auto', '--', `${join(dir, name)}/.`, `${folder}/`]);
    restored.push(name);
  }
  return restored;
}

/** Removes an update's snapshot (and a partial one). */
export function removeSnapshot(dir: string): void {
  rmSync(dir, { recursive: true, force: true });
  rmSync(`${dir}.partial`, { recursive: true, force: true });
}
