/**
 * The daemon's long-lived parts, wired once: the store, the Docker adapter
 * and the reconciler. `foyer serve` starts it beside the HTTP server; tests
 * start it as a real child process. Nothing here decides anything: it only
 * connects the pieces and narrows the store to what the reconciler reads.
 */
import { homedir } from 'node:os';
import { join } from 'node:path';
import { readAppFolder } from './catalog/catalog.js';
import type { DockerAdapter } from './docker/adapter.js';
import type { InstallRecord } from './reconcile/desired.js';
import { type InstallSource, type Logger, Reconciler } from './reconcile/reconciler.js';
import { openStore, type Store } from './store/index.js';

export interface DaemonOptions {
  dataDir: string;
  dockerHost?: string;
  resyncMs?: number;
  log: Logger;
}

export interface Daemon {
  store: Store;
  docker: DockerAdapter;
  reconciler: Reconciler;
  close(): Promise<void>;
}

/** `FOYER_DATA_DIR`, else `/var/lib/foyer` as root, else `~/.local/share/foyer` (DESIGN: interfaces). */
export function defaultDataDir(env = process.env): string {
  if (env.FOYER_DATA_DIR) return env.FOYER_DATA_DIR;
  return process.getuid?.() === 0 ? '/var/lib/foyer' : join(homedir(), '.local/share/foyer');
}

/** The store's installs, as the reconciler reads them (secrets included, never leaving the daemon). */
export function installSource(store: Store): InstallSource {
  const withSecrets = (install: ReturnType<Store['installs']['list']>[number]): InstallRecord => ({
    ...install,
    secrets: store.installs.secrets(install.id),
  });
  return {
    list: () => store.installs.list().map(withSecrets),
    get: (id) => {
      const install = store.installs.get(id);
      return install && withSecrets(install);
    },
    delete: (id) => void store.installs.delete(id),
  };
}

/** Opens the store, connects to the engine and starts reconciling. */
export async function startDaemon(options: DaemonOptions): Promise<Daemon> {
  const store = openStore(join(options.dataDir, 'foyer.db'));
  // Imported here, not at the top: dockerode's cost stays off paths that never talk to Docker.
  const { connectDocker } = await import('./docker/dockerode-adapter.js');
  const docker = await connectDocker(options.dockerHost);
  const reconciler = new Reconciler({
    docker,
    installs: installSource(store),
    loadApp: (appDir) => {
      const app = readAppFolder(appDir);
      return {
        composePath: app.composePath,
        composeContent: app.composeContent,
        permissions: app.manifest.permissions ?? [],
      };
    },
    render: { dataDir: options.dataDir },
    log: options.log,
    resyncMs: options.resyncMs,
  });
  reconciler.start();
  return {
    store,
    docker,
    reconciler,
    close: async () => {
      reconciler.stop();
      store.close();
    },
  };
}
