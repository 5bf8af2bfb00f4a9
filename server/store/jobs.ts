/**
 * Jobs as stored: long work (install, start, stop, restart, update,
 * uninstall) with its state, current step and error. Every job ends:
 * succeeded, failed, cancelled (an uninstall superseded it, or its install
 * was removed) or interrupted. A job still `running`
 * when the daemon starts was cut off by a crash: it is marked `interrupted`
 * and the reconciler carries on from the desired state.
 */
import type Database from 'better-sqlite3';

export type JobKind =
  | 'install'
  | 'start'
  | 'stop'
  | 'restart'
  | 'update'
  | 'reconfigure'
  | 'uninstall'
  /** Deleting an uninstalled app's kept data (its volumes and folder). */
  | 'delete-data'
  | 'adopt'
  /** A restic snapshot of installs and Foyer's state (issue 15); the job does its own work. */
  | 'backup'
  /** Putting a snapshot back, in place or as a new install (issue 15). */
  | 'restore'
  /** Reading a backup back: `restic check --read-data-subset` and a restore to scratch. */
  | 'verify';
export type JobState = 'running' | 'succeeded' | 'failed' | 'cancelled' | 'interrupted';

export interface Job {
  id: string;
  kind: JobKind;
  installId: string | null;
  state: JobState;
  step: string | null;
  error: string | null;
  actor: string;
  createdAt: string;
  updatedAt: string;
  finishedAt: string | null;
}

export interface JobRepository {
  create(job: { id: string; kind: JobKind; installId: string | null; actor: string }): Job;
  get(id: string): Job | undefined;
  /** The install's running job, if any: the store's answer, so it can be read in a transaction. */
  runningFor(installId: string): Job | undefined;
  /** Newest first. */
  list(options?: { installId?: string; limit?: number }): Job[];
  setStep(id: string, step: string): void;
  finish(id: string, state: Exclude<JobState, 'running'>, error?: string): Job;
  /** Marks every running job interrupted, but those of the `resumable` kinds; returns how many. */
  interruptRunning(resumable?: JobKind[]): number;
}

interface Row {
  id: string;
  kind: JobKind;
  install_id: string | null;
  state: JobState;
  step: string | null;
  error: string | null;
  actor: string;
  created_at: string;
  updated_at: string;
  finished_at: string | null;
}

const toJob = (r: Row): Job => ({
  id: r.id,
  kind: r.kind,
  installId: r.install_id,
  state: r.state,
  step: r.step,
  error: r.error,
  actor: r.actor,
  createdAt: r.created_at,
  updatedAt: r.updated_at,
  finishedAt: r.finished_at,
});

/** The jobs repository over an open, migrated database. */
export function jobRepository(
  db: Database.Database,
  now: () => Date = () => new Date(),
): JobRepository {
  const get = db.prepare('SELECT * FROM jobs WHERE id = ?');
  const running = db.prepare(
    "SELECT * FROM jobs WHERE install_id = ? AND state = 'running' ORDER BY created_at DESC LIMIT 1",
  );
  const stamp = () => now().toISOString();
  return {
    create: ({ id, kind, installId, actor }) => {
      const at = stamp();
      db.prepare(
        "INSERT INTO jobs (id, kind, install_id, state, actor, created_at, updated_at) VALUES (?, ?, ?, 'running', ?, ?, ?)",
      ).run(id, kind, installId, actor, at, at);
      return toJob(get.get(id) as Row);
    },
    get: (id) => {
      const row = get.get(id) as Row | undefined;
      return row && toJob(row);
    },
    runningFor: (installId) => {
      const row = running.get(installId) as Row | undefined;
      return row && toJob(row);
    },
    list: ({ installId, limit = 100 } = {}) => {
      const rows = installId
        ? db
            .prepare(
              'SELECT * FROM jobs WHERE install_id = ? ORDER BY created_at DESC, rowid DESC LIMIT ?',
            )
            .all(installId, limit)
        : db.prepare('SELECT * FROM jobs ORDER BY created_at DESC, rowid DESC LIMIT ?').all(limit);
      return (rows as Row[]).map(toJob);
    },
    setStep: (id, step) => {
      db.prepare('UPDATE jobs SET step = ?, updated_at = ? WHERE id = ?').run(step, stamp(), id);
    },
    finish: (id, state, error) => {
      const at = stamp();
      db.prepare(
        'UPDATE jobs SET state = ?, error = ?, updated_at = ?, finished_at = ? WHERE id = ?',
      ).run(state, error ?? null, at, at, id);
      return toJob(get.get(id) as Row);
    },
    interruptRunning: (resumable = []) =>
      db
        .prepare(
          "UPDATE jobs SET state = 'interrupted', error = ?, finished_at = ?, updated_at = ? WHERE state = 'running' AND kind NOT IN (SELECT value FROM json_each(?))",
        )
        .run(
          'the daemon stopped while this job ran; the reconciler carries on from the desired state',
          stamp(),
          stamp(),
          JSON.stringify(resumable),
        ).changes,
  };
}
