/**
 * Putting a snapshot back (issue 15): in place — the install stopped, its current state
 * snapshotted first so the restore itself can be undone, each volume's folder swapped for the
 * snapshot's, the install started — or as a new install (a clone, or an install that was
 * uninstalled with purge): the same pinned definition (restored from the snapshot when this box
 * lacks it), the snapshot's settings and secrets, its volumes made and filled before the
 * reconciler creates a container. A snapshot is restored whole into a scratch folder: it holds
 * one install, never the whole box (YunoHost#1911).
 */
import { spawn } from 'node:child_process';
import { existsSync, mkdirSync, readFileSync, renameSync, rmSync } from 'node:fs';
import { join } from 'node:path';
import { pinFolder } from '../catalog/definitions.js';
import type { Install } from '../store/index.js';
import { byCodeUnit } from '../text-order.js';
import { type InstallDescription, type InstallLayout, installLayout } from './layout.js';
import { restic } from './restic.js';
import { restoreArgs, snapshotsArgs, tag } from './restic-args.js';
import { parseSnapshots, type Snapshot } from './restic-json.js';
import {
  type Report,
  type SnapshotContext,
  snapshotInstall,
  withQuietInstall,
} from './snapshot.js';
import { backupDir, targetCall } from './targets.js';

/** A snapshot and the target it is on. */
export interface Located {
  target: string;
  snapshot: Snapshot;
}

/** A target whose snapshots could not be listed, and restic's words why. */
export interface Unreachable {
  target: string;
  error: string;
}

/** What one listing across the targets found, newest first, and the targets it could not read. */
export interface Listing {
  located: Located[];
  unreachable: Unreachable[];
}

/** Every snapshot of an install (or, with no install, every snapshot) on every target. */
export function listSnapshots(ctx: SnapshotContext, install?: string): Promise<Listing> {
  return listTagged(ctx, install ? tag('foyer-install', install) : undefined);
}

/**
 * The snapshots carrying a tag (all, without one) on every target, newest first. The targets are
 * read side by side; one that cannot be read (a USB disk unplugged, an SFTP host down) is named
 * in `unreachable` and the others still answer. Only when no target answers is it an error.
 */
export async function listTagged(ctx: SnapshotContext, filter?: string): Promise<Listing> {
  const targets = ctx.backups.targets();
  const runs = await Promise.allSettled(
    targets.map((target) =>
      restic({ ...targetCall(ctx, target.name), args: snapshotsArgs(filter) }),
    ),
  );
  const located: Located[] = [];
  const unreachable: Unreachable[] = [];
  runs.forEach((run, i) => {
    const target = targets[i]!.name;
    if (run.status === 'rejected') {
      unreachable.push({ target, error: (run.reason as Error).message });
      return;
    }
    for (const snapshot of parseSnapshots(run.value.stdout)) located.push({ target, snapshot });
  });
  if (targets.length > 0 && unreachable.length === targets.length)
    throw new Error(
      `no backup target could be read: ${unreachable.map((u) => `${u.target}: ${u.error}`).join('; ')}`,
    );
  located.sort((a, b) => byCodeUnit(b.snapshot.time, a.snapshot.time));
  return { located, unreachable };
}

/** " (not read: a, b)" for an answer that found nothing while some targets were unreachable. */
export function notRead(listing: Listing): string {
  return listing.unreachable.length > 0
    ? ` (not read: ${listing.unreachable.map((u) => u.target).join(', ')})`
    : '';
}

/** The snapshot to restore: the one whose id starts with `id`, else the install's newest. */
export async function findSnapshot(
  ctx: SnapshotContext,
  install: string,
  id?: string,
): Promise<Located> {
  const listing = await listSnapshots(ctx, install);
  const all = listing.located;
  const match = id ? all.filter((l) => l.snapshot.id.startsWith(id)) : all.slice(0, 1);
  if (match.length === 0)
    throw new Error(
      (id
        ? `no snapshot ${id} of "${install}" on any target`
        : `no snapshot of "${install}" on any target`) + notRead(listing),
    );
  if (match.length > 1 && id) throw new Error(`snapshot id ${id} is ambiguous; give more of it`);
  return match[0]!;
}

/** Restores a whole snapshot into a fresh scratch folder and reads its install description. */
export async function unpack(
  ctx: SnapshotContext,
  located: Located,
  scratch: string,
  signal?: AbortSignal,
) {
  rmSync(scratch, { recursive: true, force: true });
  mkdirSync(scratch, { recursive: true, mode: 0o700 });
  await restic({
    ...targetCall(ctx, located.target),
    args: restoreArgs(located.snapshot.id, scratch),
    signal,
  });
  const file = located.snapshot.paths.find((p) => p.endsWith('/foyer-install.json'));
  if (!file) throw new Error(`snapshot ${located.snapshot.shortId} holds no install description`);
  return JSON.parse(readFileSync(join(scratch, file), 'utf8')) as InstallDescription;
}

