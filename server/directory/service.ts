/**
 * The directory as a core service (issue 14): the store's members (the
 * routes' repository) and the sync that keeps slapd in step. The slapd
 * install (`catalog/directory`, `core: true`) is made by Foyer itself the
 * first time the directory is used, so a box without members never builds
 * or runs it; from then on the reconciler keeps it running like any install.
 */
import { chmodSync, mkdirSync } from 'node:fs';
import { join } from 'node:path';
import type { PinnedDefinitions } from '../catalog/pins.js';
import type { Catalog } from '../catalog/service.js';
import { resolveSettings } from '../catalog/settings.js';
import { appDataDir } from '../reconcile/desired.js';
import type { Reconciler } from '../reconcile/reconciler.js';
import { pinApp } from '../routes/install-checks.js';
import type { Store } from '../store/index.js';
import { ensureDirectoryBinds } from './app-accounts.js';
import { type MemberRepository, membersRepository } from './members.js';
import type { DirectoryAccess } from './routes.js';
import { DirectorySync, type SyncOptions } from './sync.js';

/** The install id (and catalogue app id) of the directory. */
export const DIRECTORY_INSTALL = 'directory';

export interface DirectoryServiceOptions {
  dataDir: string;
  store: Store;
  catalog: Catalog;
  pins: PinnedDefinitions;
  reconciler: Pick<Reconciler, 'enqueue'>;
  log?: SyncOptions['log'];
  resyncMs?: number;
}

/** The ldapi socket's folder on the host, bind-mounted into slapd at /run/slapd. */
export function socketDir(dataDir: string): string {
  return join(appDataDir({ dataDir }, DIRECTORY_INSTALL), 'run');
}

export class DirectoryService implements DirectoryAccess {
  readonly members: MemberRepository;
  readonly sync: DirectorySync;

  constructor(readonly options: DirectoryServiceOptions) {
    this.members = membersRepository(options.store.db);
    this.sync = new DirectorySync({
      socketPath: join(socketDir(options.dataDir), 'ldapi'),
      // Before each run, so an install whose row came without a bind account (a restore) gets
      // one and its entry in the same run.
      snapshot: () => {
        this.ensureBinds();
        return this.members.snapshot();
      },
      adminSecret: () =>
        options.store.installs.get(DIRECTORY_INSTALL)
          ? options.store.installs.secrets(DIRECTORY_INSTALL).ADMIN_PASSWORD
          : undefined,
      ...(options.log ? { log: options.log } : {}),
      ...(options.resyncMs ? { resyncMs: options.resyncMs } : {}),
    });
  }

  start(): void {
    if (this.options.store.installs.get(DIRECTORY_INSTALL)) this.#prepareSocketDir();
    this.ensureBinds();
    this.sync.start();
  }

  stop(): void {
    this.sync.stop();
  }

  changed(): void {
    try {
      this.ensureInstalled();
    } catch (error) {
      // The change is stored; slapd follows once it can be made (the next change retries).
      this.options.log?.warn(
        { err: (error as Error).message },
        'the directory service cannot be installed',
      );
    }
    this.sync.request();
  }

  refresh(): void {
    this.sync.request();
  }

  settled(): Promise<void> {
    return this.sync.idle();
  }

  /**
   * Every install of an app with `accounts: directory` has its bind account (app-accounts.ts
   * `ensureDirectoryBinds`); those just given one are rendered again, and slapd told.
   */
  ensureBinds(): string[] {
    const { store, pins, reconciler, log } = this.options;
    const made = ensureDirectoryBinds(
      store.db,
      store.installs,
      (install) => pins.of(install)?.manifest.accounts,
    );
    if (made.length === 0) return made;
    log?.info({ installs: made }, 'made directory bind accounts');
    for (const id of made) reconciler.enqueue(id);
    this.changed();
    return made;
  }

  /** Makes the directory's install the first time it is needed. */
  ensureInstalled(): void {
    const { store, catalog, pins, reconciler } = this.options;
    if (store.installs.get(DIRECTORY_INSTALL)) return;
    const listed = catalog.core(DIRECTORY_INSTALL);
    if (!listed) throw new Error('the catalogue has no "directory" app');
    const { hash, folder } = pinApp(pins, listed.dir);
    const resolved = resolveSettings(folder.manifest, {});
    this.#prepareSocketDir();
    store.installs.create({
      id: DIRECTORY_INSTALL,
      appId: folder.manifest.id,
      appDir: listed.dir,
      definition: hash,
      appVersion: folder.manifest.version,
      settings: resolved.settings,
      secrets: resolved.secrets,
      acceptedPermissions: [],
    });
    reconciler.enqueue(DIRECTORY_INSTALL);
  }

  // slapd runs as its own uid in the container and must make its socket in this host folder.
  // Only the socket lives there; the data folder above it stays the daemon's (0750).
  #prepareSocketDir(): void {
    const dir = socketDir(this.options.dataDir);
    mkdirSync(dir, { recursive: true, mode: 0o750 });
    chmodSync(dir, 0o777);
  }
}
