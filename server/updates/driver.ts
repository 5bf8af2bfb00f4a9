/**
 * Updates that roll back (issue 15): an update is a job over the reconciler,
 * not a second reconciler (DESIGN.md). The route moves the pin and records the
 * update in phase `preparing` in one transaction; this driver then walks the
 * phases (phases.ts), storing each before doing its work:
 *
 * - preparing: the images the old version runs get a rollback tag, so neither
 *   a pull of the same tag nor a prune can take them away;
 * - pulling: the reconciler pulls or builds the new images (stage `images`)
 *   while the old containers run on — nothing is replaced before they are all there;
 * - snapshotting: the install's volumes are copied (its services stopped for
 *   the copy, unless the app declares a live copy safe);
 * - recreating, checking: the reconciler recreates; every service must be
 *   healthy (or running, without a health check) within the app's time limit;
 * - restoring, reverting: the failed version's logs are saved, its data
 *   replaced by the snapshot, the old images tagged back, the old pin,
 *   settings, secrets and permissions written back; the reconciler recreates
 *   the old version, which must come up healthy.
 *
 * The driver creates no container: it moves desired state and waits on the
 * reconciler's statuses, like every job. A daemon killed in any phase resumes
 * it at its next start (`resume`).
 */

import { imageReference } from '../../compose/index.js';
import type { PinnedDefinitions } from '../catalog/pins.js';
import type { DockerAdapter } from '../docker/adapter.js';
import type { JobRunner } from '../jobs/runner.js';
import {
  type AppSource,
  type InstallRecord,
  instanceFilter,
  type RenderContext,
  renderProject,
} from '../reconcile/desired.js';
import type { Logger, Reconciler } from '../reconcile/reconciler.js';
import type { InstallStatus } from '../reconcile/status.js';
import type { AuditLog } from '../store/audit.js';
import type { Store } from '../store/index.js';
import type { JobRepository } from '../store/jobs.js';
import {
  FINAL_PHASES,
  type KeptImage,
  type UpdatePhase,
  type UpdateRecord,
  type UpdateRepository,
} from '../store/updates.js';
import { failedLogsDir, saveFailedLogs } from './failed-logs.js';
import { judgeHealth, nextPhase, type Outcome, rollbackTag, unhealthyService } from './phases.js';
import {
  removeSnapshot,
  restoreSnapshot,
  snapshotComplete,
  snapshotDir,
  takeSnapshot,
} from './snapshot.js';

/** Seconds an app's services have to become healthy after an update, unless app.yaml says. */
export const DEFAULT_HEALTH_TIMEOUT_S = 120;
/** How long the images of an update may take to pull or build. */
const PULL_LIMIT_MS = 30 * 60_000;

export interface UpdateDriverOptions {
  store: Store;
  updates: UpdateRepository;
  jobs: JobRunner;
  jobRows: JobRepository;
  audit: AuditLog;
  docker: DockerAdapter;
  reconciler: Reconciler;
  pins: PinnedDefinitions;
  /** The reconciler's view of installs (secrets included, `appDir` the pinned copy). */
  installs: { get(id: string): InstallRecord | undefined };
  loadApp: (appDir: string) => AppSource;
  render: RenderContext;
  log: Logger;
  /** How long `running` must hold before a version counts as up (default 2 s). */
  stableMs?: number;
  pollMs?: number;
}

/** What one phase's work came to, and what to store with the next phase. */
interface StepResult {
  outcome: Outcome;
  fields?: { images?: KeptImage[]; deadline?: string; logs?: string };
  /** Written in the same transaction as the next phase. */
  write?: () => void;
}

/** What a wait has seen of the reconciler since it began. */
interface Watch {
  install: string;
  generation: number;
  stage?: string;
  settled: boolean;
  runningSince?: number;
  unhealthy?: string;
  failure?: string;
}

