/**
 * Verification restores (issue 15 §"Verified backups"): a snapshot restored into a scratch
 * install — the same pinned definition rendered by the reconciler's own renderer under an
 * internal id (`foyer-verify-<32 hex>`, longer than any install id people may choose), so it
 * has its own network, volumes and data folder and never touches the live install's — with no
 * port published on the host, started by the reconciler's planner and executor, and watched
 * until the app's health checks pass or its time limit runs out. It never has a store row (so
 * no installs list or `foyer status` shows it); the reconciler is held off its id while it
 * exists; it is removed whole whatever happened, and a daemon killed meanwhile removes it at
 * its next start (the ids are recorded first, and objects are found by label as well).
 */
import { randomBytes } from 'node:crypto';
import { existsSync, mkdirSync, rmSync } from 'node:fs';
import { join } from 'node:path';
import { pinFolder } from '../catalog/definitions.js';
import { appDataDir, instanceFilter } from '../reconcile/desired.js';
import { execute } from '../reconcile/execute.js';
import { observeInstall } from '../reconcile/observe.js';
import { plan } from '../reconcile/plan.js';
import type { DesiredState, ObservedState } from '../reconcile/types.js';
import type { Install } from '../store/index.js';
import { DEFAULT_HEALTH_TIMEOUT_S } from '../updates/driver.js';
import { type InstallDescription, installLayout } from './layout.js';
import { fillVolumes, type Located, unpack } from './restore.js';
import {
  allFine,
  judgeScratch,
  type ScratchContainerState,
  type ScratchService,
} from './scratch-health.js';
import type { SnapshotContext } from './snapshot.js';
import { backupDir } from './targets.js';

export const SCRATCH_PREFIX = 'foyer-verify-';

/** A scratch install's id: never a valid install id (41+ characters). */
export const scratchId = () => `${SCRATCH_PREFIX}${randomBytes(16).toString('hex')}`;

export const isScratch = (id: string) => id.startsWith(SCRATCH_PREFIX);

const unpackDir = (dataDir: string, id: string) => join(backupDir(dataDir), 'verify', id);

export interface ScratchResult {
  ok: boolean;
  note: string;
}

/**
 * The desired state of a scratch install: the live one's render with no host port published,
 * and every bind mount outside `own` (its data folder, its definition) read-only, so a host
 * folder the app was allowed to share with the live install is never written to.
 */
export function unpublished(desired: DesiredState, own: string[] = []): DesiredState {
  const mine = (source: string) =>
    own.some((dir) => source === dir || source.startsWith(`${dir}/`));
  return {
    ...desired,
    services: desired.services.map((s) => {
      const host = (s.createBody.HostConfig ?? {}) as Record<string, unknown>;
      const mounts = (host.Mounts as Record<string, unknown>[] | undefined)?.map((m) =>
        m.Type === 'bind' && !mine(String(m.Source)) ? { ...m, ReadOnly: true } : m,
      );
      const binds = (host.Binds as string[] | undefined)?.map((b) => {
        const [source = '', target, options = 'rw'] = b.split(':');
        if (mine(source)) return b;
        const rest = options.split(',').filter((o) => o !== 'rw' && o !== 'ro');
        return `${source}:${target}:${['ro', ...rest].join(',')}`;
      });
      return {
        ...s,
        createBody: {
          ...s.createBody,
          HostConfig: {
            ...host,
            PortBindings: {},
            PublishAllPorts: false,
            ...(mounts ? { Mounts: mounts } : {}),
            ...(binds ? { Binds: binds } : {}),
          },
        },
      };
    }),
  };
}

/**
 * Restores `located` into a new scratch install, waits for its health, removes it. Resolves
 * with the verdict; rejects only when the work could not be tried (restic failed, cancelled).
 */
