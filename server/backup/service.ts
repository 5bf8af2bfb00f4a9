/**
 * The backup service the routes and the nightly timer use (issue 15). Each action is a job of
 * its own kind (`backup`, `restore`, `verify`), admitted like any change to an install — in
 * one transaction with its audit entry, refused while another job runs for that install — and
 * worked here, not by the reconciler: restic's `--json` status lines become the job's live
 * progress, a failure ends the job `failed` with restic's words and is audited.
 */
import { randomUUID } from 'node:crypto';
import { readFileSync, rmSync } from 'node:fs';
import { hostname } from 'node:os';
import { join } from 'node:path';
import type { EventHub } from '../events.js';
import { admit } from '../jobs/admission.js';
import type { Logger } from '../reconcile/reconciler.js';
import type { AuditLog } from '../store/audit.js';
import type { Install } from '../store/index.js';
import type { Job, JobKind, JobRepository } from '../store/jobs.js';
import { onlyDeadOwnLocks, parseLock } from './locks.js';
import { restic } from './restic.js';
import { checkArgs, forgetArgs, tag } from './restic-args.js';
import type { BackupStatus } from './restic-json.js';
import {
  findSnapshot,
  type Listing,
  listSnapshots,
  restoreAsNew,
  restoreInPlace,
} from './restore.js';
import { checkSubset, isCheckDue, isDue, nextCheckPart } from './schedule.js';
import { removeLeftoverScratch, verifyInScratch } from './scratch.js';
import {
  type SnapshotContext,
  snapshotInstall,
  snapshotState,
  withQuietInstall,
} from './snapshot.js';
import { backupDir, targetCall } from './targets.js';

/** The job kinds this service works itself (a restart marks them interrupted here, not by the runner). */
export const BACKUP_JOB_KINDS: readonly JobKind[] = ['backup', 'restore', 'verify'];

/** Thrown into a job's work when its job was cancelled (an uninstall superseded it). */
class Cancelled extends Error {}

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

/** Whether a target's snapshots could be listed, when, and restic's words if not. */
export interface TargetReach {
  reachable: boolean;
  error: string | null;
  at: string;
}

export class BackupService {
  private timer?: NodeJS.Timeout;
  private stopped = false;
  private scheduledRun?: Promise<unknown>;
  /** The work under way, aborted when the daemon stops. */
  private readonly working = new Set<AbortController>();
  /** Verifications waiting for their backup job to end, one after another. */
  private verifications: Promise<unknown> = Promise.resolve();

  constructor(private readonly ctx: BackupServiceOptions) {}

  /** What snapshots and restores work with (a state restore stages with it). */
  get context(): BackupServiceOptions {
    return this.ctx;
  }

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

