/**
 * Admitting a change to an install (issue 11 §1): the running-job check, the
 * decision, the change to the desired state, the new job and its audit entry
 * happen in one SQLite transaction. A refused request therefore changes
 * nothing, and an accepted one is stored whole — change, job and who asked,
 * from where — or not at all.
 */
import { randomUUID } from 'node:crypto';
import type Database from 'better-sqlite3';
import { Errors } from '../errors.js';
import type { AuditLog } from '../store/audit.js';
import type { Job, JobKind, JobRepository } from '../store/jobs.js';

/** What a new request does to an install's running job. */
export type Decision = { admit: true; cancel?: Job } | { admit: false; reason: string };

/**
 * An uninstall supersedes whatever else runs (an install in progress is
 * abandoned: the person wants the app gone); every other change — settings,
 * start, stop, restart, update, a second uninstall — is refused while a job
 * runs, so two goals never race and the refused one leaves no trace — but a verification
 * (a restore into a scratch install) never holds the install's other changes up.
 */
export function decide(kind: JobKind, installId: string, running: Job | undefined): Decision {
  if (!running) return { admit: true };
  if (kind === 'uninstall' && running.kind !== 'uninstall') return { admit: true, cancel: running };
  // A verification works on a scratch install only, never on the install's own objects: other
  // changes go on beside it (issue 15; it follows every backup and may take minutes).
  if (running.kind === 'verify' && kind !== 'verify') return { admit: true };
  const hint = kind === 'uninstall' ? '' : ' (an uninstall cancels it)';
  return {
    admit: false,
    reason: `${article(running.kind)} ${running.kind} job is already running for "${installId}"; wait for it to end${hint}`,
  };
}

const article = (word: string) => (/^[aeiou]/.test(word) ? 'an' : 'a');

/** A change people asked for: what, to which install, by whom, from where. */
export interface ChangeRequest {
  kind: JobKind;
  installId: string;
  actor: string;
  /** The client's address as the socket saw it, for the audit log. */
  address: string;
  /** More for the audit entry (never a secret). */
  detail?: Record<string, unknown>;
}

export interface Admitted<T> {
  /** What `change` returned: the install as it now is. */
  result: T;
  job: Job;
  /** The job this request superseded, now `cancelled`. */
  cancelled?: Job;
}

export interface AdmissionStore {
  db: Database.Database;
  jobs: JobRepository;
  audit: AuditLog;
}

/**
 * Checks, decides and writes in one transaction: throws 409 FOYER_CONFLICT
 * (nothing written) when a job is running that this request may not
 * supersede; else cancels the superseded job, runs `change` with the new job's id (it may throw,
 * rolling everything back), creates the job and records the audit entry.
 */
export function admit<T>(
  store: AdmissionStore,
  request: ChangeRequest,
  change: (jobId: string) => T,
): Admitted<T> {
  const { kind, installId, actor, address } = request;
  return store.db.transaction(() => {
    const decision = decide(kind, installId, store.jobs.runningFor(installId));
    if (!decision.admit) throw new Errors.Conflict(decision.reason);
    const cancelled =
      decision.cancel &&
      store.jobs.finish(decision.cancel.id, 'cancelled', `cancelled by an uninstall by ${actor}`);
    // The job's id is known to the change, so what it writes can name the job (an update's row).
    const id = randomUUID();
    const result = change(id);
    const job = store.jobs.create({ id, kind, installId, actor });
    store.audit.record(actor, `install.${kind}`, installId, {
      job: job.id,
      address,
      ...(cancelled ? { cancelled: cancelled.id } : {}),
      ...request.detail,
    });
    return { result, job, cancelled };
  })();
}
