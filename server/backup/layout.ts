/**
 * Which objects a backup of an install holds (issue 15 §"What a backup holds"): its named
 * volumes as its pinned definition's Compose file names them (`<install>_<volume>`), the
 * containers to stop for a consistent snapshot, and the description written beside them —
 * settings, secrets, the pinned definition — from which a restore rebuilds the install.
 */
import type { PinnedDefinitions } from '../catalog/pins.js';
import { desiredState, renderProject } from '../reconcile/desired.js';
import type { DesiredState } from '../reconcile/types.js';
import type { Install, Store } from '../store/index.js';

/** What a snapshot says of its install: the file `foyer-install.json` inside it. */
export interface InstallDescription {
  format: 1;
  install: string;
  app: string;
  version: string | null;
  appDir: string;
  definition: string;
  /** Where the pinned definition was on the box that made the snapshot (a path inside it). */
  definitionPath: string;
  settings: Record<string, string>;
  secrets: Record<string, string>;
  acceptedPermissions: string[];
  /** Volume key (`www`) → where its data was on that box (a path inside the snapshot). */
  volumes: Record<string, string>;
}

export interface InstallLayout {
  desired: DesiredState;
  /** Volume key → engine volume name and the body the reconciler would create it with. */
  volumes: { key: string; name: string; body: Record<string, unknown> }[];
  /** Containers of the install, in dependency order. */
  containers: { service: string; name: string; stopTimeout?: number }[];
}

/** Renders an install (or a clone of it under `id`) from its pinned definition. */
export function installLayout(
  ctx: { store: Store; pins: PinnedDefinitions; dataDir: string; instance: string },
  install: Install,
  secrets: Record<string, string>,
  id = install.id,
): InstallLayout {
  if (!install.definition) throw new Error(`"${install.id}" has no pinned definition`);
  const folder = ctx.pins.read(install.definition);
  const record = { ...install, id, appDir: folder.dir, secrets };
  const source = { ...folder, permissions: folder.manifest.permissions ?? [] };
  const project = renderProject(record, source, { dataDir: ctx.dataDir, instance: ctx.instance });
  const desired: DesiredState = desiredState(record, project, {}, { instance: ctx.instance });
  return {
    desired,
    volumes: desired.volumes.map((v) => ({
      key: v.name.slice(`${id}_`.length),
      name: v.name,
      body: v.body,
    })),
    containers: desired.services.map((s) => ({
      service: s.name,
      name: s.containerName,
      stopTimeout: s.stopTimeout,
    })),
  };
}
