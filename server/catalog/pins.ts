/**
 * An install's pinned definition beside the catalogue (issue 17): which
 * version it runs, whether the catalogue offers another one, or has dropped
 * or broken the app; the one-time pinning of installs made before pins
 * existed; and reading pinned copies (cached: a copy never changes).
 */
import { existsSync } from 'node:fs';
import type { Problem } from '../../compose/index.js';
import type { AuditLog } from '../store/audit.js';
import type { Install, Store } from '../store/index.js';
import { type AppFolder, readAppFolder } from './catalog.js';
import { definitionDir, pinFolder, pruneDefinitions } from './definitions.js';
import type { Catalog } from './service.js';

/** Where an install's app stands in the catalogue today. */
export interface DefinitionStatus {
  /** The version the install runs (its pinned definition's). */
  version: string | null;
  /** The catalogue's version, only when its definition differs from the pinned one. */
  available?: string;
  /**
   * `listed`: the catalogue has the app; `removed`: it no longer does (the install keeps running
   * from its copy); `invalid`: the app's folder is there but broken (`problems` say how).
   */
  catalog: 'listed' | 'removed' | 'invalid';
  problems?: Problem[];
}

/** Reads pinned copies; each is read once, since a copy never changes. */
export class PinnedDefinitions {
  private readonly folders = new Map<string, AppFolder>();

  constructor(readonly dataDir: string) {}

  /** The folder rendering reads for this pin. */
  dir(hash: string): string {
    return definitionDir(this.dataDir, hash);
  }

  /** The pinned app folder, read and validated; throws ComposeError if it cannot be. */
  read(hash: string): AppFolder {
    let folder = this.folders.get(hash);
    if (!folder) {
      folder = readAppFolder(this.dir(hash));
      this.folders.set(hash, folder);
    }
    return folder;
  }

  /** The pinned app folder of an install, or undefined if it has none that can be read. */
  of(install: Install): AppFolder | undefined {
    if (!install.definition) return undefined;
    try {
      return this.read(install.definition);
    } catch {
      return undefined;
    }
  }

  /** Copies an app folder in and returns its hash and the copy as read back. */
  pin(dir: string): { hash: string; folder: AppFolder } {
    const hash = pinFolder(this.dataDir, dir);
    return { hash, folder: this.read(hash) };
  }
}

/** The catalogue's problems about one app folder (it failed to load, so it has no entry). */
export function folderProblems(catalog: Catalog, dir: string): Problem[] {
  return catalog
    .problems()
    .filter((p) => p.path === dir || p.path.startsWith(`${dir}/`))
    .map((p) => ({ ...p, path: p.path.startsWith(`${dir}/`) ? p.path : `${dir}: ${p.path}` }));
}

/** Compares an install's pin with what the catalogue offers for its app now. */
export function definitionStatus(install: Install, catalog: Catalog): DefinitionStatus {
  const version = install.appVersion;
  const entry = catalog.get(install.appId) ?? catalog.core(install.appId);
  if (entry) {
    const offered = catalog.definitionHash(install.appId);
    return offered !== undefined && offered !== install.definition
      ? { version, available: entry.manifest.version, catalog: 'listed' }
      : { version, catalog: 'listed' };
  }
  const problems = folderProblems(catalog, install.appDir);
  return problems.length > 0
    ? { version, catalog: 'invalid', problems }
    : { version, catalog: 'removed' };
}

export interface PinningContext {
  store: Store;
  pins: PinnedDefinitions;
  audit: AuditLog;
  log: { info(obj: object, msg?: string): void; warn(obj: object, msg?: string): void };
}

/**
 * Pins every install made before pins existed to the folder it runs from now (its `appDir`),
 * once, at the daemon's start and before the reconciler renders anything; records each in the
 * audit log. An install whose folder cannot be read stays unpinned: the reconciler then refuses
 * to render it, which leaves its containers and data as they are, and the status says why.
 * Afterwards, copies no install refers to are removed.
 */
export function pinUnpinnedInstalls({ store, pins, audit, log }: PinningContext): void {
  for (const install of store.installs.list()) {
    if (install.definition) continue;
    try {
      const { hash, folder } = pins.pin(install.appDir);
      store.installs.update(install.id, { definition: hash, appVersion: folder.manifest.version });
      audit.record('foyer', 'install.pinned', install.id, {
        version: folder.manifest.version,
        definition: hash,
        from: install.appDir,
      });
      log.info({ install: install.id, version: folder.manifest.version }, 'definition pinned');
    } catch (error) {
      const reason = existsSync(install.appDir)
        ? (error as Error).message
        : `${install.appDir} no longer exists`;
      audit.record('foyer', 'install.pin-failed', install.id, { from: install.appDir, reason });
      log.warn({ install: install.id, reason }, 'definition could not be pinned');
    }
  }
  const keep = new Set<string>();
  for (const install of store.installs.list()) {
    if (install.definition) keep.add(install.definition);
    if (install.previousDefinition) keep.add(install.previousDefinition);
  }
  pruneDefinitions(pins.dataDir, keep);
}