const WORDS: Record<string, string> = {
  preparing: 'keeping the images of the running version',
  pulling: 'fetching the new images while the old version runs',
  snapshotting: 'taking a snapshot of the volumes',
  recreating: 'recreating the containers',
  checking: 'waiting for every service to be healthy',
  restoring: 'putting the old version and its data back',
  reverting: 'waiting for the old version to be healthy',
};

export class UpdateDriver {
  private readonly watches = new Set<Watch>();
  private readonly driving = new Set<string>();
  private stopped = false;

  constructor(private readonly options: UpdateDriverOptions) {
    options.reconciler.on(
      'settled',
      (e: { install: string; generation: number; stage?: string }) => {
        for (const w of this.watches)
          if (w.install === e.install && e.generation >= w.generation && e.stage === w.stage)
            w.settled = true;
      },
    );
    options.reconciler.on('status', (status: InstallStatus) => {
      for (const w of this.watches) if (w.install === status.install) this.observe(w, status);
    });
  }

  /** Records a new update in phase `preparing`; called inside the admission's transaction. */
  record(update: Parameters<UpdateRepository['create']>[0]): UpdateRecord {
    return this.options.updates.create(update);
  }

  /** The install's updates, newest first. */
  list(installId: string): UpdateRecord[] {
    return this.options.updates.list(installId);
  }

  /**
   * Stops walking updates (the daemon is closing): a wait under way ends without storing
   * anything, so the next start resumes the same phase.
   */
  stop(): void {
    this.stopped = true;
  }

  /** Starts walking a newly admitted update (its row is in phase `preparing`). */
  start(jobId: string): void {
    void this.drive(jobId);
  }

  /**
   * At the daemon's start: every update job still running is resumed from its stored phase;
   * one without an update row (older than this feature) is marked interrupted.
   */
  resume(): void {
    for (const job of this.options.jobRows.list({ limit: 1000 })) {
      if (job.kind !== 'update' || job.state !== 'running') continue;
      const update = this.options.updates.get(job.id);
      if (!update) {
        this.options.jobRows.finish(job.id, 'interrupted', 'the daemon stopped while it ran');
        continue;
      }
      const install = this.options.store.installs.get(update.installId);
      this.options.jobs.follow(job, install?.generation ?? 0);
      this.options.log.info(
        { install: update.installId, phase: update.phase },
        'resuming an update',
      );
      this.start(job.id);
    }
  }

  private async drive(jobId: string): Promise<void> {
    if (this.driving.has(jobId)) return;
    this.driving.add(jobId);
    try {
      for (;;) {
        const update = this.options.updates.get(jobId);
        if (!update) return;
        if (FINAL_PHASES.has(update.phase)) return await this.finish(update);
        if (this.options.jobRows.get(jobId)?.state !== 'running') {
          this.options.updates.advance(jobId, 'cancelled', { reason: 'the job was cancelled' });
          continue;
        }
        this.options.jobs.step(jobId, `update: ${WORDS[update.phase] ?? update.phase}`);
        let result: StepResult;
        try {
          result = await this.step(update);
        } catch (error) {
          if (error instanceof DriverStopped) return;
          result = { outcome: { kind: 'failed', reason: (error as Error).message } };
        }
        if (this.stopped) return;
        this.advance(update, result);
      }
    } catch (error) {
      this.options.log.error({ err: error, job: jobId }, 'update driver failed');
    } finally {
      this.driving.delete(jobId);
    }
  }

  /** Stores the next phase (with what the step wants written alongside) and wakes the reconciler. */
  private advance(update: UpdateRecord, result: StepResult): void {
    const { outcome } = result;
    const next = nextPhase(update.phase, outcome.kind);
    let reason: string | undefined;
    if (outcome.kind === 'failed') {
      reason =
        update.phase === 'reverting' || update.phase === 'restoring'
          ? `${update.reason ?? 'the update failed'}; and going back failed too: ${outcome.reason}`
          : `${FAILURE_WORDS[update.phase] ?? 'the update failed'}: ${outcome.reason}`;
      this.options.log.warn({ install: update.installId, phase: update.phase, reason }, 'update');
    }
    this.options.store.db.transaction(() => {
      result.write?.();
      this.options.updates.advance(update.jobId, next, { ...result.fields, reason });
    })();
    this.options.reconciler.enqueue(update.installId);
  }

