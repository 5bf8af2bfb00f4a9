/**
 * Jobs: the long work people start (install, start, stop, restart, update,
 * reconfigure, uninstall). A route changes the desired state and starts a job;
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
import type { Job, JobKind, JobRepository } from '../store/jobs.js';

/** What the install must become for a job to succeed. */
const GOALS: Record<JobKind, InstallStatus['state'] | 'removed'> = {
  install: 'running',
  start: 'running',
  restart: 'running',
  update: 'running',
  reconfigure: 'running',
  stop: 'stopped',
  uninstall: 'removed',
};

type Progress = ExecutionEvent & { install: string };

export interface JobRunnerOptions {
  jobs: JobRepository;
  reconciler: Reconciler;
  hub: EventHub;
  /** How long a job follows its install before giving up (default 15 min). */
  timeoutMs?: number;
}

/** Describes one step of a plan for people: "3/10 CreateContainer web". */
function stepText(event: Extract<Progress, { kind: 'step' }>): string {
  const op = event.operation;
  const service = 'service' in op ? ` ${op.service}` : 'name' in op ? ` ${op.name}` : '';
  return `${event.index}/${event.total} ${op.kind}${service}`;
}

export class JobRunner {
  private readonly active = new Map<
    string,
    { job: Job; done: (state: 'succeeded' | 'failed', error?: string) => void }
  >();

  constructor(private readonly options: JobRunnerOptions) {
    options.jobs.interruptRunning();
    options.reconciler.on('status', (status: InstallStatus & { state: string }) =>
      this.onStatus(status),
    );
    options.reconciler.on('progress', (event: Progress) => this.onProgress(event));
  }

  /** The running job of an install, if any. */
  runningFor(installId: string): Job | undefined {
    return this.active.get(installId)?.job;
  }

  /**
   * Starts following an install towards the goal of `kind`; the caller has
   * already changed the desired state. Resolves the job record at once.
   */
  start(kind: JobKind, installId: string, actor: string): Job {
    const job = this.options.jobs.create({ id: randomUUID(), kind, installId, actor });
    const timer = setTimeout(
      () =>
        finish(
          'failed',
          `gave up after ${Math.round((this.options.timeoutMs ?? 900_000) / 60_000)} min; the reconciler keeps trying`,
        ),
      this.options.timeoutMs ?? 900_000,
    );
    timer.unref();
    const finish = (state: 'succeeded' | 'failed', error?: string) => {
      if (this.active.get(installId)?.job.id !== job.id) return;
      clearTimeout(timer);
      this.active.delete(installId);
      const done = this.options.jobs.finish(job.id, state, error);
      this.options.hub.publish({ type: 'job', data: done });
    };
    this.active.set(installId, { job, done: finish });
    this.options.hub.publish({ type: 'job', data: job });
    // The install may already be where the job wants it (a start of a running install).
    const current = this.options.reconciler.status(installId);
    if (current) this.onStatus(current);
    return job;
  }

  private onStatus(status: InstallStatus | { install: string; state: 'removed' }): void {
    const entry = this.active.get(status.install);
    if (!entry) return;
    const goal = GOALS[entry.job.kind];
    if (status.state === goal) entry.done('succeeded');
    else if (status.state === 'failed' && 'terminal' in status && status.terminal) {
      entry.done('failed', status.reason);
    } else if (status.state === 'crash-looping' && goal === 'running') {
      entry.done('failed', status.reason);
    }
  }

  private onProgress(event: Progress): void {
    const entry = this.active.get(event.install);
    const data = { job: entry?.job.id, ...event };
    this.options.hub.publish({ type: 'progress', data });
    if (entry && event.kind === 'step' && event.phase === 'start') {
      this.options.jobs.setStep(entry.job.id, stepText(event));
    }
  }
}
