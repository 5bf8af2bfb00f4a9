/**
 * What the store keeps of backups (migration 6): targets and their repository passwords,
 * what Foyer knows of the snapshots it made (size, verified), and the backup settings.
 * Passwords leave this module only towards restic's environment and the one-time recovery kit.
 */
import type Database from 'better-sqlite3';
import { type BackupSchedule, DEFAULT_SCHEDULE } from './schedule.js';

export interface Target {
  name: string;
  repository: string;
  createdAt: string;
}

export interface SnapshotRecord {
  target: string;
  snapshot: string;
  install: string | null;
  app: string | null;
  version: string | null;
  time: string;
  size: number | null;
  dataAdded: number | null;
  verified: boolean | null;
  verifiedAt: string | null;
  verifyNote: string | null;
}

export interface BackupStore {
  targets(): Target[];
  target(name: string): Target | undefined;
  password(name: string): string;
  addTarget(target: { name: string; repository: string; password: string }): Target;
  recordSnapshot(record: Omit<SnapshotRecord, 'verified' | 'verifiedAt' | 'verifyNote'>): void;
  snapshots(target: string): SnapshotRecord[];
  markVerified(target: string, snapshot: string, ok: boolean, note: string, install?: string): void;
  /** The install's newest verification restore (time, verdict, snapshot, why), if any. */
  lastVerified(install: string): LastVerified | null;
  /** Scratch installs of verification restores that may still exist (removed at start). */
  scratchInstalls(): string[];
  setScratchInstalls(ids: string[]): void;
  /** The last periodic `restic check --read-data-subset`: when, and which part `n` of N. */
  lastCheck(): { at: Date; part: number } | undefined;
  setLastCheck(at: Date, part: number): void;
  schedule(): BackupSchedule;
  setSchedule(schedule: BackupSchedule): void;
  lastScheduledRun(): Date | undefined;
  setLastScheduledRun(at: Date): void;
}

/** What the API shows per install as "last verified restore" (a stable shape, issue 15). */
export interface LastVerified {
  at: string;
  ok: boolean;
  snapshot: string;
  note: string;
}

interface SnapshotRow {
  target: string;
  snapshot: string;
  install: string | null;
  app: string | null;
  version: string | null;
  time: string;
  size: number | null;
  data_added: number | null;
  verified: number | null;
  verified_at: string | null;
  verify_note: string | null;
}

/** The backup repository over an open, migrated database. */
export function backupStore(db: Database.Database, now = () => new Date()): BackupStore {
  const setting = (key: string): unknown => {
    const row = db.prepare('SELECT value FROM backup_settings WHERE key = ?').get(key) as
      | { value: string }
      | undefined;
    return row && JSON.parse(row.value);
  };
  const put = (key: string, value: unknown) =>
    db
      .prepare(
        'INSERT INTO backup_settings (key, value) VALUES (?, ?) ON CONFLICT(key) DO UPDATE SET value = excluded.value',
      )
      .run(key, JSON.stringify(value));
  const toTarget = (r: { name: string; repository: string; created_at: string }): Target => ({
    name: r.name,
    repository: r.repository,
    createdAt: r.created_at,
  });
  return {
    targets: () =>
      (
        db
          .prepare('SELECT name, repository, created_at FROM backup_targets ORDER BY name')
          .all() as {
          name: string;
          repository: string;
          created_at: string;
        }[]
      ).map(toTarget),
    target: (name) => {
      const row = db
        .prepare('SELECT name, repository, created_at FROM backup_targets WHERE name = ?')
        .get(name) as { name: string; repository: string; created_at: string } | undefined;
      return row && toTarget(row);
    },
    password: (name) =>
      (
        db.prepare('SELECT password FROM backup_targets WHERE name = ?').get(name) as {
          password: string;
        }
      ).password,
    addTarget: ({ name, repository, password }) => {
      const at = now().toISOString();
      db.prepare(
        'INSERT INTO backup_targets (name, repository, password, created_at) VALUES (?, ?, ?, ?)',
      ).run(name, repository, password, at);
      return { name, repository, createdAt: at };
    },
    recordSnapshot: (r) => {
      db.prepare(
        `INSERT OR REPLACE INTO backup_snapshots (target, snapshot, install, app, version, time, size, data_added)
         VALUES (?, ?, ?, ?, ?, ?, ?, ?)`,
      ).run(r.target, r.snapshot, r.install, r.app, r.version, r.time, r.size, r.dataAdded);
    },
    snapshots: (target) =>
      (
        db.prepare('SELECT * FROM backup_snapshots WHERE target = ?').all(target) as SnapshotRow[]
      ).map((r) => ({
        target: r.target,
        snapshot: r.snapshot,
        install: r.install,
        app: r.app,
        version: r.version,
        time: r.time,
        size: r.size,
        dataAdded: r.data_added,
        verified: r.verified === null ? null : r.verified === 1,
        verifiedAt: r.verified_at,
        verifyNote: r.verify_note,
      })),
    markVerified: (target, snapshot, ok, note, install) => {
      db.prepare(
        `INSERT INTO backup_snapshots (target, snapshot, install, time, verified, verified_at, verify_note)
         VALUES (@target, @snapshot, @install, @at, @ok, @at, @note)
         ON CONFLICT(target, snapshot) DO UPDATE SET verified = @ok, verified_at = @at,
           verify_note = @note, install = COALESCE(install, @install)`,
      ).run({
        target,
        snapshot,
        install: install ?? null,
        at: now().toISOString(),
        ok: ok ? 1 : 0,
        note,
      });
    },
    lastVerified: (install) => {
      const row = db
        .prepare(
          `SELECT snapshot, verified, verified_at, verify_note FROM backup_snapshots
           WHERE install = ? AND verified IS NOT NULL ORDER BY verified_at DESC, rowid DESC LIMIT 1`,
        )
        .get(install) as
        | Pick<SnapshotRow, 'snapshot' | 'verified' | 'verified_at' | 'verify_note'>
        | undefined;
      return row
        ? {
            at: row.verified_at ?? '',
            ok: row.verified === 1,
            snapshot: row.snapshot,
            note: row.verify_note ?? '',
          }
        : null;
    },
    scratchInstalls: () => {
      const ids = setting('scratch-installs');
      return Array.isArray(ids) ? ids.filter((id): id is string => typeof id === 'string') : [];
    },
    setScratchInstalls: (ids) => put('scratch-installs', ids),
    lastCheck: () => {
      const value = setting('last-check') as { at?: string; part?: number } | undefined;
      return value?.at && typeof value.part === 'number'
        ? { at: new Date(value.at), part: value.part }
        : undefined;
    },
    setLastCheck: (at, part) => put('last-check', { at: at.toISOString(), part }),
    schedule: () => ({ ...DEFAULT_SCHEDULE, ...(setting('schedule') as object | undefined) }),
    setSchedule: (schedule) => put('schedule', schedule),
    lastScheduledRun: () => {
      const at = setting('last-scheduled-run');
      return typeof at === 'string' ? new Date(at) : undefined;
    },
    setLastScheduledRun: (at) => put('last-scheduled-run', at.toISOString()),
  };
}
