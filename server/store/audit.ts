/**
 * The audit log: who did what, when, to which target. Appended by routes and
 * jobs; read by admins. Details never hold secrets — callers pass only what a
 * person reviewing the log needs.
 */
import type Database from 'better-sqlite3';

export interface AuditEntry {
  id: number;
  at: string;
  actor: string;
  action: string;
  target: string | null;
  detail: Record<string, unknown>;
}

export interface AuditLog {
  record(actor: string, action: string, target?: string, detail?: Record<string, unknown>): void;
  /** Newest first. */
  list(options?: { limit?: number; before?: number }): AuditEntry[];
}

/** The audit log over an open, migrated database. */
export function auditLog(db: Database.Database, now: () => Date = () => new Date()): AuditLog {
  const insert = db.prepare(
    'INSERT INTO audit_log (at, actor, action, target, detail) VALUES (?, ?, ?, ?, ?)',
  );
  const select = db.prepare(
    'SELECT id, at, actor, action, target, detail FROM audit_log WHERE id < ? ORDER BY id DESC LIMIT ?',
  );
  return {
    record: (actor, action, target, detail = {}) => {
      insert.run(now().toISOString(), actor, action, target ?? null, JSON.stringify(detail));
    },
    list: ({ limit = 100, before = Number.MAX_SAFE_INTEGER } = {}) =>
      (
        select.all(before, Math.min(limit, 1000)) as (Omit<AuditEntry, 'detail'> & {
          detail: string;
        })[]
      ).map((row) => ({ ...row, detail: JSON.parse(row.detail) as Record<string, unknown> })),
  };
}
