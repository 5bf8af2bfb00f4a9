// Foyer pieces on a test engine: an in-process reconciler over a temp store and the test
// catalogue, and the daemon as a real child process (for crash tests).
import { type ChildProcess, spawn } from 'node:child_process';
import { mkdtempSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { dirname, join, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';
import { readAppFolder } from '../../server/catalog/catalog.js';
import { pinFolder } from '../../server/catalog/definitions.js';
import { PinnedDefinitions } from '../../server/catalog/pins.js';
import { appSource, installSource } from '../../server/daemon.js';
import { countingAdapter } from '../../server/docker/counting-adapter.js';
import { connectDocker } from '../../server/docker/dockerode-adapter.js';
import { instanceId } from '../../server/paths.js';
import { Reconciler, type ReconcilerOptions } from '../../server/reconcile/reconciler.js';
import { openStore, type Store } from '../../server/store/index.js';
import type { TestEngine } from './engine.js';

const repoRoot = resolve(dirname(fileURLToPath(import.meta.url)), '../..');
export const TEST_CATALOG = join(repoRoot, 'test/fixtures/catalog');
/** Foyer's own catalogue (its core services, such as the directory, come from it). */
export const FOYER_CATALOG = join(repoRoot, 'catalog');

const quiet = { info() {}, warn() {}, error() {} };

/** Adds an install of a test catalogue app to the store, as the API will. */
export function addInstall(
  store: Store,
  id: string,
  app: string,
  settings: Record<string, string> = {},
  acceptedPermissions: string[] = [],
) {
  return addFolderInstall(store, id, join(TEST_CATALOG, app), settings, acceptedPermissions);
}

/** Adds an install of the app folder `appDir` (any folder, e.g. one a test writes), pinned. */
export function addFolderInstall(
  store: Store,
  id: string,
  appDir: string,
  settings: Record<string, string> = {},
  acceptedPermissions: string[] = [],
) {
  // Pinned as the API pins (issue 17): the store's data dir holds the copy rendering reads.
  const definition = pinFolder(dirname(store.path), appDir);
  return store.installs.create({
    id,
    appId: readAppFolder(appDir).manifest.id,
    appDir,
    definition,
    appVersion: readAppFolder(appDir).manifest.version,
    settings,
    acceptedPermissions,
  });
}

export interface TestFoyer {
  store: Store;
  dataDir: string;
  reconciler: Reconciler;
  counts: ReturnType<typeof countingAdapter>;
  close(): Promise<void>;
}

/** A reconciler in this process, on the test engine, with its own data dir and store. */
export async function startTestFoyer(
  engine: TestEngine,
  options: Partial<ReconcilerOptions> = {},
): Promise<TestFoyer> {
  const dataDir = mkdtempSync(join(tmpdir(), 'foyer-data-'));
  const store = openStore(join(dataDir, 'foyer.db'));
  const counts = countingAdapter(await connectDocker(engine.host));
  const reconciler = new Reconciler({
    docker: counts.adapter,
    installs: installSource(store, new PinnedDefinitions(dataDir)),
    loadApp: appSource,
    render: { dataDir, instance: instanceId(dataDir) },
    log: process.env.FOYER_TEST_LOG ? console_log : quiet,
    resyncMs: 1000,
    waitTimeoutMs: 30_000,
    ...options,
  });
  reconciler.start();
  return {
    store,
    dataDir,
    reconciler,
    counts,
    close: async () => {
      reconciler.stop();
      await reconciler.idle();
      store.close();
    },
  };
}

const console_log = {
  info: (o: object, m?: string) => console.log('info', m, JSON.stringify(o)),
  warn: (o: object, m?: string) => console.log('warn', m, JSON.stringify(o)),
  error: (o: object, m?: string) => console.log('error', m, JSON.stringify(o)),
};

/**
 * Polls `check` until it returns a value other than undefined/false, or fails after `ms`; the
 * failure carries what `explain` says then (the daemon's view, the engine's objects), so a wait
 * that ran out tells why.
 */
export async function eventually<T>(
  what: string,
  check: () => Promise<T | undefined | false> | T | undefined | false,
  ms = 30_000,
  explain?: () => Promise<string>,
): Promise<T> {
  const deadline = Date.now() + ms;
  let last: unknown;
  for (;;) {
    try {
      const value = await check();
      if (value !== undefined && value !== false) return value;
    } catch (error) {
      last = error;
    }
    if (Date.now() > deadline) {
      const why = explain ? await explain().catch((e) => `(explaining failed: ${e})`) : '';
      throw new Error(
        `timed out waiting for ${what}${last ? `: ${last}` : ''}${why && `\n${why}`}`,
      );
    }
    await new Promise((r) => setTimeout(r, 100));
  }
}

/** The daemon as a real child process (`node bin/foyer.js serve`), for crash tests. */
export interface DaemonProcess {
  child: ChildProcess;
  output(): string;
  kill(signal?: NodeJS.Signals): Promise<void>;
}

/** Starts `foyer serve` on the test engine with the given data dir. */
export function spawnDaemon(
  engine: TestEngine,
  dataDir: string,
  env: Record<string, string> = {},
): DaemonProcess {
  let output = '';
  const child = spawn(process.execPath, [join(repoRoot, 'bin/foyer.js'), 'serve'], {
    env: {
      ...process.env,
      DOCKER_HOST: engine.host,
      FOYER_DATA_DIR: dataDir,
      FOYER_PORT: '0',
      FOYER_HOST: '127.0.0.1',
      FOYER_RESYNC_MS: '500',
      FOYER_LOG_LEVEL: 'info',
      ...env,
    },
    stdio: ['ignore', 'pipe', 'pipe'],
  });
  child.stdout?.on('data', (c: Buffer) => {
    output += c;
  });
  child.stderr?.on('data', (c: Buffer) => {
    output += c;
  });
  return {
    child,
    output: () => output,
    kill: async (signal = 'SIGKILL') => {
      if (child.exitCode !== null || child.signalCode !== null) return;
      const exited = new Promise((r) => child.once('exit', r));
      child.kill(signal);
      await exited;
    },
  };
}
