/**
 * Jobs: the long work people start (install, start, stop, restart, update,
 * reconfigure, uninstall). A route changes the desired state and creates the
 * job in one transaction (admission.ts), then the runner follows it;
 * the job does no Docker work itself — it follows the reconciler's status
 * and progress for that install until the install reaches the job's goal,
 * fails for good, or runs out of time. Because the desired state is already
 * in the store, a crash loses nothing: at start, running jobs are marked
 * interrupted and the reconciler carries on.
 */
import { randomUUID } from 'node:crypto';
import type { EventHub } from '../events.js';
import type { ExecutionEvent } from '../reconcile/execute.js';
import type { Reconciler } from '../reconcile/reconciler.js';
import type { InstallStatus } from '../reconcile/status.js';
import type { Job, JobKind, JobRepository, JobState } from '../store/jobs.js';

/** What the install must become for a job to succeed. */
const GOALS: Record<JobKind, InstallStatus['state'] | 'removed'> = {
  install: 'running',
  start: 'running',
  restart: 'running',
  update: 'running',
  reconfigure: 'running',
  stop: 'stopped',
  uninstall: 'removed',
  'delete-data': 'removed',
  adopt: 'running',
  // Backup jobs do their own work (server/backup/) and are never followed here; an app stays
  // (or is back) running after each.
  backup: 'running',
  restore: 'running',
  verify: 'running',
};

/**
 * Jobs a driver of their own ends (`end`) rather than the install's status: an update is judged
 * by its health gate and may roll back (server/updates/driver.ts). They survive a restart, which
 * resumes them from their stored phase.
 */
const DRIVEN: ReadonlySet<JobKind> = new Set(['update']);

type Progress = ExecutionEvent & { install: string };

export interface JobRunnerOptions {
  jobs: JobRepository;
  reconciler: Reconciler;
  hub: EventHub;
  /** How long a job follows its install before giving up (default 15 min). */
  timeoutMs?: number;
  /** How long a `running` goal must hold before the job succeeds (default 2 s). */
  stableMs?: number;
}

/** Describes one step of a plan for people: "3/10 CreateContainer web". */
function stepText(event: Extract<Progress, { kind: 'step' }>): string {
  const op = event.operation;
  const service = 'service' in op ? ` ${op.service}` : 'name' in op ? ` ${op.name}` : '';
  return `${event.index}/${event.total} ${op.kind}${service}`;
}

/**
 * What the event stream may show of a progress event: an operation's kind and target only.
 * Its bodies carry the container's environment and build arguments, where generated secrets
 * live, and secrets never leave the daemon (DESIGN.md "Security").
 */
function publicProgress(event: Progress): Progress | Record<string, unknown> {
  if (event.kind !== 'step') return event;
  const op = event.operation;
  const operation = {
    kind: op.kind,
    ...('service' in op ? { service: op.service } : {}),
    ...('name' in op ? { name: op.name } : {}),
  };
  return { ...event, operation };
}

interface ActiveJob {
  job: Job;
  /** The install's generation when the job started; older settles do not count. */
  generation: number;
  settled: boolean;
  /** Gives up on the job after `timeoutMs`. */
  timer: NodeJS.Timeout;
  /** Runs out when the goal state has held long enough. */
  stable?: NodeJS.Timeout;
  done: (state: 'succeeded' | 'failed' | 'cancelled', error?: string) => void;
}

export class JobRunner {
  private readonly active = new Map<string, ActiveJob>();

  constructor(private readonly options: JobRunnerOptions) {
    // Backup, restore and verify jobs are ended by the backup service's own recovery, which says
    // what the interruption left (server/backup/service.ts `recover`).
    options.jobs.interruptRunning([...DRIVEN, 'backup', 'restore', 'verify']);
    options.reconciler.on('status', (status: InstallStatus & { state: string }) =>
      this.onStatus(status),
    );
    options.reconciler.on('progress', (event: Progress) => this.onProgress(event));
    options.reconciler.on('settled', (event: { install: string; generation: number }) =>
      this.onSettled(event),
    );
  }

  /** The running job of an install, if any. */
  runningFor(installId: string): Job | undefined {
    return this.active.get(installId)?.job;
  }

  /** Creates a job and follows it; for callers outside a change's transaction (tests). */
  start(kind: JobKind, installId: string, actor: string, generation: number): Job {
    const job = this.options.jobs.create({ id: randomUUID(), kind, installId, actor });
    this.follow(job, generation);
    return job;
  }

