/**
 * Updates as stored (issue 15): one row per update job, holding the phase the
 * update is in and what the install was before it, so a failed update can put
 * the old pin, settings, secrets, accepted permissions and images back — and
 * so a daemon killed in the middle knows at its next start where it was.
 * Secrets live here as they do on the install row: never returned by the API.
 */
import type Database from 'better-sqlite3';

/** Where an update is; the first seven are under way, the rest are ends. */
export type UpdatePhase =
  | 'preparing'
  | 'pulling'
  | 'snapshotting'
  | 'recreating'
  | 'checking'
  | 'restoring'
  | 'reverting'
  | 'succeeded'
  | 'rolled-back'
  | 'failed'
  | 'cancelled';

export const FINAL_PHASES: ReadonlySet<UpdatePhase> = new Set([
  'succeeded',
  'rolled-back',
  'failed',
  'cancelled',
]);

/** An image a service ran before the update, kept by a rollback tag until the update ends. */
export interface KeptImage {
  service: string;
  /** The reference the old definition names (`registry/app:1`). */
  reference: string;
  /** The image id the service's container ran. */
  id: string;
  /** `<repository>:foyer-rollback-<install>`, which keeps the image while the update runs. */
  rollbackTag: string;
}

/** What the install was before the update: what a rollback writes back. */
export interface UpdateOrigin {
  appDir: string;
  definition: string | null;
  previousDefinition: string | null;
  version: string | null;
  settings: Record<string, string>;
  secrets: Record<string, string>;
  acceptedPermissions: string[];
}

export interface UpdateRecord {
  jobId: string;
  installId: string;
  phase: UpdatePhase;
  /** Same definition, images pulled or rebuilt anew (Debian's security updates). */
  refresh: boolean;
  from: UpdateOrigin;
  toVersion: string | null;
  images: KeptImage[];
  /** ISO time by which every service must be healthy (set when recreating starts). */
  deadline: string | null;
  /** Why it failed or rolled back. */
  reason: string | null;
  /** The folder holding the failed version's last log lines. */
  logs: string | null;
  createdAt: string;
  updatedAt: string;
  finishedAt: string | null;
}

export interface UpdateRepository {
  create(update: {
    jobId: string;
    installId: string;
    refresh: boolean;
    from: UpdateOrigin;
    toVersion: string | null;
  }): UpdateRecord;
  get(jobId: string): UpdateRecord | undefined;
  /** Updates not yet at an end, oldest first: what a daemon resumes at start. */
  active(): UpdateRecord[];
  /** The install's update under way, if any: what the reconciler's stage follows. */
  activeFor(installId: string): UpdateRecord | undefined;
  /** The install's updates, newest first. */
  list(installId: string, limit?: number): UpdateRecord[];
  /** Moves to a phase, with optional fields; an end phase stamps `finishedAt`. */
  advance(
    jobId: string,
    phase: UpdatePhase,
    fields?: { images?: KeptImage[]; deadline?: string; reason?: string; logs?: string },
  ): UpdateRecord;
}

interface Row {
  job_id: string;
  install_id: string;
  phase: UpdatePhase;
  refresh: number;
  from_app_dir: string;
  from_definition: string | null;
  from_previous_definition: string | null;
  from_version: string | null;
  from_settings: string;
  from_secrets: string;
  from_permissions: string;
  to_version: string | null;
  images: string;
  deadline: string | null;
  reason: string | null;
  logs: string | null;
  created_at: string;
  updated_at: string;
  finished_at: string | null;
}

const toRecord = (r: Row): UpdateRecord => ({
  jobId: r.job_id,
  installId: r.install_id,
  phase: r.phase,
  refresh: r.refresh === 1,
  from: {
    appDir: r.from_app_dir,
    definition: r.from_definition,
    previousDefinition: r.from_previous_definition,
    version: r.from_version,
    settings: JSON.parse(r.from_settings) as Record<string, string>,
    secrets: JSON.parse(r.from_secrets) as Record<string, string>,
    acceptedPermissions: JSON.parse(r.from_permissions) as string[],
  },
  toVersion: r.to_version,
  images: JSON.parse(r.images) as KeptImage[],
  deadline: r.deadline,
  reason: r.reason,
  logs: r.logs,
  createdAt: r.created_at,
  updatedAt: r.updated_at,
  finishedAt: r.finished_at,
});

/** The updates repository over an open, migrated database. */
export function updateRepository(
  db: Database.Database,
  now: () => Date = () => new Date(),
): UpdateRepository {
  const select = db.prepare<[string], Row>('SELECT * FROM updates WHERE job_id = ?');
  const mustGet = (jobId: string) => {
    const row = select.get(jobId);
    if (!row) throw new Error(`no update of job ${jobId}`);
    return toRecord(row);
  };
  const insert = db.prepare(
    `INSERT INTO updates (job_id, install_id, phase, refresh, from_app_dir, from_definition,
       from_previous_definition, from_version, from_settings, from_secrets, from_permissions,
       to_version, created_at, updated_at)
     VALUES (@jobId, @installId, 'preparing', @refresh, @appDir, @definition, @previous,
       @version, @settings, @secrets, @permissions, @toVersion, @now, @now)`,
  );
  const update = db.prepare(
    `UPDATE updates SET phase = @phase, images = coalesce(@images, images),
       deadline = coalesce(@deadline, deadline), reason = coalesce(@reason, reason),
       logs = coalesce(@logs, logs), updated_at = @now,
       finished_at = CASE WHEN @final THEN @now ELSE NULL END
     WHERE job_id = @jobId`,
  );
  return {
    create({ jobId, installId, refresh, from, toVersion }) {
      insert.run({
        jobId,
        installId,
        refresh: refresh ? 1 : 0,
        appDir: from.appDir,
        definition: from.definition,
        previous: from.previousDefinition,
        version: from.version,
        settings: JSON.stringify(from.settings),
        secrets: JSON.stringify(from.secrets),
        permissions: JSON.stringify(from.acceptedPermissions),
        toVersion,
        now: now().toISOString(),
      });
      return mustGet(jobId);
    },
    get: (jobId) => {
      const row = select.get(jobId);
      return row && toRecord(row);
    },
    active: () =>
      (
        db
          .prepare(
            `SELECT * FROM updates WHERE phase NOT IN ('succeeded', 'rolled-back', 'failed',
               'cancelled') ORDER BY created_at, rowid`,
          )
          .all() as Row[]
      ).map(toRecord),
    activeFor: (installId) => {
      const row = db
        .prepare(
          `SELECT * FROM updates WHERE install_id = ? AND phase NOT IN ('succeeded', 'rolled-back',
             'failed', 'cancelled') ORDER BY created_at DESC, rowid DESC LIMIT 1`,
        )
        .get(installId) as Row | undefined;
      return row && toRecord(row);
    },
    list: (installId, limit = 20) =>
      (
        db
          .prepare(
            'SELECT * FROM updates WHERE install_id = ? ORDER BY created_at DESC, rowid DESC LIMIT ?',
          )
          .all(installId, limit) as Row[]
      ).map(toRecord),
    advance(jobId, phase, fields = {}) {
      update.run({
        jobId,
        phase,
        images: fields.images ? JSON.stringify(fields.images) : null,
        deadline: fields.deadline ?? null,
        reason: fields.reason ?? null,
        logs: fields.logs ?? null,
        final: FINAL_PHASES.has(phase) ? 1 : 0,
        now: now().toISOString(),
      });
      return mustGet(jobId);
    },
  };
}
