/**
 * `--wait`: starts a change and follows its job until it succeeds or fails.
 * The event stream is opened BEFORE the change is sent, so no event of the
 * job can be missed; the job is then read once, because a job whose install
 * is already where it should be (a start of a running install) finishes
 * inside the request. If the stream ends early, the job is polled instead.
 *
 * A change that is not progressing says why (issue 11 §5): the install's
 * status carries the reconciler's last error ("pull … connection refused
 * (retrying in 8 s)"), which the display shows; `--wait` gives up with that
 * reason, exit 1, when the error is terminal or has lasted `stuckLimitMs`
 * (`--timeout`, FOYER_WAIT_TIMEOUT). The daemon keeps trying either way.
 */
import {
  type Job,
  type JobAccepted,
  jobFinished,
  type ProgressEvent,
  type StatusEvent,
  seg,
} from './api.js';
import type { DaemonClient } from './client.js';
import { serverEvents } from './events.js';
import { FailedError, plain, UsageError } from './output.js';
import { createProgress, type DisplayStream, failingText } from './progress.js';

export interface WaitOptions {
  /** "Installing web": the first words of the terminal display. */
  title: string;
  /** Where progress goes: stdout, or stderr when stdout carries JSON. */
  stream: DisplayStream;
  /** How long the install may stay failed before --wait gives up (ms); 0 waits for the job. */
  stuckLimitMs?: number;
}

/** The default of `--timeout`: two minutes of the same error is not a slow download. */
export const DEFAULT_STUCK_SECONDS = 120;

/** `--timeout <seconds>`, else FOYER_WAIT_TIMEOUT, else the default; in milliseconds. */
export function stuckLimitMs(flag: string | undefined, env = process.env): number {
  const given = flag ?? env.FOYER_WAIT_TIMEOUT;
  if (given === undefined || given === '') return DEFAULT_STUCK_SECONDS * 1000;
  const seconds = Number(given);
  if (!Number.isFinite(seconds) || seconds < 0) {
    const from = flag === undefined ? 'FOYER_WAIT_TIMEOUT' : '--timeout';
    throw new UsageError(`${from} must be a number of seconds (0: no limit), not "${given}"`);
  }
  return seconds * 1000;
}

/**
 * Watches an install for an error that does not go away: terminal at once, or retried for
 * longer than the limit. Between retries the install reads "installing" again, so only a
 * finished step or a settled state counts as progress. `verdict` is the reason to give up with.
 */
class StallWatch {
  verdict: string | undefined;
  private reason: string | undefined;
  private timer: NodeJS.Timeout | undefined;

  constructor(
    private readonly limitMs: number,
    private readonly onStuck: () => void,
  ) {}

  status(event: StatusEvent): void {
    const reason = failingText(event);
    if (reason === undefined) {
      if (event.state !== 'installing') this.clear();
      return;
    }
    this.reason = reason;
    if (event.terminal) {
      this.stuck(reason);
      return;
    }
    if (this.timer || this.limitMs <= 0) return;
    this.timer = setTimeout(() => {
      const seconds = Math.round(this.limitMs / 1000);
      this.stuck(`${this.reason} — still failing after ${seconds} s`);
    }, this.limitMs);
  }

  progress(event: ProgressEvent): void {
    if (event.kind === 'step' && event.phase === 'done') this.clear();
  }

  clear(): void {
    clearTimeout(this.timer);
    this.timer = undefined;
  }

  private stuck(reason: string): void {
    this.clear();
    this.verdict ??= reason;
    this.onStuck();
  }
}

