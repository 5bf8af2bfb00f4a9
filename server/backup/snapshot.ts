/**
 * Making snapshots (issue 15): per install, its volumes' data read in place from the engine's
 * volume folders (the daemon runs as root beside a local engine, as adopt does) and its
 * description (settings, secrets, pinned definition) staged in a 0600 file that never reaches
 * a log; and Foyer's own state — the store through SQLite's online backup, and `definitions/`.
 * Consistency: the app's services are stopped for the seconds the snapshot takes (the
 * reconciler held off meanwhile) and started again whatever happens, or the app's declared
 * `backup.command` runs in its service first and the app keeps running.
 */
import { existsSync, mkdirSync, rmSync, writeFileSync } from 'node:fs';
import { hostname } from 'node:os';
import { join } from 'node:path';
import type Database from 'better-sqlite3';
import { definitionsDir } from '../catalog/definitions.js';
import type { PinnedDefinitions } from '../catalog/pins.js';
import type { DockerAdapter } from '../docker/adapter.js';
import type { Reconciler } from '../reconcile/reconciler.js';
import type { Install, Store } from '../store/index.js';
import { type InstallDescription, type InstallLayout, installLayout } from './layout.js';
import { restic } from './restic.js';
import { backupArgs, tag } from './restic-args.js';
import { type BackupStatus, type BackupSummary, parseBackupLine } from './restic-json.js';
import type { BackupStore } from './store.js';
import { backupDir, targetCall } from './targets.js';

export interface SnapshotContext {
  dataDir: string;
  instance: string;
  store: Store;
  db: Database.Database;
  backups: BackupStore;
  pins: PinnedDefinitions;
  docker: DockerAdapter;
  reconciler: Reconciler;
}

export type Report = (status: BackupStatus) => void;

/** Where the edge keeps its certificates and home CA (a bind folder, not a volume). */
export const edgeStorage = (dataDir: string) => join(dataDir, 'apps', 'edge', 'data');

/** The host name snapshots carry, so a box's snapshots group together in `forget`. */
export const snapshotHost = () => `foyer-${hostname().replace(/[^A-Za-z0-9.-]/g, '-')}`;

/** Where a backup's staged files wait: one folder per install (stable paths, one group). */
function stageDir(dataDir: string, name: string): string {
  return join(backupDir(dataDir), 'stage', name);
}

/** Runs `restic backup --json` of `paths` to a target; returns restic's summary. */
export async function runBackup(
  ctx: SnapshotContext,
  targetName: string,
  paths: string[],
  tags: string[],
  report: Report,
  signal?: AbortSignal,
): Promise<BackupSummary> {
  const call = targetCall(ctx, targetName);
  let summary: BackupSummary | undefined;
  const errors: string[] = [];
  const run = await restic({
    ...call,
    args: backupArgs({ paths, tags, host: snapshotHost() }),
    // 3: some source files could not be read; the snapshot exists, and the job says which.
    okCodes: [3],
    signal,
    onLine: (line) => {
      const message = parseBackupLine(line);
      if (message?.kind === 'status') report(message);
      else if (message?.kind === 'summary') summary = message;
      else if (message?.kind === 'error') errors.push(`${message.item}: ${message.message}`);
    },
  });
  if (!summary) throw new Error('restic made no snapshot (no summary line)');
  if (run.code === 3)
    throw new Error(`some files could not be read: ${errors.slice(0, 5).join('; ')}`);
  return summary;
}

/** Where each of the install's volumes keeps its data on this machine. */
export async function volumeFolders(
  docker: DockerAdapter,
  layout: InstallLayout,
): Promise<Record<string, string>> {
  const folders: Record<string, string> = {};
  for (const volume of layout.volumes) {
    const details = await docker.inspectLabels('volume', volume.name);
    if (!details) continue;
    if (details.driver !== 'local' || !details.mountpoint || !existsSync(details.mountpoint))
      throw new Error(
        `the data of volume "${volume.name}" is not in a folder of this machine (driver ` +
          `${details.driver}); backups need the Docker engine on the same machine as Foyer`,
      );
    folders[volume.key] = details.mountpoint;
  }
  return folders;
}

/**
 * One snapshot of an install (its services already quiet): the description staged, restic run
 * over it, the definition and the volumes' folders, the staged file removed whatever happens.
 */