export async function verifyInScratch(
  ctx: SnapshotContext,
  located: Located,
  step: (text: string) => void,
  signal?: AbortSignal,
  options: { stableMs?: number; pollMs?: number } = {},
): Promise<ScratchResult> {
  const id = scratchId();
  ctx.backups.setScratchInstalls([...ctx.backups.scratchInstalls(), id]);
  const folder = unpackDir(ctx.dataDir, id);
  // Removed inside the hold: the reconciler's pass afterwards finds nothing of the id to report.
  return ctx.reconciler.hold(id, async () => {
    try {
      step(`restoring snapshot ${located.snapshot.shortId} into a scratch install`);
      let description: InstallDescription;
      try {
        description = await unpack(ctx, located, folder, signal);
      } catch (error) {
        if (signal?.aborted) throw error;
        return { ok: false, note: `the restore failed: ${(error as Error).message}` };
      }
      if (!existsSync(ctx.pins.dir(description.definition))) {
        const hash = pinFolder(ctx.dataDir, join(folder, description.definitionPath));
        if (hash !== description.definition)
          return { ok: false, note: 'the definition in the snapshot does not match its hash' };
      }
      const record: Install = {
        id,
        appId: description.app,
        appDir: ctx.pins.dir(description.definition),
        definition: description.definition,
        appVersion: description.version,
        previousDefinition: null,
        settings: description.settings,
        acceptedPermissions: description.acceptedPermissions,
        desired: 'running',
        purge: false,
        generation: 1,
        createdAt: new Date().toISOString(),
        updatedAt: new Date().toISOString(),
      };
      const layout = installLayout(ctx, record, description.secrets);
      const desired = unpublished(layout.desired, [appDataDir(ctx, id), record.appDir]);
      step('putting the data into the scratch volumes');
      await fillVolumes(ctx, layout, description, folder);
      rmSync(folder, { recursive: true, force: true });
      mkdirSync(appDataDir(ctx, id), { recursive: true, mode: 0o750 });
      step('starting the scratch install (no published ports)');
      const seconds =
        ctx.pins.read(description.definition).manifest.update?.healthTimeout ??
        DEFAULT_HEALTH_TIMEOUT_S;
      const deadline = Date.now() + seconds * 1000;
      const observed: ObservedState = {
        ...(await observeInstall(ctx.docker, id, instanceFilter(ctx.instance))),
        images: await imagesOf(ctx, desired),
      };
      try {
        await execute(plan(desired, observed, { restartUnhealthy: new Set() }), {
          docker: ctx.docker,
          waitTimeoutMs: Math.max(1000, deadline - Date.now()),
        });
      } catch (error) {
        if (signal?.aborted) throw error;
        return {
          ok: false,
          note: `the scratch install did not start: ${(error as Error).message}`,
        };
      }
      step(`waiting for the app's health checks (at most ${seconds} s)`);
      return await watchHealth(ctx, desired, deadline, signal, options);
    } finally {
      await removeScratch(ctx, id);
    }
  });
}

async function imagesOf(ctx: SnapshotContext, desired: DesiredState) {
  const images: ObservedState['images'] = {};
  for (const s of desired.services) {
    const image = await ctx.docker.inspectImage(s.image);
    images[s.image] = image && { id: image.id, buildHash: image.labels['foyer.build-hash'] };
  }
  return images;
}

async function watchHealth(
  ctx: SnapshotContext,
  desired: DesiredState,
  deadline: number,
  signal: AbortSignal | undefined,
  options: { stableMs?: number; pollMs?: number },
): Promise<ScratchResult> {
  const services: ScratchService[] = desired.services.map((s) => ({
    name: s.name,
    hasHealthcheck: s.hasHealthcheck,
    oneShot: s.oneShot,
  }));
  let fineSince: number | undefined;
  for (;;) {
    signal?.throwIfAborted();
    const states: Record<string, ScratchContainerState | undefined> = {};
    for (const s of desired.services) {
      const details = await ctx.docker.inspectContainer(s.containerName);
      states[s.name] = details?.state;
    }
    const now = Date.now();
    if (allFine(services, states)) fineSince ??= now;
    else fineSince = undefined;
    const verdict = judgeScratch({
      services,
      states,
      now,
      deadline,
      fineSince,
      stableMs: options.stableMs ?? 2000,
    });
    if (verdict.kind === 'healthy') return { ok: true, note: verdict.note };
    if (verdict.kind === 'failed') return { ok: false, note: verdict.note };
    await new Promise((r) => setTimeout(r, options.pollMs ?? 250));
  }
}

/** Removes everything of a scratch install: containers, networks, volumes, folders, its record. */
export async function removeScratch(ctx: SnapshotContext, id: string): Promise<void> {
  const labels = [instanceFilter(ctx.instance), `foyer.install=${id}`];
  const quiet = () => undefined;
  for (const c of await ctx.docker.listContainers(labels).catch(() => []))
    await ctx.docker.removeContainer(c.name, true).catch(quiet);
  for (const n of await ctx.docker.listNetworks(labels).catch(() => []))
    await ctx.docker.removeNetwork(n.name).catch(quiet);
  for (const v of await ctx.docker.listVolumes(labels).catch(() => []))
    await ctx.docker.removeVolume(v.name).catch(quiet);
  rmSync(appDataDir(ctx, id), { recursive: true, force: true });
  rmSync(unpackDir(ctx.dataDir, id), { recursive: true, force: true });
  const left = (await ctx.docker.listVolumes(labels).catch(() => [])).length;
  if (left === 0)
    ctx.backups.setScratchInstalls(ctx.backups.scratchInstalls().filter((s) => s !== id));
}

/**
 * At the daemon's start: every scratch install a killed daemon left (recorded, or found by its
 * labels) removed. Returns the ids removed.
 */
export async function removeLeftoverScratch(ctx: SnapshotContext): Promise<string[]> {
  const mine = [instanceFilter(ctx.instance)];
  const found = new Set(ctx.backups.scratchInstalls());
  const objects = [
    ...(await ctx.docker.listContainers(mine)),
    ...(await ctx.docker.listNetworks(mine)),
    ...(await ctx.docker.listVolumes(mine)),
  ];
  for (const o of objects) {
    const owner = o.labels['foyer.install'];
    if (owner && isScratch(owner)) found.add(owner);
  }
  for (const id of found) await removeScratch(ctx, id);
  rmSync(join(backupDir(ctx.dataDir), 'verify'), { recursive: true, force: true });
  return [...found];
}
