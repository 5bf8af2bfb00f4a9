/**
 * The backup service the routes and the nightly timer use (issue 15). Each action is a job of
 * its own kind (`backup`, `restore`, `verify`), admitted like any change to an install — in
 * one transaction with its audit entry, refused while another job runs for that install — and
 * worked here, not by the reconciler: restic's `--json` status lines become the job's live
 * progress, a failure ends the job `failed` with restic's words and is audited.
 */
import { randomUUID } from 'node:crypto';
import { mkdirSync, readdirSync, rmSync, statSync } from 'node:fs';
import { join } from 'node:path';
import type { EventHub } from '../events.js';
import { admit } from '../jobs/admission.js';
import type { Logger } from '../reconcile/reconciler.js';
import type { AuditLog } from '../store/audit.js';
import type { Install } from '../store/index.js';
import type { Job, JobKind, JobRepository } from '../store/jobs.js';
import { parseRepository } from './repository.js';
import { restic } from './restic.js';
import { checkArgs, forgetArgs, restoreArgs, tag } from './restic-args.js';
import type { BackupStatus } from './restic-json.js';
import { findSnapshot, listSnapshots, restoreAsNew, restoreInPlace } from './restore.js';
import { isDue } from './schedule.js';
import {
  type SnapshotContext,
  snapshotInstall,
  snapshotState,
  withQuietInstall,
} from './snapshot.js';
import { backupDir, resticPaths } from './targets.js';

export interface BackupServiceOptions extends SnapshotContext {
  jobs: JobRepository;
  hub: EventHub;
  audit: AuditLog;
  log: Logger;
}

/** Who asked, from where: for the job and the audit log. */
export interface Requester {
  actor: string;
  address: string;
}

export class BackupService {
  private timer?: NodeJS.Timeout;
  private scheduledRun?: Promise<unknown>;

  constructor(private readonly ctx: BackupServiceOptions) {}

  /** Admits a job of `kind` for an install (refused while another runs); no install: a box job. */
  private admitJob(
    kind: JobKind,
    installId: string | null,
    who: Requester,
    detail: Record<string, unknown>,
  ): Job {
    if (installId === null) {
      const job = this.ctx.jobs.create({
        id: randomUUID(),
        kind,
        installId: null,
        actor: who.actor,
      });
      this.ctx.audit.record(who.actor, `backup.${kind}`, undefined, {
        job: job.id,
        address: who.address,
        ...detail,
      });
      return job;
    }
    const { job } = admit(
      { db: this.ctx.db, jobs: this.ctx.jobs, audit: this.ctx.audit },
      { kind, installId, actor: who.actor, address: who.address, detail },
      () => undefined,
    );
    return job;
  }

  /** Runs a job's work in the background; its end (and failure) is stored, published, audited. */
  private work(job: Job, who: Requester, body: (progress: Progress) => Promise<unknown>): void {
    this.ctx.hub.publish({ type: 'job', data: job });
    const progress = new Progress(job, this.ctx);
    void body(progress).then(
      () => this.finish(job, 'succeeded'),
      (error: unknown) => {
        const message = (error as Error).message ?? String(error);
        this.ctx.log.warn(
          { job: job.id, install: job.installId, err: message },
          `${job.kind} failed`,
        );
        this.ctx.audit.record(who.actor, `backup.${job.kind}.failed`, job.installId ?? undefined, {
          job: job.id,
          error: message,
        });
        this.finish(job, 'failed', message);
      },
    );
  }

  private finish(job: Job, state: 'succeeded' | 'failed', error?: string): void {
    const done = this.ctx.jobs.finish(job.id, state, error);
    this.ctx.hub.publish({ type: 'job', data: done });
  }

  private install(id: string): Install {
    const install = this.ctx.store.installs.get(id);
    if (!install) throw new NotFound(`no install "${id}"`);
    if (install.desired === 'absent') throw new Conflict(`"${id}" is being uninstalled`);
    return install;
  }

  private targetNames(target?: string): string[] {
    if (target) {
      if (!this.ctx.backups.target(target)) throw new NotFound(`no backup target "${target}"`);
      return [target];
    }
    const all = this.ctx.backups.targets().map((t) => t.name);
    if (all.length === 0)
      throw new Conflict(
        'no backup target yet; add one with: foyer backup target add <name> <repository>',
      );
    return all;
  }