  private step(update: UpdateRecord): Promise<StepResult> {
    switch (update.phase) {
      case 'preparing':
        return this.prepare(update);
      case 'pulling':
        return this.pull(update);
      case 'snapshotting':
        return this.snapshot(update);
      case 'recreating':
        return this.recreate(update);
      case 'checking':
        return this.check(update, this.deadlineOf(update));
      case 'restoring':
        return this.restore(update);
      case 'reverting':
        return this.revert(update);
      default:
        throw new Error(`no step for phase ${update.phase}`);
    }
  }

  /** Tags every image the old version's containers run, so the update cannot lose them. */
  private async prepare(update: UpdateRecord): Promise<StepResult> {
    const id = update.installId;
    const references = this.oldReferences(update);
    const containers = await this.options.docker.listContainers([
      `foyer.install=${id}`,
      instanceFilter(this.options.render.instance),
    ]);
    const images: KeptImage[] = [];
    for (const [service, reference] of references) {
      const container = containers.find((c) => c.name === `${id}-${service}-1`);
      if (!container) continue;
      const tag = rollbackTag(reference, id);
      await this.options.docker.tagImage(container.imageId, tag);
      images.push({ service, reference, id: container.imageId, rollbackTag: tag });
    }
    return { outcome: { kind: 'done' }, fields: { images } };
  }

  /** The image reference of each service in the definition the install had before the update. */
  private oldReferences(update: UpdateRecord): Map<string, string> {
    const record = this.options.installs.get(update.installId);
    const references = new Map<string, string>();
    if (!record || !update.from.definition) return references;
    const appDir = this.options.pins.dir(update.from.definition);
    const old: InstallRecord = {
      ...record,
      appDir,
      settings: update.from.settings,
      secrets: update.from.secrets,
      acceptedPermissions: update.from.acceptedPermissions,
      stage: undefined,
    };
    const project = renderProject(old, this.options.loadApp(appDir), this.options.render);
    for (const service of Object.values(project.services))
      references.set(service.name, imageReference(project, service));
    return references;
  }

  /** The reconciler pulls or builds the new images (stage `images`); the old version runs on. */
  private async pull(update: UpdateRecord): Promise<StepResult> {
    const id = update.installId;
    // Synchronously after the phase was stored: every pass that sees stage `images` sees this too.
    this.options.reconciler.requestUpdate(id);
    const watch = this.watch(id, 'images');
    try {
      const deadline = Date.now() + PULL_LIMIT_MS;
      for (;;) {
        if (watch.settled) return { outcome: { kind: 'done' } };
        if (watch.failure) return failed(watch.failure);
        if (Date.now() > deadline) return failed('the new images took too long');
        if (this.cancelled(update)) return failed('cancelled');
        await this.sleep();
      }
    } finally {
      this.watches.delete(watch);
    }
  }

  /** Copies the install's volumes, its services stopped unless the app allows a live copy. */
  private async snapshot(update: UpdateRecord): Promise<StepResult> {
    const id = update.installId;
    const live = this.manifestOf(update.from.definition)?.update?.liveSnapshot === true;
    const dir = snapshotDir(this.options.render.dataDir, id, update.jobId);
    await this.options.reconciler.hold(id, async () => {
      if (!live) await this.stopAll(id);
      await takeSnapshot(this.options.docker, id, this.options.render.instance, dir);
    });
    const install = this.options.store.installs.get(id);
    const seconds =
      this.manifestOf(install?.definition ?? null)?.update?.healthTimeout ??
      DEFAULT_HEALTH_TIMEOUT_S;
    return {
      outcome: { kind: 'done' },
      fields: { deadline: new Date(Date.now() + seconds * 1000).toISOString() },
    };
  }

