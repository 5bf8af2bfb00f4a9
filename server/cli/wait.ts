/**
 * `--wait`: starts a change and follows its job until it succeeds or fails.
 * The event stream is opened BEFORE the change is sent, so no event of the
 * job can be missed; the job is then read once, because a job whose install
 * is already where it should be (a start of a running install) finishes
 * inside the request. If the stream ends early, the job is polled instead.
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
import { FailedError, plain } from './output.js';
import { createProgress, type DisplayStream, type ProgressDisplay } from './progress.js';

export interface WaitOptions {
  /** "Installing web": the first words of the terminal display. */
  title: string;
  /** Where progress goes: stdout, or stderr when stdout carries JSON. */
  stream: DisplayStream;
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
    const ended = await followEvents(serverEvents(events), job.id, installId, display);
    if (ended) return { accepted, job: ended };
    // The stream ended (the daemon went away, a proxy timed out) with the job still running:
    // ask until it ends; a daemon that is gone makes this throw UnreachableError (exit 3).
    for (;;) {
      current = await client.get<Job>(`/api/jobs/${seg(job.id)}`);
      if (jobFinished(current)) return { accepted, job: current };
      await new Promise((resolve) => setTimeout(resolve, 1000));
    }
  } finally {
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

/** Feeds the install's progress to the display until the job ends; undefined if the stream ends first. */
async function followEvents(
  events: AsyncIterable<{ event: string; data: string }>,
  jobId: string,
  installId: string,
  display: ProgressDisplay,
): Promise<Job | undefined> {
  try {
    for await (const { event, data } of events) {
      let payload: { install?: string; id?: string };
      try {
        payload = JSON.parse(data);
      } catch {
        continue;
      }
      if (event === 'job' && payload.id === jobId && jobFinished(payload as Job))
        return payload as Job;
      if (event === 'progress' && payload.install === installId)
        display.progress(payload as ProgressEvent);
      if (event === 'status' && payload.install === installId)
        display.status(payload as StatusEvent);
    }
  } catch {
    // A reset connection ends the stream like a clean close: the caller asks for the job.
  }
  return undefined;
}