  /** `backup run`: one install, or every install and Foyer's state; to one target or all. */
  run(options: { install?: string; target?: string; scheduled?: boolean }, who: Requester): Job {
    const targets = this.targetNames(options.target);
    const installs = options.install
      ? [this.install(options.install)]
      : this.ctx.store.installs.list().filter((i) => i.desired !== 'absent' && i.definition);
    const job = this.admitJob('backup', options.install ?? null, who, {
      targets,
      ...(options.install ? {} : { installs: installs.map((i) => i.id) }),
      ...(options.scheduled ? { scheduled: true } : {}),
    });
    this.work(job, who, async (progress) => {
      const failures: string[] = [];
      for (const target of targets) {
        for (const install of installs) {
          // A box-wide run skips an install busy with another change rather than wait for it.
          const busy = !options.install && this.ctx.jobs.runningFor(install.id);
          if (busy) {
            failures.push(`${install.id}: skipped, a ${busy.kind} job is running`);
            continue;
          }
          progress.step(`${install.id} → ${target}`, install.id);
          try {
            await withQuietInstall(this.ctx, install, () =>
              snapshotInstall(this.ctx, install, target, progress.report),
            );
            if (options.scheduled) await this.forget(target, tag('foyer-install', install.id));
          } catch (error) {
            if (options.install) throw error;
            failures.push(`${install.id} → ${target}: ${(error as Error).message}`);
          }
        }
        if (!options.install) {
          progress.step(`Foyer's state → ${target}`);
          await snapshotState(this.ctx, target, progress.report);
          if (options.scheduled) await this.forget(target, tag('foyer-state'));
        }
      }
      if (failures.length > 0) throw new Error(failures.join('; '));
    });
    return job;
  }

  /** `forget --prune` of one tag's snapshots by the configured retention. */
  private async forget(targetName: string, filter: string): Promise<void> {
    const target = this.ctx.backups.target(targetName)!;
    await restic({
      repo: parseRepository(target.repository),
      password: this.ctx.backups.password(target.name),
      paths: resticPaths(this.ctx.dataDir),
      args: forgetArgs(filter, this.ctx.backups.schedule().retention),
    });
  }

  /** `restore <install> [--snapshot] [--as]`: in place, or as a new install. */
  async restore(
    options: { install: string; snapshot?: string; as?: string },
    who: Requester,
  ): Promise<Job> {
    const existing = this.ctx.store.installs.get(options.install);
    const newId = options.as ?? (existing ? undefined : options.install);
    if (newId && this.ctx.store.installs.get(newId))
      throw new Conflict(`an install "${newId}" exists already; choose another --as`);
    const located = await findSnapshot(this.ctx, options.install, options.snapshot).catch(
      (error: Error) => {
        throw new NotFound(error.message);
      },
    );
    const detail = {
      from: options.install,
      snapshot: located.snapshot.shortId,
      target: located.target,
      ...(newId ? { as: newId } : {}),
    };
    if (newId) {
      const job = this.admitJob('restore', newId, who, detail);
      this.work(job, who, async (progress) => {
        await restoreAsNew(this.ctx, newId, located, (t) => progress.step(t, newId));
        progress.step('starting', newId);
        await this.waitRunning(newId);
      });
      return job;
    }
    const install = this.install(options.install);
    const job = this.admitJob('restore', install.id, who, detail);
    this.work(job, who, async (progress) => {
      const { undo } = await restoreInPlace(this.ctx, install, located, progress.report, (t) =>
        progress.step(t, install.id),
      );
      this.ctx.audit.record(who.actor, 'backup.restore.undo-snapshot', install.id, {
        job: job.id,
        snapshot: undo,
      });
      progress.step('starting', install.id);
      await this.waitRunning(install.id);
    });
    return job;
  }

  /**
   * `backup verify <install>`: `restic check --read-data-subset` of each target holding it,
   * then its newest snapshot restored into a scratch folder and its bytes counted against what
   * the backup read; the snapshot is marked verified or not.
   */
  verify(installId: string, who: Requester, subset = '10%'): Job {
    this.targetNames();
    const job = this.admitJob('verify', installId, who, { subset });
    this.work(job, who, async (progress) => {
      const located = await findSnapshot(this.ctx, installId);
      const target = this.ctx.backups.target(located.target)!;
      const call = {
        repo: parseRepository(target.repository),
        password: this.ctx.backups.password(target.name),
        paths: resticPaths(this.ctx.dataDir),
      };
      progress.step(`checking ${target.name} (restic check --read-data-subset=${subset})`);
      try {
        await restic({ ...call, args: checkArgs(subset) });
      } catch (error) {
        const note = `restic check: ${(error as Error).message}`;
        this.ctx.backups.markVerified(target.name, located.snapshot.shortId, false, note);
        throw new Error(note);
      }
      progress.step(`restoring ${located.snapshot.shortId} into a scratch folder`);
      const scratch = join(backupDir(this.ctx.dataDir), 'verify', job.id);
      mkdirSync(scratch, { recursive: true, mode: 0o700 });
      try {
        await restic({ ...call, args: restoreArgs(located.snapshot.id, scratch) });
        const restored = bytesUnder(scratch);
        const record = this.ctx.backups
          .snapshots(target.name)
          .find((s) => s.snapshot === located.snapshot.shortId);
        // The description file is removed from the stage after the backup, but is in the snapshot.
        const expected = record?.size ?? null;
        const ok = expected === null || restored === expected;
        const note = `restored ${restored} bytes${expected === null ? '' : ` of ${expected}`}`;
        this.ctx.backups.markVerified(target.name, located.snapshot.shortId, ok, note);
        if (!ok) throw new Error(`the restore of ${located.snapshot.shortId} differs: ${note}`);
      } finally {
        rmSync(scratch, { recursive: true, force: true });
      }
    });
    return job;
  }