  /**
   * Follows a job created with its change (admission.ts) towards the goal of
   * its kind; the install's desired state was changed at `generation`. The
   * job succeeds only after the reconciler settled that generation (so a
   * restart of a running install does not succeed before it happened), and a
   * `running` goal must hold for `stableMs` (so an app that crashes at once
   * is not "installed").
   */
  follow(job: Job, generation: number): void {
    const installId = job.installId ?? '';
    this.forget(installId);
    const timeoutMs = DRIVEN.has(job.kind) ? 2 ** 31 - 1 : (this.options.timeoutMs ?? 900_000);
    const timer = setTimeout(
      () =>
        finish(
          'failed',
          `gave up after ${Math.round(timeoutMs / 60_000)} min; the reconciler keeps trying`,
        ),
      timeoutMs,
    );
    timer.unref();
    const finish = (state: Exclude<JobState, 'running' | 'interrupted'>, error?: string) => {
      const entry = this.active.get(installId);
      if (entry?.job.id !== job.id) return;
      this.forget(installId);
      const done = this.options.jobs.finish(job.id, state, error);
      this.options.hub.publish({ type: 'job', data: done });
    };
    this.active.set(installId, { job, generation, settled: false, timer, done: finish });
    this.options.hub.publish({ type: 'job', data: job });
  }

  /** Ends a job that does its work in its route (deleting kept data) rather than by the reconciler. */
  end(job: Job, state: 'succeeded' | 'failed', error?: string): Job {
    if (this.active.get(job.installId ?? '')?.job.id === job.id) this.forget(job.installId ?? '');
    const done = this.options.jobs.finish(job.id, state, error);
    this.options.hub.publish({ type: 'job', data: done });
    return done;
  }

  /** Says what a driven job is doing now (its `step`), on the job and the event stream. */
  step(jobId: string, step: string): void {
    this.options.jobs.setStep(jobId, step);
    const job = this.options.jobs.get(jobId);
    if (job) this.options.hub.publish({ type: 'job', data: job });
  }

  /** Stops following a job that its superseding change already marked cancelled in the store. */
  cancelled(job: Job): void {
    if (this.active.get(job.installId ?? '')?.job.id === job.id) this.forget(job.installId ?? '');
    this.options.hub.publish({ type: 'job', data: job });
  }

  private forget(installId: string): void {
    const entry = this.active.get(installId);
    if (!entry) return;
    clearTimeout(entry.timer);
    clearTimeout(entry.stable);
    this.active.delete(installId);
  }

  private onSettled(event: { install: string; generation: number }): void {
    const entry = this.active.get(event.install);
    if (!entry || event.generation < entry.generation) return;
    entry.settled = true;
    const status = this.options.reconciler.status(event.install);
    if (status) this.onStatus(status);
  }

  private onStatus(status: InstallStatus | { install: string; state: 'removed' }): void {
    const entry = this.active.get(status.install);
    if (!entry) return;
    const goal = GOALS[entry.job.kind];
    // Its driver judges it; only an install removed under it ends it here.
    if (DRIVEN.has(entry.job.kind) && status.state !== 'removed') return;
    if (status.state === 'failed' && 'terminal' in status && status.terminal) {
      entry.done('failed', status.reason);
    } else if (status.state === 'crash-looping' && goal === 'running') {
      entry.done('failed', status.reason);
    } else if (status.state === 'removed') {
      // A job never outlives its install: `--wait` on it must end (issue 11 §1).
      if (goal === 'removed') entry.done('succeeded');
      else entry.done('cancelled', 'the install was removed');
    } else if (status.state !== goal) {
      clearTimeout(entry.stable);
      entry.stable = undefined;
    } else if (entry.settled && !entry.stable) {
      const stableMs = goal === 'running' ? (this.options.stableMs ?? 2000) : 0;
      entry.stable = setTimeout(() => entry.done('succeeded'), stableMs);
      entry.stable.unref();
    }
  }

  private onProgress(event: Progress): void {
    const entry = this.active.get(event.install);
    const data = { job: entry?.job.id, ...publicProgress(event) };
    this.options.hub.publish({ type: 'progress', data });
    if (entry && event.kind === 'step' && event.phase === 'start') {
      this.options.jobs.setStep(entry.job.id, stepText(event));
    }
  }
}