/** Moves a folder's contents into place: a rename on one filesystem, else `cp -a` (owners kept). */
async function moveInto(from: string, to: string): Promise<void> {
  const old = `${to}.foyer-old`;
  rmSync(old, { recursive: true, force: true });
  if (existsSync(to)) renameSync(to, old);
  try {
    renameSync(from, to);
  } catch (error) {
    if ((error as NodeJS.ErrnoException).code !== 'EXDEV') {
      if (existsSync(old) && !existsSync(to)) renameSync(old, to);
      throw error;
    }
    mkdirSync(to, { recursive: true });
    await new Promise<void>((resolve, reject) =>
      spawn('cp', ['-a', '--', `${from}/.`, to], { stdio: 'ignore' })
        .on('error', reject)
        .on('close', (code) => (code === 0 ? resolve() : reject(new Error(`cp exited ${code}`)))),
    );
  }
  rmSync(old, { recursive: true, force: true });
}

/** Fills an install's volumes (made when missing) from an unpacked snapshot. */
export async function fillVolumes(
  ctx: SnapshotContext,
  layout: InstallLayout,
  description: InstallDescription,
  scratch: string,
): Promise<void> {
  for (const [key, from] of Object.entries(description.volumes)) {
    const volume = layout.volumes.find((v) => v.key === key);
    // A volume the definition no longer names has nowhere to go; the snapshot keeps it.
    if (!volume) continue;
    if (!(await ctx.docker.inspectLabels('volume', volume.name)))
      await ctx.docker.createVolume(volume.body);
    const details = await ctx.docker.inspectLabels('volume', volume.name);
    if (!details?.mountpoint)
      throw new Error(`volume "${volume.name}" has no folder on this machine`);
    await moveInto(join(scratch, from), details.mountpoint);
  }
}

const layoutOf = (ctx: SnapshotContext, install: Install) =>
  installLayout(ctx, install, ctx.store.installs.secrets(install.id));

const scratchOf = (ctx: SnapshotContext, id: string) => join(backupDir(ctx.dataDir), 'restore', id);

/** In place: stop, snapshot the current state (undo), swap the volumes' data, start. */
export async function restoreInPlace(
  ctx: SnapshotContext,
  install: Install,
  located: Located,
  report: Report,
  step: (text: string) => void,
  signal?: AbortSignal,
): Promise<{ undo: string }> {
  const scratch = scratchOf(ctx, install.id);
  try {
    return await withQuietInstall(
      ctx,
      install,
      async () => {
        step('snapshotting the current state first (so this restore can be undone)');
        const undo = await snapshotInstall(
          ctx,
          install,
          located.target,
          report,
          [tag('foyer-before-restore')],
          signal,
        );
        step(`restoring snapshot ${located.snapshot.shortId}`);
        const description = await unpack(ctx, located, scratch, signal);
        await fillVolumes(ctx, layoutOf(ctx, install), description, scratch);
        return { undo: undo.snapshotId };
      },
      { stop: true },
    );
  } finally {
    rmSync(scratch, { recursive: true, force: true });
  }
}

/**
 * As a new install `id`: the snapshot's definition, settings and secrets, its volumes filled
 * before the reconciler (held off `id` meanwhile) creates any container. On failure, nothing
 * of `id` is left: no row, no volume.
 */
export async function restoreAsNew(
  ctx: SnapshotContext,
  id: string,
  located: Located,
  step: (text: string) => void,
  signal?: AbortSignal,
): Promise<Install> {
  const scratch = scratchOf(ctx, id);
  return ctx.reconciler.hold(id, async () => {
    let created: Install | undefined;
    try {
      step(`restoring snapshot ${located.snapshot.shortId}`);
      const description = await unpack(ctx, located, scratch, signal);
      if (!existsSync(ctx.pins.dir(description.definition))) {
        const hash = pinFolder(ctx.dataDir, join(scratch, description.definitionPath));
        if (hash !== description.definition)
          throw new Error('the definition in the snapshot does not match its hash');
      }
      if (ctx.store.installs.get(id)) throw new Error(`an install "${id}" exists already`);
      created = ctx.store.installs.create({
        id,
        appId: description.app,
        appDir: description.appDir,
        definition: description.definition,
        appVersion: description.version ?? undefined,
        settings: description.settings,
        secrets: description.secrets,
        acceptedPermissions: description.acceptedPermissions,
      });
      step('putting the data into the new volumes');
      await fillVolumes(ctx, layoutOf(ctx, created), description, scratch);
      return created;
    } catch (error) {
      if (created) {
        const layout = installLayout(ctx, created, ctx.store.installs.secrets(id));
        for (const v of layout.volumes)
          await ctx.docker.removeVolume(v.name).catch(() => undefined);
        ctx.store.installs.delete(id);
      }
      throw error;
    } finally {
      rmSync(scratch, { recursive: true, force: true });
    }
  });
}
