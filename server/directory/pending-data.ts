/**
 * A removed member's data still to delete (issue 14), the durable desired state of
 * `remove --delete-data` (migration 14, `member_data_pending`): one row per place, written in
 * the same transaction as the member's removal, dropped once the place is deleted (or no longer
 * declared), kept with its last error while it fails. While a name has rows it cannot be given
 * to a new member: a later deletion would destroy the new member's files, and none would let
 * the new person inherit the old one's mail.
 */
import type Database from 'better-sqlite3';
import type { MemberDataTarget } from './member-data.js';

/** One place still to delete, with what the tries so far said. */
export interface PendingPlace {
  id: number;
  member: string;
  install: string;
  service: string;
  volume: string;
  path: string;
  attempts: number;
  lastError: string | null;
  createdAt: string;
  lastAttemptAt: string | null;
  /** When the daemon tries again by itself (null before the first try). */
  nextAttemptAt: string | null;
}

/** The first retries come soon (an engine restarting), then every half hour, for ever. */
const FIRST_RETRY_MS = 60_000;
export const MAX_RETRY_MS = 30 * 60_000;

/** How long after its `attempts`-th failed try a place is tried again: doubling, capped. Pure. */
export function retryDelayMs(attempts: number): number {
  const exponent = Math.max(0, Math.min(attempts - 1, 16));
  return Math.min(FIRST_RETRY_MS * 2 ** exponent, MAX_RETRY_MS);
}

/** The target of a pending place, as the deletion takes it. Pure. */
export function targetOf(place: PendingPlace): MemberDataTarget {
  return {
    install: place.install,
    service: place.service,
    volume: place.volume,
    engineVolume: `${place.install}_${place.volume}`,
    path: place.path,
  };
}

export interface PendingDataRepository {
  /** Records `member`'s places (inside the caller's transaction, with the removal). */
  add(member: string, targets: MemberDataTarget[]): void;
  list(): PendingPlace[];
  forMember(member: string): PendingPlace[];
  /** The place is deleted (or its data is gone another way): forget it. */
  done(id: number): void;
  /** A try failed: count it, keep why, and say when the next one is due. */
  failed(id: number, error: string): PendingPlace | undefined;
  /**
   * The earliest next try of a place tried before, or undefined when none waits (a place not
   * tried yet is its removal's to try first, or the daemon's start's).
   */
  nextDue(): Date | undefined;
}

interface PendingRow {
  id: number;
  member: string;
  install_id: string;
  service: string;
  volume: string;
  path: string;
  attempts: number;
  last_error: string | null;
  created_at: string;
  last_attempt_at: string | null;
  next_attempt_at: string | null;
}

const toPlace = (row: PendingRow): PendingPlace => ({
  id: row.id,
  member: row.member,
  install: row.install_id,
  service: row.service,
  volume: row.volume,
  path: row.path,
  attempts: row.attempts,
  lastError: row.last_error,
  createdAt: row.created_at,
  lastAttemptAt: row.last_attempt_at,
  nextAttemptAt: row.next_attempt_at,
});

/** The pending places over an open, migrated database. */
export function pendingDataRepository(
  db: Database.Database,
  now: () => Date = () => new Date(),
): PendingDataRepository {
  const cols =
    'id, member, install_id, service, volume, path, attempts, last_error, created_at, last_attempt_at, next_attempt_at';
  const insert = db.prepare(
    `INSERT OR IGNORE INTO member_data_pending (member, install_id, service, volume, path, created_at)
     VALUES (?, ?, ?, ?, ?, ?)`,
  );
  const selectAll = db.prepare<[], PendingRow>(
    `SELECT ${cols} FROM member_data_pending ORDER BY member, id`,
  );
  const selectMember = db.prepare<[string], PendingRow>(
    `SELECT ${cols} FROM member_data_pending WHERE member = ? ORDER BY id`,
  );
  const selectOne = db.prepare<[number], PendingRow>(
    `SELECT ${cols} FROM member_data_pending WHERE id = ?`,
  );
  const remove = db.prepare('DELETE FROM member_data_pending WHERE id = ?');
  const update = db.prepare(
    `UPDATE member_data_pending SET attempts = attempts + 1, last_error = ?, last_attempt_at = ?,
     next_attempt_at = ? WHERE id = ?`,
  );
  const selectDue = db.prepare<[], { due: string | null }>(
    'SELECT MIN(next_attempt_at) AS due FROM member_data_pending',
  );
  return {
    add(member, targets) {
      const at = now().toISOString();
      for (const t of targets) insert.run(member, t.install, t.service, t.volume, t.path, at);
    },
    list: () => selectAll.all().map(toPlace),
    forMember: (member) => selectMember.all(member).map(toPlace),
    done(id) {
      remove.run(id);
    },
    failed(id, error) {
      const row = selectOne.get(id);
      if (!row) return undefined;
      const at = now();
      const next = new Date(at.getTime() + retryDelayMs(row.attempts + 1));
      update.run(error, at.toISOString(), next.toISOString(), id);
      const updated = selectOne.get(id);
      return updated ? toPlace(updated) : undefined;
    },
    nextDue() {
      const due = selectDue.get()?.due;
      return due ? new Date(due) : undefined;
    },
  };
}

/**
 * Why `name` cannot be given to a new member yet, or undefined when it can: the former
 * member's data is still being deleted, and the last try's error says why it waits.
 */
export function pendingNameProblem(places: PendingPlace[], name: string): string | undefined {
  if (places.length === 0) return undefined;
  const waiting = places.find((p) => p.lastError) ?? places[0]!;
  const why = waiting.lastError
    ? `waiting on ${waiting.install}: ${waiting.lastError}`
    : 'not tried yet';
  // No "; " of its own: the UI splits a refusal into its fields there (ui/src/lib/members.ts).
  const count = `${places.length} place${places.length === 1 ? '' : 's'}`;
  return `the former member "${name}"'s data is still being deleted (${count}, ${why}), and the name is free once it is (see foyer members pending-data)`;
}
