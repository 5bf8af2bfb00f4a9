/**
 * The daemon's long-lived parts, wired once: the store, the Docker adapter,
 * the catalogue, the reconciler, jobs, the event hub and the audit log.
 * `foyer serve` starts it beside the HTTP server; tests start it in-process
 * or as a real child process. Nothing here decides anything: it only
 * connects the pieces and narrows the store to what the reconciler reads.
 */

import { existsSync } from 'node:fs';
import { hostname } from 'node:os';
import { delimiter, dirname, join, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';
import { ComposeError } from '../compose/index.js';
import { parseHostnames } from './access/hosts.js';
import { lanAddresses } from './addresses.js';
import type { FoyerServices } from './app.js';
import { BackupService } from './backup/service.js';
import { backupStore } from './backup/store.js';
import { readAppFolder } from './catalog/catalog.js';
import { PinnedDefinitions, pinUnpinnedInstalls } from './catalog/pins.js';
import { createCatalog } from './catalog/service.js';
import { bindPassword } from './directory/app-accounts.js';
import { mailDomains } from './directory/autoconfig.js';
import { memberDataQueue } from './directory/member-data-queue.js';
import { DIRECTORY_INSTALL, DirectoryService } from './directory/service.js';
import type { DockerAdapter } from './docker/adapter.js';
import type { AdminCounts } from './edge/admin-client.js';
import { CertificateHandOver } from './edge/hand-over.js';
import { EdgeService } from './edge/service.js';
import { EventHub } from './events.js';
import { JobRunner } from './jobs/runner.js';
import { OidcService } from './oidc/service.js';
import { instanceId } from './paths.js';
import {
  type AppSource,
  type InstallRecord,
  type RenderContext,
  renderProject,
} from './reconcile/desired.js';
import { Presence } from './reconcile/presence.js';
import { type InstallSource, type Logger, Reconciler } from './reconcile/reconciler.js';
import { ResourceMonitor } from './resources/monitor.js';
import { auditLog } from './store/audit.js';
import { openStore, type Store } from './store/index.js';
import { jobRepository } from './store/jobs.js';
import { updateOffers } from './store/update-offers.js';
import { updateRepository } from './store/updates.js';
import { AutoUpdates } from './updates/auto-updates.js';
import { DebianChecks } from './updates/debian-check.js';
import { UpdateDriver } from './updates/driver.js';
import { stageOf } from './updates/phases.js';

export interface DaemonOptions {
  dataDir: string;
  /** Catalogue folders, Foyer's own first. */
  catalogDirs?: string[];
  dockerHost?: string;
  /** An adapter to use instead of connecting (tests wrap one to count calls). */
  docker?: DockerAdapter;
  resyncMs?: number;
  /** How often the backup timer looks for due work (default 60 s). */
  backupTickMs?: number;
  log: Logger;
  /** Start reconciling at once (default); `foyer serve` starts it after listening. */
  start?: boolean;
  /** How often automatic updates look for due installs (default a minute; tests go faster). */
  autoUpdateTickMs?: number;
  /** Counts the edge's admin API calls (tests, the benchmark). */
  edgeCounts?: AdminCounts;
}

export { defaultDataDir } from './paths.js';

export interface Daemon extends FoyerServices {
  oidc: OidcService;
  /**
   * Stops reconciling and closes the store once the passes in flight have ended, waiting at
   * most `drainMs` (default 10 s). Resolves false when passes were abandoned; the
   * store is then left open for them, and the process should exit (issue 12 §5).
   */
  close(options?: { drainMs?: number }): Promise<boolean>;
}

/** How long a stopping daemon waits for the passes in flight (a pull, a build) before abandoning them. */
export const SHUTDOWN_DRAIN_MS = 10_000;

/** Foyer's own `catalog/`, then the folders of `FOYER_CATALOG` (separated by ":"). */
export function defaultCatalogDirs(env = process.env): string[] {
  // This module runs two folders below the package root: dist/server/ or dist/bundle/.
  const root = resolve(dirname(fileURLToPath(import.meta.url)), '../..', 'catalog');
  const extra = (env.FOYER_CATALOG ?? '')
    .split(delimiter)
    .filter(Boolean)
    .map((d) => resolve(d));
  return [root, ...extra];
}

/** The folder an unpinned install renders from: none, so rendering says why and touches nothing. */
const UNPINNED = '/nonexistent/foyer-unpinned-definition';

/** What the reconciler reads of a pinned app folder: its Compose file and declared permissions. */
export function appSource(appDir: string): AppSource {
  if (appDir === UNPINNED || !existsSync(appDir)) {
    throw new ComposeError([
      {
        path: 'definition',
        message:
          'this install has no pinned app definition (its catalogue folder could not be read ' +
          'when it was pinned); update it from the catalogue to pin one',
      },
    ]);
  }
  const app = readAppFolder(appDir);
  return {
    composePath: app.composePath,
    composeContent: app.composeContent,
    permissions: app.manifest.permissions ?? [],
    tls: app.manifest.tls,
    ...(app.manifest.web ? { web: app.manifest.web } : {}),
    accounts: app.manifest.accounts,
  };
}

/**
 * The store's installs, as the reconciler reads them (secrets included, never leaving the
 * daemon). `appDir` is the install's pinned copy, never the catalogue folder (issue 17).
 */
export function installSource(store: Store, pins: PinnedDefinitions): InstallSource {
  const updates = updateRepository(store.db);
  const withSecrets = (install: ReturnType<Store['installs']['list']>[number]): InstallRecord => {
    // An update under way says what passes may do meanwhile (issue 15), from the store, so it
    // holds across a restart.
    const stage = stageOf(updates.activeFor(install.id)?.phase);
    const ldapBindPassword = bindPassword(store.db, install.id);
    return {
      ...install,
      appDir: install.definition ? pins.dir(install.definition) : UNPINNED,
      secrets: store.installs.secrets(install.id),
      ...(stage ? { stage } : {}),
      ...(ldapBindPassword !== undefined ? { ldapBindPassword } : {}),
    };
  };
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
  const docker =
    options.docker ??
    (await import('./docker/dockerode-adapter.js')).connectDocker(options.dockerHost);
  const adapter = await docker;
  const catalog = createCatalog(options.catalogDirs ?? defaultCatalogDirs());
  for (const problem of catalog.problems())
    options.log.warn({ problem }, 'catalogue entry skipped');
  const audit = auditLog(store.db);
  const pins = new PinnedDefinitions(options.dataDir);
  // Before the reconciler renders anything: installs made before pins existed keep what they run.
  pinUnpinnedInstalls({ store, pins, audit, log: options.log });
  const installs = installSource(store, pins);
  const render: RenderContext & { instance: string } = {
    dataDir: options.dataDir,
    instance: instanceId(options.dataDir),
  };
  const reconciler = new Reconciler({
    docker: adapter,
    installs,
    loadApp: appSource,
    render,
    log: options.log,
    resyncMs: options.resyncMs,
  });
  // Certificates for mail and chat from the edge's storage (issue 13), checked at every resync.
  const handOver = new CertificateHandOver({
    docker: adapter,
    installs: () => installs.list(),
    loadApp: appSource,
    render,
    log: options.log,
  });
  // Sets the domain in the render context (the same object) before the first pass (issue 13).
  // Made below; the edge tells it when the domain changes.
  let oidc: OidcService | undefined;
  const edge = new EdgeService({
    dataDir: options.dataDir,
    store,
    catalog,
    pins,
    reconciler,
    docker: adapter,
    render,
    log: options.log,
    resyncMs: options.resyncMs,
    counts: options.edgeCounts,
    certificateNames: () => handOver.names(),
    // Thunderbird's autoconfig.<domain> for each mail domain (issue 14).
    autoconfigDomains: () => mailDomains(store.installs.list()),
    // The OpenID Connect issuer follows the domain (https://<domain>/oidc).
    domainChanged: () => oidc?.issuer(),
  });
  const hub = new EventHub();
  reconciler.on('status', (status) => hub.publish({ type: 'status', data: status }));
  reconciler.on('engine', (engine) => hub.publish({ type: 'engine', data: engine }));
  // Containers that just started are handed their certificate without waiting for the timer.
  reconciler.on('settled', () => void handOver.sync());
  const jobRows = jobRepository(store.db);
  const jobs = new JobRunner({ jobs: jobRows, reconciler, hub });
  const updates = new UpdateDriver({
    store,
    updates: updateRepository(store.db),
    jobs,
    jobRows,
    audit,
    docker: adapter,
    reconciler,
    pins,
    installs,
    loadApp: appSource,
    render,
    log: options.log,
  });
  let lastSampleError = '';
  const resources = new ResourceMonitor({
    docker: adapter,
    instance: instanceId(options.dataDir),
    installs: () => store.installs.list().map((install) => install.id),
    // Once per distinct failure: an engine that stays down would otherwise log every minute.
    onError: (error) => {
      const message = error instanceof Error ? error.message : String(error);
      if (message !== lastSampleError) options.log.warn({ err: error }, 'resource sample failed');
      lastSampleError = message;
    },
  });
  // A status change is the reconciler seeing containers change: the monitor lists them again.
  reconciler.on('status', () => resources.invalidate());
  const backups = backupStore(store.db);
  const backup = new BackupService({
    dataDir: options.dataDir,
    instance: instanceId(options.dataDir),
    store,
    db: store.db,
    backups,
    pins,
    docker: adapter,
    reconciler,
    jobs: jobRows,
    hub,
    audit,
    log: options.log,
  });
  const offers = updateOffers(store.db);
  const debianChecks = new DebianChecks({
    docker: adapter,
    instance: render.instance,
    offers,
    installs: () => store.installs.list().map((install) => install.id),
    builtServices: (id) => builtServices(installs, render, id),
    log: options.log,
  });
  const services = { dataDir: options.dataDir, store, catalog, pins, updates, jobs, audit };
  const autoUpdates = new AutoUpdates({
    ctx: services,
    offers,
    checks: debianChecks,
    log: options.log,
    tickMs: options.autoUpdateTickMs,
  });
  // Updates a stopped daemon left in the middle go on from their stored phase (issue 15).
  updates.resume();
  // Before the reconciler starts: a killed daemon's scratch installs and jobs cleaned up.
  await backup.recover();
  if (options.start !== false) {
    reconciler.start();
    handOver.start(options.resyncMs ?? 30_000);
  }
  backup.start(options.backupTickMs);
  // The directory (issue 14): members in the store, slapd kept in step once it is used.
  const directory = new DirectoryService({
    dataDir: options.dataDir,
    store,
    catalog,
    pins,
    reconciler,
    log: options.log,
  });
  directory.start();
  // Removed members' data still to delete (issue 14): tried again soon after start, when the
  // engine comes back and when an install with pending places changes state (started, purged).
  const memberData = memberDataQueue({
    dataDir: options.dataDir,
    store,
    docker: adapter,
    pins,
    audit,
    log: options.log,
  });
  memberData.start();
  reconciler.on('engine', (engine: { reachable: boolean }) => {
    if (engine.reachable) memberData.nudge();
  });
  reconciler.on('status', (status: { install: string }) => {
    memberData.nudge({ install: status.install });
  });
  // slapd (re)started, maybe on an empty volume: fill it now rather than at the next resync. An
  // install removed takes its access group and bind account with it (ON DELETE CASCADE).
  reconciler.on('status', (status: { install: string; state: string }) => {
    if (status.install === DIRECTORY_INSTALL || status.state === 'removed') {
      directory.refresh();
    } else {
      // An install restored from a backup (as a new install, or with the whole state) comes
      // with no bind account: its first status makes one, so it signs members in (issue 14).
      directory.ensureBinds();
    }
    // Apps that sign people in through the directory join its network, which exists once slapd
    // runs: look at them again then rather than at their next retry.
    if (status.install === DIRECTORY_INSTALL && status.state === 'running') {
      for (const id of directory.members.snapshot().binds.map((b) => b.install)) {
        if (id !== DIRECTORY_INSTALL) reconciler.enqueue(id);
      }
    }
  });
  // Single sign-on for web apps (issue 14): the provider loads at the first request under /oidc.
  oidc = new OidcService({
    db: store.db,
    installs: store.installs,
    pins,
    render,
    loadApp: appSource,
    // With a domain (the edge's, issue 13) the issuer is https://<domain>/oidc; without, the
    // daemon's own URL (server/oidc/issuer.ts).
    issuer: { domain: () => render.domain },
    names: boxNames,
    log: options.log,
  });
  debianChecks.start();
  autoUpdates.start();
  // This Foyer's lease on its engine: foyer adopt never takes the objects of a Foyer that runs.
  const presence = new Presence(adapter, instanceId(options.dataDir), options.log);
  presence.start();
  resources.start();
  edge.start();
  return {
    dataDir: options.dataDir,
    store,
    docker: adapter,
    reconciler,
    catalog,
    pins,
    hub,
    jobs,
    audit,
    resources,
    backup,
    backups,
    updates,
    directory,
    memberData,
    oidc,
    offers,
    debianChecks,
    autoUpdates,
    edge,
    close: async ({ drainMs = SHUTDOWN_DRAIN_MS } = {}) => {
      autoUpdates.stop();
      debianChecks.stop();
      edge.stop();
      updates.stop();
      directory.stop();
      memberData.stop();
      resources.stop();
      backup.stop();
      await handOver.stop();
      await presence.stop();
      const drained = await reconciler.shutdown(drainMs);
      // An abandoned pass may still read the store before the process exits.
      if (drained) store.close();
      return drained;
    },
  };
}

/** The names and addresses the box answers to (server/access/hosts.ts), for apps' web addresses. */
function boxNames(): string[] {
  const host = hostname().toLowerCase();
  return [
    'localhost',
    '127.0.0.1',
    host,
    `${host}.local`,
    ...parseHostnames(process.env.FOYER_HOSTNAMES),
    ...lanAddresses(),
  ];
}

/** The services of an install whose images are built on the box; none when it cannot render. */
function builtServices(
  installs: InstallSource,
  render: { dataDir: string; instance: string },
  id: string,
): string[] {
  const record = installs.get(id);
  if (!record) return [];
  try {
    const project = renderProject(record, appSource(record.appDir), render);
    return Object.values(project.services)
      .filter((s) => s.build)
      .map((s) => s.name);
  } catch {
    return [];
  }
}
