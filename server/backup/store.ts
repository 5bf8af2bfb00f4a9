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
  markVerified(target: string, snapshot: string, ok: boolean, note: string): void;
  schedule(): BackupSchedule;
  setSchedule(schedule: BackupSchedule): void;
  lastScheduledRun(): Date | undefined;
  setLastScheduledRun(at: Date): void;
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
    markVerified: (target, snapshot, ok, note) => {
      db.prepare(
        `INSERT INTO backup_snapshots (target, snapshot, time, verified, verified_at, verify_note)
         VALUES (@target, @snapshot, @at, @ok, @at, @note)
         ON CONFLICT(target, snapshot) DO UPDATE SET verified = @ok, verified_at = @at, verify_note = @note`,
      ).run({ target, snapshot, at: now().toISOString(), ok: ok ? 1 : 0, note });
    },
    schedule: () => ({ ...DEFAULT_SCHEDULE, ...(setting('schedule') as object | undefined) }),
    setSchedule: (schedule) => put('schedule', schedule),
    lastScheduledRun: () => {
      const at = setting('last-scheduled-run');
      return typeof at === 'string' ? new Date(at) : undefined;
    },
    setLastScheduledRun: (at) => put('last-scheduled-run', at.toISOString()),
  };
}