  /** Every snapshot of an install (or all) with what Foyer recorded of it. */
  async snapshots(install?: string) {
    const located = await listSnapshots(this.ctx, install);
    const records = new Map(
      this.ctx.backups
        .targets()
        .flatMap((t) => this.ctx.backups.snapshots(t.name))
        .map((r) => [`${r.target}/${r.snapshot}`, r]),
    );
    return located.map(({ target, snapshot }) => {
      const record = records.get(`${target}/${snapshot.shortId}`);
      const value = (key: string) =>
        snapshot.tags.find((t) => t.startsWith(`${key}=`))?.slice(key.length + 1) ?? null;
      return {
        id: snapshot.id,
        shortId: snapshot.shortId,
        target,
        time: snapshot.time,
        install: value('foyer-install'),
        app: value('foyer-app'),
        version: value('foyer-version'),
        state: snapshot.tags.includes('foyer-state'),
        tags: snapshot.tags,
        size: record?.size ?? null,
        verified: record?.verified ?? null,
        verifiedAt: record?.verifiedAt ?? null,
      };
    });
  }

  /** The nightly timer: once a minute, a scheduled run when one is due (schedule.ts). */
  start(intervalMs = 60_000): void {
    this.timer = setInterval(() => this.tick(), intervalMs);
    this.timer.unref();
  }

  stop(): void {
    clearInterval(this.timer);
  }

  /** Starts a scheduled run of everything when due; returns its job. */
  tick(now = new Date()): Job | undefined {
    if (this.scheduledRun) return undefined;
    const schedule = this.ctx.backups.schedule();
    if (!isDue(now, schedule, this.ctx.backups.lastScheduledRun())) return undefined;
    if (this.ctx.backups.targets().length === 0) return undefined;
    this.ctx.backups.setLastScheduledRun(now);
    const job = this.run({ scheduled: true }, { actor: 'schedule', address: 'daemon' });
    this.scheduledRun = this.waitJob(job.id).finally(() => {
      this.scheduledRun = undefined;
    });
    return job;
  }

  private async waitJob(id: string): Promise<Job> {
    for (;;) {
      const job = this.ctx.jobs.get(id)!;
      if (job.state !== 'running') return job;
      await new Promise((r) => setTimeout(r, 1000));
    }
  }

  /** Waits for the reconciler to say the install runs again (2 min at most). */
  private async waitRunning(id: string, timeoutMs = 120_000): Promise<void> {
    const deadline = Date.now() + timeoutMs;
    for (;;) {
      const status = this.ctx.reconciler.status(id);
      if (status?.state === 'running') return;
      if (status?.state === 'failed' && status.terminal) throw new Error(status.reason ?? 'failed');
      if (Date.now() > deadline)
        throw new Error(
          `restored, but not running after ${timeoutMs / 1000} s: ${status?.reason ?? status?.state}`,
        );
      await new Promise((r) => setTimeout(r, 250));
    }
  }
}

/** The job's live progress: restic status lines as events, a step text at most once a second. */
class Progress {
  private last = 0;
  private install: string | null;

  constructor(
    private readonly job: Job,
    private readonly ctx: BackupServiceOptions,
  ) {
    this.install = job.installId;
  }

  step(text: string, install?: string): void {
    if (install) this.install = install;
    this.ctx.jobs.setStep(this.job.id, text);
    this.ctx.hub.publish({
      type: 'progress',
      data: { job: this.job.id, install: this.install, kind: 'backup-step', text },
    });
  }

  readonly report = (status: BackupStatus): void => {
    const now = Date.now();
    if (now - this.last < 500 && status.percent < 1) return;
    this.last = now;
    this.ctx.hub.publish({
      type: 'progress',
      data: {
        job: this.job.id,
        install: this.install,
        kind: 'backup',
        percent: status.percent,
        bytesDone: status.bytesDone ?? 0,
        totalBytes: status.totalBytes ?? 0,
        filesDone: status.filesDone ?? 0,
        totalFiles: status.totalFiles ?? 0,
        secondsRemaining: status.secondsRemaining,
      },
    });
  };
}

function bytesUnder(dir: string): number {
  let total = 0;
  for (const entry of readdirSync(dir, { withFileTypes: true })) {
    const path = join(dir, entry.name);
    if (entry.isDirectory()) total += bytesUnder(path);
    else if (entry.isFile()) total += statSync(path).size;
  }
  return total;
}

/** Errors the routes map to 404 and 409. */
export class NotFound extends Error {}
export class Conflict extends Error {}