  /**
   * Runs a job's work in the background; its end (and failure) is stored, published, audited.
   * A job cancelled in the store meanwhile (an uninstall) has its work aborted — restic killed,
   * stopped services started again by `withQuietInstall` — and keeps its `cancelled` state.
   */
  private work(
    job: Job,
    who: Requester,
    body: (progress: Progress, signal: AbortSignal) => Promise<unknown>,
  ): Promise<void> {
    this.ctx.hub.publish({ type: 'job', data: job });
    const progress = new Progress(job, this.ctx);
    const abort = new AbortController();
    const watch = setInterval(() => {
      if (this.ctx.jobs.get(job.id)?.state === 'cancelled') abort.abort(new Cancelled('cancelled'));
    }, 250);
    watch.unref();
    this.working.add(abort);
    return body(progress, abort.signal).then(
      () => {
        clearInterval(watch);
        this.working.delete(abort);
        this.finish(job, 'succeeded');
      },
      (error: unknown) => {
        clearInterval(watch);
        this.working.delete(abort);
        if (this.ctx.jobs.get(job.id)?.state !== 'running') {
          this.ctx.log.info({ job: job.id, install: job.installId }, `${job.kind} stopped`);
          return;
        }
        // Aborted (the daemon stopping): say so, not restic's "operation was aborted".
        const message = abort.signal.aborted
          ? String((abort.signal.reason as Error)?.message ?? abort.signal.reason)
          : ((error as Error).message ?? String(error));
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
    // Cancelled (or interrupted) meanwhile: that word stays.
    if (this.ctx.jobs.get(job.id)?.state !== 'running') return;
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
    const backedUp = new Set<string>();
    void this.work(job, who, async (progress, signal) => {
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
            const started = Date.now();
            let quietAt = 0;
            let summary: { snapshotId: string; totalDuration: number } | undefined;
            await withQuietInstall(this.ctx, install, async () => {
              quietAt = Date.now();
              summary = await snapshotInstall(
                this.ctx,
                install,
                target,
                progress.report,
                [],
                signal,
              );
              return summary;
            });
            // What the app's downtime was made of (stop, restic, start): for people and bench.
            this.ctx.log.info(
              {
                install: install.id,
                target,
                snapshot: summary?.snapshotId,
                resticSeconds: summary?.totalDuration,
                quietSeconds: (quietAt - started) / 1000,
                seconds: (Date.now() - started) / 1000,
              },
              'snapshot made',
            );
            backedUp.add(install.id);
            if (options.scheduled)
              await this.forget(target, tag('foyer-install', install.id), signal);
          } catch (error) {
            if (options.install || signal.aborted) throw error;
            failures.push(`${install.id} → ${target}: ${(error as Error).message}`);
          }
        }
        if (!options.install) {
          progress.step(`Foyer's state → ${target}`);
          await snapshotState(this.ctx, target, progress.report, signal);
          if (options.scheduled) await this.forget(target, tag('foyer-state'), signal);
        }
      }
      if (failures.length > 0) throw new Error(failures.join('; '));
    }).finally(() => {
      if (backedUp.size > 0 && this.ctx.backups.schedule().verifyAfterBackup)
        this.verifyLater([...backedUp], who);
    });
    return job;
  }

  /**
   * After a backup: each install's new snapshot restored into a scratch install, one verify
   * job after another (each admitted like any job; an install busy meanwhile is skipped).
   */
  private verifyLater(installs: string[], who: Requester): void {
    this.verifications = this.verifications.then(async () => {
      for (const id of installs) {
        if (this.stopped) return;
        const install = this.ctx.store.installs.get(id);
        if (!install || install.desired === 'absent' || this.ctx.jobs.runningFor(id)) continue;
        try {
          const job = this.verify(id, who, { check: false });
          await this.waitJob(job.id);
        } catch (error) {
          this.ctx.log.warn({ install: id, err: (error as Error).message }, 'verify not started');
        }
      }
    });
  }

  /** Resolves once the verifications queued after backups are done (tests, shutdown). */
  verificationsDone(): Promise<unknown> {
    return this.verifications;
  }

  /** `forget --prune` of one tag's snapshots by the configured retention. */
  private async forget(targetName: string, filter: string, signal?: AbortSignal): Promise<void> {
    await restic({
      ...this.call(targetName),
      args: forgetArgs(filter, this.ctx.backups.schedule().retention),
      signal,
    });
  }

  /** What restic needs to reach a target. */
  private call(targetName: string) {
    return targetCall(this.ctx, targetName);
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
      void this.work(job, who, async (progress, signal) => {
        await restoreAsNew(this.ctx, newId, located, (t) => progress.step(t, newId), signal);
        progress.step('starting', newId);
        await this.waitRunning(newId);
      });
      return job;
    }
    const install = this.install(options.install);
    const job = this.admitJob('restore', install.id, who, detail);
    void this.work(job, who, async (progress, signal) => {
      const { undo } = await restoreInPlace(
        this.ctx,
        install,
        located,
        progress.report,
        (t) => progress.step(t, install.id),
        signal,
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
   * `backup verify <install>`: `restic check --read-data-subset` of the target holding its
   * newest snapshot (unless `check: false`, as after a backup), then that snapshot restored
   * into a scratch install (scratch.ts) whose health checks must pass within the app's time
   * limit; the snapshot is marked verified or not, with a note saying why.
   */
  verify(
    installId: string,
    who: Requester,
    options: { subset?: string; check?: boolean } = {},
  ): Job {
    this.targetNames();
    const subset = options.subset ?? '10%';
    const check = options.check !== false;
    const job = this.admitJob('verify', installId, who, check ? { subset } : {});
    void this.work(job, who, async (progress, signal) => {
      const located = await findSnapshot(this.ctx, installId);
      const target = located.target;
      const shortId = located.snapshot.shortId;
      const mark = (ok: boolean, note: string) =>
        this.ctx.backups.markVerified(target, shortId, ok, note, installId);
      if (check) {
        progress.step(`checking ${target} (restic check --read-data-subset=${subset})`);
        try {
          await restic({ ...this.call(target), args: checkArgs(subset), signal });
        } catch (error) {
          if (signal.aborted) throw error;
          const note = `restic check: ${(error as Error).message}`;
          mark(false, note);
          throw new Error(note);
        }
      }
      const result = await verifyInScratch(this.ctx, located, (t) => progress.step(t), signal);
      mark(result.ok, result.note);
      this.ctx.audit.record(who.actor, `backup.verify.${result.ok ? 'ok' : 'failed'}`, installId, {
        job: job.id,
        snapshot: shortId,
        target,
        note: result.note,
      });
      if (!result.ok) throw new Error(`snapshot ${shortId} is not verified: ${result.note}`);
    });
    return job;
  }

  /**
   * The periodic check: `restic check --read-data-subset=n/N` of every target, the next part
   * `n` each time (schedule.ts), so all the data is read back in N runs.
   */
  check(who: Requester, part: number, parts: number): Job {
    const targets = this.targetNames();
    const subset = checkSubset(part, parts);
    const job = this.admitJob('verify', null, who, { subset, targets });
    void this.work(job, who, async (progress, signal) => {
      const failures: string[] = [];
      for (const target of targets) {
        progress.step(`checking ${target} (restic check --read-data-subset=${subset})`);
        try {
          await restic({ ...this.call(target), args: checkArgs(subset), signal });
        } catch (error) {
          if (signal.aborted) throw error;
          failures.push(`${target}: ${(error as Error).message}`);
        }
      }
      if (failures.length > 0) throw new Error(`restic check failed: ${failures.join('; ')}`);
    });
    return job;
  }

  /** Whether each target answered the last time its snapshots were listed (target name → reach). */
  private readonly reach = new Map<string, TargetReach>();

  /** How the last listing of `target`'s snapshots went; null before any. */
  targetReach(target: string): TargetReach | null {
    return this.reach.get(target) ?? null;
  }

  /** Every snapshot of an install (or all) with what Foyer recorded of it. */
  async snapshots(install?: string) {
    const at = new Date().toISOString();
    let listing: Listing;
    try {
      listing = await listSnapshots(this.ctx, install);
    } catch (error) {
      for (const t of this.ctx.backups.targets())
        this.reach.set(t.name, { reachable: false, error: (error as Error).message, at });
      throw error;
    }
    const { located, unreachable } = listing;
    for (const t of this.ctx.backups.targets())
      this.reach.set(t.name, { reachable: true, error: null, at });
    for (const u of unreachable) this.reach.set(u.target, { reachable: false, error: u.error, at });
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
        verifyNote: record?.verifyNote ?? null,
      };
    });
  }

  /** The nightly timer: once a minute, a scheduled run when one is due (schedule.ts). */
  start(intervalMs = 60_000): void {
    this.timer = setInterval(() => {
      try {
        this.tick();
      } catch (error) {
        this.ctx.log.warn({ err: (error as Error).message }, 'scheduled backup not started');
      }
    }, intervalMs);
    this.timer.unref();
  }

  /** Stops the timer and aborts the work under way (restic killed, services started again). */
  stop(): void {
    this.stopped = true;
    clearInterval(this.timer);
    for (const abort of this.working)
      abort.abort(new Error('the daemon stopped during this job; run it again'));
  }

  /**
   * At the daemon's start, before the reconciler: what a killed daemon left is cleaned up.
   * Its backup, restore and verify jobs end `interrupted` with what happened; scratch installs
   * are removed; staged install descriptions (they hold secrets) and restore folders deleted;
   * restic's stale locks (of restic processes that died with the daemon) removed with
   * `restic unlock`, which leaves a live process's lock alone. The services a backup stopped
   * are started again by the reconciler, whose desired state says they run.
   */
  async recover(): Promise<void> {
    const kinds = new Set(BACKUP_JOB_KINDS);
    for (const job of this.ctx.jobs.list({ limit: 1000 })) {
      if (job.state !== 'running' || !kinds.has(job.kind)) continue;
      const what =
        job.kind === 'backup'
          ? 'no snapshot was recorded; the services it stopped are started again'
          : job.kind === 'restore'
            ? 'check the install and run the restore again'
            : 'its scratch install is removed; run the verification again';
      const done = this.ctx.jobs.finish(
        job.id,
        'interrupted',
        `the daemon stopped during this ${job.kind} (${job.step ?? 'starting'}); ${what}`,
      );
      this.ctx.hub.publish({ type: 'job', data: done });
      this.ctx.audit.record('foyer', `backup.${job.kind}.interrupted`, job.installId ?? undefined, {
        job: job.id,
      });
    }
    try {
      const removed = await removeLeftoverScratch(this.ctx);
      if (removed.length > 0)
        this.ctx.log.info({ scratch: removed }, 'removed the scratch installs of verifications');
    } catch (error) {
      this.ctx.log.warn({ err: (error as Error).message }, 'scratch installs not removed yet');
    }
    for (const dir of ['stage', 'restore'])
      rmSync(join(backupDir(this.ctx.dataDir), dir), { recursive: true, force: true });
    for (const target of this.ctx.backups.targets()) {
      void this.unlock(target.name).catch((error: Error) =>
        this.ctx.log.warn({ target: target.name, err: error.message }, 'restic unlock failed'),
      );
    }
  }

  /** `restic unlock`, then the locks a recycled PID keeps looking alive (./locks.ts). */
  private async unlock(target: string): Promise<void> {
    const call = this.call(target);
    await restic({ ...call, args: ['unlock'] });
    const ids = (await restic({ ...call, args: ['--no-lock', 'list', 'locks'] })).stdout
      .split('\n')
      .map((line) => line.trim())
      .filter(Boolean);
    if (ids.length === 0) return;
    const locks = await Promise.all(
      ids.map(async (id) =>
        parseLock((await restic({ ...call, args: ['--no-lock', 'cat', 'lock', id] })).stdout),
      ),
    );
    const known = locks.filter((lock) => lock !== undefined);
    if (known.length !== ids.length || !onlyDeadOwnLocks(known, hostname(), commandOf)) return;
    await restic({ ...call, args: ['unlock', '--remove-all'] });
    this.ctx.log.info({ target, locks: ids.length }, 'removed locks of restic processes that died');
  }

  /**
   * Starts what is due: a scheduled run of everything (then, when due, the periodic check of
   * the next part of the data); returns the job started.
   */
  tick(now = new Date()): Job | undefined {
    if (this.scheduledRun) return undefined;
    if (this.ctx.backups.targets().length === 0) return undefined;
    const schedule = this.ctx.backups.schedule();
    const who = { actor: 'schedule', address: 'daemon' };
    let job: Job | undefined;
    if (isDue(now, schedule, this.ctx.backups.lastScheduledRun())) {
      this.ctx.backups.setLastScheduledRun(now);
      job = this.run({ scheduled: true }, who);
    } else if (isCheckDue(now, schedule, this.ctx.backups.lastCheck())) {
      const part = nextCheckPart(this.ctx.backups.lastCheck(), schedule.checkParts);
      this.ctx.backups.setLastCheck(now, part);
      job = this.check(who, part, schedule.checkParts);
    }
    if (!job) return undefined;
    this.scheduledRun = this.waitJob(job.id).finally(() => {
      this.scheduledRun = undefined;
    });
    return job;
  }

  /** Resolves with the job once it has ended. */
  async waitJob(id: string): Promise<Job> {
    for (;;) {
      const job = this.ctx.jobs.get(id)!;
      if (job.state !== 'running') return job;
      await new Promise((r) => setTimeout(r, 250));
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

/** A process's command line from /proc, undefined when there is no such process. */
function commandOf(pid: number): string | undefined {
  try {
    return readFileSync(`/proc/${pid}/cmdline`, 'utf8').replaceAll('\0', ' ');
  } catch {
    return undefined;
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

/** Errors the routes map to 404 and 409. */
export class NotFound extends Error {}
export class Conflict extends Error {}