export async function snapshotInstall(
  ctx: SnapshotContext,
  install: Install,
  targetName: string,
  report: Report,
  extraTags: string[] = [],
  signal?: AbortSignal,
): Promise<BackupSummary> {
  const secrets = ctx.store.installs.secrets(install.id);
  const layout = installLayout(ctx, install, secrets);
  const folders = await volumeFolders(ctx.docker, layout);
  const definitionPath = ctx.pins.dir(install.definition!);
  const description: InstallDescription = {
    format: 1,
    install: install.id,
    app: install.appId,
    version: install.appVersion,
    appDir: install.appDir,
    definition: install.definition!,
    definitionPath,
    settings: install.settings,
    secrets,
    acceptedPermissions: install.acceptedPermissions,
    volumes: folders,
  };
  const stage = stageDir(ctx.dataDir, install.id);
  mkdirSync(stage, { recursive: true, mode: 0o700 });
  const file = join(stage, 'foyer-install.json');
  writeFileSync(file, JSON.stringify(description, null, 2), { mode: 0o600 });
  try {
    const tags = [
      tag('foyer-install', install.id),
      tag('foyer-app', install.appId),
      tag('foyer-version', install.appVersion ?? 'unknown'),
      ...extraTags,
    ];
    const summary = await runBackup(
      ctx,
      targetName,
      [file, definitionPath, ...Object.values(folders)],
      tags,
      report,
      signal,
    );
    ctx.backups.recordSnapshot({
      target: targetName,
      snapshot: summary.snapshotId,
      install: install.id,
      app: install.appId,
      version: install.appVersion,
      time: new Date().toISOString(),
      size: summary.totalBytesProcessed,
      dataAdded: summary.dataAdded,
    });
    return summary;
  } finally {
    rmSync(file, { force: true });
  }
}

/**
 * Foyer's own state: the store by SQLite's online backup, the pinned definitions, and the
 * edge's storage (its certificates and home CA: a folder of the data dir, not a volume, so no
 * install snapshot holds it). What a new box needs besides each app's data (state-restore.ts).
 */
export async function snapshotState(
  ctx: SnapshotContext,
  targetName: string,
  report: Report,
  signal?: AbortSignal,
): Promise<BackupSummary> {
  const stage = stageDir(ctx.dataDir, 'foyer-state');
  mkdirSync(stage, { recursive: true, mode: 0o700 });
  const copy = join(stage, 'foyer.db');
  rmSync(copy, { force: true });
  await ctx.db.backup(copy);
  try {
    const paths = [copy, definitionsDir(ctx.dataDir), edgeStorage(ctx.dataDir)].filter((p) =>
      existsSync(p),
    );
    const summary = await runBackup(ctx, targetName, paths, [tag('foyer-state')], report, signal);
    ctx.backups.recordSnapshot({
      target: targetName,
      snapshot: summary.snapshotId,
      install: null,
      app: null,
      version: null,
      time: new Date().toISOString(),
      size: summary.totalBytesProcessed,
      dataAdded: summary.dataAdded,
    });
    return summary;
  } finally {
    rmSync(copy, { force: true });
  }
}

/**
 * Runs `work` with the install quiet: the reconciler held off it, its running containers
 * stopped (last first), then started again in dependency order — also when `work` fails, so a
 * failed backup leaves the app running. An app that declares `backup.command` is not stopped
 * (unless `stop`, as a restore must): the command runs in its service first.
 */
export async function withQuietInstall<T>(
  ctx: SnapshotContext,
  install: Install,
  work: () => Promise<T>,
  options: { stop?: boolean } = {},
): Promise<T> {
  const folder = ctx.pins.read(install.definition!);
  const hook = folder.manifest.backup;
  const layout = installLayout(ctx, install, ctx.store.installs.secrets(install.id));
  if (hook && !options.stop) {
    const container = layout.containers.find((c) => c.service === hook.service)?.name;
    if (!container) throw new Error(`app.yaml backup.service "${hook.service}" is not a service`);
    const signal = AbortSignal.timeout((hook.timeout ?? 300) * 1000);
    const result = await ctx.docker.exec(container, hook.command, { signal });
    if (result.exitCode !== 0)
      throw new Error(
        `the app's backup command exited with ${result.exitCode}: ${result.output.trim().slice(-500)}`,
      );
    return work();
  }
  return ctx.reconciler.hold(install.id, async () => {
    const running: { name: string; stopTimeout?: number }[] = [];
    for (const c of layout.containers) {
      const details = await ctx.docker.inspectContainer(c.name);
      if (details?.state.running) running.push(c);
    }
    try {
      // The service's stop_grace_period, as the reconciler stops it (the engine's 10 s if none).
      for (const c of [...running].reverse()) await ctx.docker.stopContainer(c.name, c.stopTimeout);
      return await work();
    } finally {
      for (const c of running) await ctx.docker.startContainer(c.name).catch(() => undefined);
    }
  });
}