/** Sends the change with `start`, follows its job, and returns the job as it ended. */
export async function startAndWait(
  client: DaemonClient,
  start: () => Promise<JobAccepted>,
  options: WaitOptions,
): Promise<{ accepted: JobAccepted; job: Job }> {
  const abort = new AbortController();
  const events = await client.stream('/api/events', 'text/event-stream', abort.signal);
  // The stream's own errors (the abort below, a daemon going away) end the iteration; nothing to report.
  events.on('error', () => {});
  let accepted: JobAccepted;
  try {
    accepted = await start();
  } catch (error) {
    abort.abort();
    throw error;
  }
  const display = createProgress(options.stream, options.title);
  const watch = new StallWatch(options.stuckLimitMs ?? DEFAULT_STUCK_SECONDS * 1000, () => {
    // Ends the event stream, so the loop below stops waiting for the job.
    abort.abort();
    events.destroy();
  });
  const onInterrupt = () => {
    display.stop();
    process.stderr.write(
      `\nfoyer: stopped waiting; the daemon carries on with the job (see: foyer status ${accepted.install.id})\n`,
    );
    process.exit(130);
  };
  process.once('SIGINT', onInterrupt);
  try {
    const { job } = accepted;
    const installId = accepted.install.id;
    let current = await client.get<Job>(`/api/jobs/${seg(job.id)}`);
    if (jobFinished(current)) return { accepted, job: current };
    const ended = await followEvents(serverEvents(events), job.id, installId, {
      status: (event) => {
        display.status(event);
        watch.status(event);
      },
      progress: (event) => {
        display.progress(event);
        watch.progress(event);
      },
    });
    if (ended) return { accepted, job: ended };
    // The stream ended (the daemon went away, a proxy timed out) with the job still running:
    // ask until it ends; a daemon that is gone makes this throw UnreachableError (exit 3).
    for (;;) {
      if (watch.verdict) throw notProgressing(job, installId, watch.verdict);
      current = await client.get<Job>(`/api/jobs/${seg(job.id)}`);
      if (jobFinished(current)) return { accepted, job: current };
      await new Promise((resolve) => setTimeout(resolve, 1000));
    }
  } finally {
    watch.clear();
    process.off('SIGINT', onInterrupt);
    display.stop();
    abort.abort();
    events.destroy();
  }
}

const PAST: Record<string, string> = {
  install: 'Installed',
  start: 'Started',
  stop: 'Stopped',
  restart: 'Restarted',
  update: 'Updated',
  reconfigure: 'Reconfigured',
  uninstall: 'Uninstalled',
};

/** "Installed web", for a job that succeeded. */
export function successText(job: Job, installId: string): string {
  return `${PAST[job.kind] ?? `${job.kind} done:`} ${installId}`;
}

/** Throws what a failed, cancelled or interrupted job means, for stderr and exit code 1. */
export function failure(job: Job, installId: string): FailedError {
  if (job.state === 'interrupted') {
    return new FailedError(
      `the ${job.kind} job of ${installId} was interrupted (the daemon restarted); ` +
        `the daemon carries on towards it: see foyer status ${installId}`,
    );
  }
  if (job.state === 'cancelled') {
    return new FailedError(
      `the ${job.kind} job of ${installId} was cancelled: ${plain(job.error ?? 'no reason given')}`,
    );
  }
  return new FailedError(
    `${job.kind} of ${installId} failed: ${plain(job.error ?? 'no reason given')}`,
  );
}

/** Why --wait stopped following a job that is not getting anywhere; exit code 1. */
function notProgressing(job: Job, installId: string, reason: string): FailedError {
  const undo = job.kind === 'install' ? `, or undo it with: foyer uninstall ${installId}` : '';
  return new FailedError(
    `${job.kind} of ${installId} is not progressing: ${plain(reason)}\n` +
      `The daemon keeps trying; see: foyer status ${installId}${undo}`,
  );
}

/** Feeds the install's progress to the display until the job ends; undefined if the stream ends first. */
async function followEvents(
  events: AsyncIterable<{ event: string; data: string }>,
  jobId: string,
  installId: string,
  on: { status: (event: StatusEvent) => void; progress: (event: ProgressEvent) => void },
): Promise<Job | undefined> {
  // The stream opens before the change is sent, so it may start with the install's status from
  // before it (a terminal error the change is meant to fix): statuses count once the job's own
  // event has come, which the daemon publishes when it admits the change.
  let admitted = false;
  try {
    for await (const { event, data } of events) {
      let payload: { install?: string; id?: string };
      try {
        payload = JSON.parse(data);
      } catch {
        continue;
      }
      if (event === 'job' && payload.id === jobId) admitted = true;
      if (event === 'job' && payload.id === jobId && jobFinished(payload as Job))
        return payload as Job;
      if (event === 'progress' && payload.install === installId)
        on.progress(payload as ProgressEvent);
      if (event === 'status' && payload.install === installId && admitted)
        on.status(payload as StatusEvent);
    }
  } catch {
    // A reset connection ends the stream like a clean close: the caller asks for the job.
  }
  return undefined;
}