  /** The reconciler recreates from the new pin; done once a pass of its generation settles. */
  private async recreate(update: UpdateRecord): Promise<StepResult> {
    const watch = this.watch(update.installId);
    try {
      for (;;) {
        if (watch.settled) return { outcome: { kind: 'done' } };
        const verdict = judgeHealth(this.healthInput(watch, this.deadlineOf(update)));
        if (verdict.kind === 'failed') return failed(verdict.reason);
        if (this.cancelled(update)) return failed('cancelled');
        await this.sleep();
      }
    } finally {
      this.watches.delete(watch);
    }
  }

  /** Every service healthy (or running) for a moment, within the deadline. */
  private async check(update: UpdateRecord, deadline: number): Promise<StepResult> {
    const install = this.options.store.installs.get(update.installId);
    if (install?.desired !== 'running') return { outcome: { kind: 'done' } };
    const watch = this.watch(update.installId);
    try {
      for (;;) {
        const verdict = judgeHealth(this.healthInput(watch, deadline));
        if (verdict.kind === 'healthy') return { outcome: { kind: 'done' } };
        if (verdict.kind === 'failed') return failed(verdict.reason);
        if (this.cancelled(update)) return failed('cancelled');
        await this.sleep();
      }
    } finally {
      this.watches.delete(watch);
    }
  }

  /**
   * Puts the old version back: the failed version's logs saved, its services stopped, the
   * snapshot's data restored, the old images tagged back, and — with the next phase, in one
   * transaction — the old pin, settings, secrets and accepted permissions written back.
   */
  private async restore(update: UpdateRecord): Promise<StepResult> {
    const id = update.installId;
    const { docker, render } = this.options;
    const dir = snapshotDir(render.dataDir, id, update.jobId);
    let logs: string | undefined;
    await this.options.reconciler.hold(id, async () => {
      // Only once the new version ran is there something to stop, log and restore.
      if (snapshotComplete(dir)) {
        logs = await saveFailedLogs(
          docker,
          id,
          render.instance,
          failedLogsDir(render.dataDir, id, update.jobId),
        );
        await this.stopAll(id);
        await restoreSnapshot(docker, id, render.instance, dir);
      }
      // Digests cannot be tags; an image pinned by digest is the same image anyway.
      for (const image of update.images)
        if (!image.reference.includes('@')) await docker.tagImage(image.id, image.reference);
      this.options.reconciler.dropUpdateRequest(id);
      this.options.reconciler.imagesChanged();
    });
    const { from } = update;
    return {
      outcome: { kind: 'done' },
      fields: logs ? { logs } : {},
      write: () => {
        this.options.store.installs.update(id, {
          appDir: from.appDir,
          ...(from.definition ? { definition: from.definition } : {}),
          ...(from.version ? { appVersion: from.version } : {}),
          previousDefinition: from.previousDefinition,
          settings: from.settings,
          secrets: from.secrets,
          acceptedPermissions: from.acceptedPermissions,
        });
      },
    };
  }

  /** The reconciler recreates the old version; it must come up healthy as well. */
  private async revert(update: UpdateRecord): Promise<StepResult> {
    const seconds =
      this.manifestOf(update.from.definition)?.update?.healthTimeout ?? DEFAULT_HEALTH_TIMEOUT_S;
    return this.check(update, Date.now() + seconds * 1000);
  }

