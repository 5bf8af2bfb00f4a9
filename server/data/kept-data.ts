/**
 * Kept data (issue 11 §1: nothing Foyer created is left unlisted): the
 * volumes, and the install's folder under the data dir, that an uninstall
 * without purge left behind. They carry Foyer's labels but no install row
 * points at them. Installing again with the same id re-attaches them
 * (volumes are named `<install>_<volume>`); deleting them is an admin's
 * explicit choice.
 */
import { existsSync, readdirSync, rmSync } from 'node:fs';
import { join } from 'node:path';
import type { DockerAdapter, VolumeSummary } from '../docker/adapter.js';
import { INSTALL_ID_PATTERN } from '../store/installs.js';
import { byCodeUnit } from '../text-order.js';

/** What one abandoned install left: its id, its app, its volumes and data folder. */
export interface KeptData {
  install: string;
  app: string | null;
  volumes: string[];
  /** The install's folder under the data dir, if it is still there. */
  folder: string | null;
}

/** Groups labelled volumes and leftover folders by install id, leaving out installs that exist. */
export function keptData(
  volumes: VolumeSummary[],
  folders: string[],
  appsDir: string,
  installed: (id: string) => boolean,
): KeptData[] {
  const byInstall = new Map<string, KeptData>();
  const slot = (install: string) => {
    let entry = byInstall.get(install);
    if (!entry) {
      entry = { install, app: null, volumes: [], folder: null };
      byInstall.set(install, entry);
    }
    return entry;
  };
  for (const volume of volumes) {
    const install = volume.labels['foyer.install'];
    if (!install || installed(install)) continue;
    const entry = slot(install);
    entry.app ??= volume.labels['foyer.app'] ?? null;
    entry.volumes.push(volume.name);
  }
  for (const install of folders) {
    if (!installed(install)) slot(install).folder = join(appsDir, install);
  }
  return [...byInstall.values()]
    .map((entry) => ({ ...entry, volumes: entry.volumes.sort() }))
    .sort((a, b) => byCodeUnit(a.install, b.install));
}

export interface KeptDataSource {
  docker: DockerAdapter;
  /** The label filter selecting this Foyer's objects (`foyer.instance=…`). */
  mine: string;
  /** `$FOYER_DATA_DIR/apps`, where installs keep their files. */
  appsDir: string;
  installed: (id: string) => boolean;
}

/** Everything kept, read from the engine and the data dir now. */
export async function listKeptData(source: KeptDataSource): Promise<KeptData[]> {
  const volumes = await source.docker.listVolumes([source.mine]);
  const folders = existsSync(source.appsDir)
    ? readdirSync(source.appsDir, { withFileTypes: true })
        .filter((d) => d.isDirectory() && INSTALL_ID_PATTERN.test(d.name))
        .map((d) => d.name)
    : [];
  return keptData(volumes, folders, source.appsDir, source.installed);
}

/** Deletes what one abandoned install left; returns what was deleted. */
export async function deleteKeptData(source: KeptDataSource, install: string): Promise<KeptData> {
  const entry = (await listKeptData(source)).find((k) => k.install === install);
  if (!entry) return { install, app: null, volumes: [], folder: null };
  for (const volume of entry.volumes) await source.docker.removeVolume(volume);
  if (entry.folder) rmSync(entry.folder, { recursive: true, force: true });
  return entry;
}