  /** Ends an update: rollback tags and snapshot removed, the job ended with what happened. */
  private async finish(update: UpdateRecord): Promise<void> {
    const { docker, render } = this.options;
    for (const image of update.images) {
      try {
        await docker.untagImage(image.rollbackTag);
      } catch (error) {
        this.options.log.warn({ err: error, tag: image.rollbackTag }, 'rollback tag kept');
      }
    }
    const dir = snapshotDir(render.dataDir, update.installId, update.jobId);
    // A rollback that did not end healthy leaves the snapshot for a person to use.
    const kept = update.phase === 'failed' && snapshotComplete(dir);
    if (!kept) removeSnapshot(dir);
    const job = this.options.jobRows.get(update.jobId);
    if (job?.state !== 'running') return;
    if (update.phase === 'succeeded') {
      this.options.jobs.end(job, 'succeeded');
      return;
    }
    const message = `${failureMessage(update)}${kept ? `; the snapshot of its volumes is kept in ${dir}` : ''}`;
    this.options.audit.record('foyer', `install.update.${update.phase}`, update.installId, {
      job: update.jobId,
      from: update.toVersion,
      to: update.from.version,
      reason: update.reason,
      ...(update.logs ? { logs: update.logs } : {}),
    });
    this.options.jobs.end(job, 'failed', message);
  }

  private async stopAll(id: string): Promise<void> {
    const containers = await this.options.docker.listContainers([
      `foyer.install=${id}`,
      instanceFilter(this.options.render.instance),
    ]);
    await Promise.all(
      containers
        .filter((c) => c.state === 'running' || c.state === 'restarting' || c.state === 'paused')
        .map((c) => this.options.docker.stopContainer(c.name)),
    );
  }

  private manifestOf(definition: string | null) {
    if (!definition) return undefined;
    try {
      return this.options.pins.read(definition).manifest;
    } catch {
      return undefined;
    }
  }

  private deadlineOf(update: UpdateRecord): number {
    return update.deadline ? Date.parse(update.deadline) : Date.now();
  }

  private cancelled(update: UpdateRecord): boolean {
    return this.options.jobRows.get(update.jobId)?.state !== 'running';
  }

  /** Starts following the reconciler's word on an install, from its current generation on. */
  private watch(install: string, stage?: string): Watch {
    const generation = this.options.store.installs.get(install)?.generation ?? 0;
    const watch: Watch = { install, generation, stage, settled: false };
    this.watches.add(watch);
    // A pass that settles is what the watch waits for; an install at rest would get none.
    this.options.reconciler.enqueue(install);
    return watch;
  }

  private observe(watch: Watch, status: InstallStatus): void {
    // Before the first settled pass the status may still describe the containers being replaced.
    if (status.state === 'running' && watch.settled) watch.runningSince ??= Date.now();
    else if (status.state !== 'running') watch.runningSince = undefined;
    if (watch.settled) watch.unhealthy ??= unhealthyService(status);
    if (status.state === 'failed') watch.failure = status.reason ?? 'failed';
  }

  private healthInput(watch: Watch, deadline: number) {
    const status = this.options.reconciler.status(watch.install);
    if (status) this.observe(watch, status);
    return {
      settled: watch.settled,
      status,
      runningSince: watch.runningSince,
      unhealthy: watch.unhealthy,
      now: Date.now(),
      deadline,
      stableMs: this.options.stableMs ?? 2000,
    };
  }

  private async sleep(): Promise<void> {
    await new Promise((r) => setTimeout(r, this.options.pollMs ?? 100));
    if (this.stopped) throw new DriverStopped('the daemon is closing');
  }
}

const FAILURE_WORDS: Partial<Record<UpdatePhase, string>> = {
  preparing: 'the running version’s images could not be kept',
  pulling: 'the new images could not be fetched',
  snapshotting: 'the volumes could not be snapshotted',
  recreating: 'the new version could not be started',
  checking: 'the new version did not become healthy',
};

/** A wait ended because the daemon is closing; the stored phase is resumed at the next start. */
class DriverStopped extends Error {
  override name = 'DriverStopped';
}

function failed(reason: string): StepResult {
  return { outcome: { kind: 'failed', reason } };
}

/** The job's error for an update that did not succeed. */
export function failureMessage(update: UpdateRecord): string {
  const reason = update.reason ?? 'the update failed';
  if (update.phase !== 'rolled-back') return reason;
  const logs = update.logs ? `; the failed version’s logs are kept in ${update.logs}` : '';
  return `${reason}; rolled back to ${update.from.version ?? 'the previous version'}${logs}`;
}
