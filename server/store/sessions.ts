/**
 * The sessions repository (migration 2, `sessions`). A session id is 32
 * random bytes handed to the browser once, in the cookie; the table keeps
 * only its SHA-256, so a copy of the database does not sign anyone in.
 * Sessions slide: each use pushes the expiry 30 days past the last use.
 */
import { createHash, randomBytes } from 'node:crypto';
import type Database from 'better-sqlite3';

/** How long an unused session lives. */
export const SESSION_TTL_MS = 30 * 24 * 60 * 60 * 1000;

// Sliding the expiry is a write; once a minute per session is precise enough and keeps a busy
// UI from writing the database on every request.
const TOUCH_INTERVAL_MS = 60 * 1000;

/** A live session, as found by its raw id. */
export interface Session {
  userId: number;
  /** ISO 8601 timestamps. */
  createdAt: string;
  expiresAt: string;
  /** True when this lookup slid the expiry, so the caller may renew the cookie. */
  renewed: boolean;
}

/** Creates, finds and ends sessions; raw ids go in and out, only hashes are stored. */
export interface SessionRepository {
  /** Starts a session; returns the raw id (base64url), the only time it exists outside the cookie. */
  create(userId: number): string;
  /** The live session with this raw id, its expiry slid forward; undefined if unknown or expired. */
  lookup(rawId: string): Session | undefined;
  /** Ends one session; false if there was none. */
  delete(rawId: string): boolean;
  /** Ends every session of a user except `keepRawId`; returns how many ended. */
  deleteAllOf(userId: number, keepRawId?: string): number;
}

/** SHA-256 of a raw secret, hex; how sessions and tokens are stored and looked up. */
export function secretHash(raw: string): string {
  return createHash('sha256').update(raw).digest('hex');
}

interface SessionRow {
  user_id: number;
  created_at: string;
  expires_at: string;
  last_seen_at: string;
}

/** The sessions repository over an open, migrated database. */
export function sessionsRepository(
  db: Database.Database,
  now: () => Date = () => new Date(),
): SessionRepository {
  const insert = db.prepare<[string, number, string, string, string], void>(
    `INSERT INTO sessions (id_hash, user_id, created_at, expires_at, last_seen_at)
     VALUES (?, ?, ?, ?, ?)`,
  );
  const select = db.prepare<[string], SessionRow>(
    'SELECT user_id, created_at, expires_at, last_seen_at FROM sessions WHERE id_hash = ?',
  );
  const touch = db.prepare<[string, string, string], void>(
    'UPDATE sessions SET last_seen_at = ?, expires_at = ? WHERE id_hash = ?',
  );
  const remove = db.prepare<[string], void>('DELETE FROM sessions WHERE id_hash = ?');
  const removeOfUser = db.prepare<[number, string], void>(
    'DELETE FROM sessions WHERE user_id = ? AND id_hash != ?',
  );
  // ISO 8601 UTC strings of one length sort as the instants they name.
  const removeExpired = db.prepare<[string], void>('DELETE FROM sessions WHERE expires_at <= ?');

  return {
    create(userId) {
      const raw = randomBytes(32).toString('base64url');
      const at = now();
      // Starting a session is rare, so it is a fine moment to drop the expired ones.
      removeExpired.run(at.toISOString());
      const expires = new Date(at.getTime() + SESSION_TTL_MS).toISOString();
      insert.run(secretHash(raw), userId, at.toISOString(), expires, at.toISOString());
      return raw;
    },
    lookup(rawId) {
      const idHash = secretHash(rawId);
      const row = select.get(idHash);
      if (!row) return undefined;
      const at = now();
      if (Date.parse(row.expires_at) <= at.getTime()) {
        remove.run(idHash);
        return undefined;
      }
      const renewed = at.getTime() - Date.parse(row.last_seen_at) >= TOUCH_INTERVAL_MS;
      let expiresAt = row.expires_at;
      if (renewed) {
        expiresAt = new Date(at.getTime() + SESSION_TTL_MS).toISOString();
        touch.run(at.toISOString(), expiresAt, idHash);
      }
      return { userId: row.user_id, createdAt: row.created_at, expiresAt, renewed };
    },
    delete: (rawId) => remove.run(secretHash(rawId)).changes > 0,
    // No stored hash equals the empty string, so without `keepRawId` every session goes.
    deleteAllOf: (userId, keepRawId) =>
      removeOfUser.run(userId, keepRawId === undefined ? '' : secretHash(keepRawId)).changes,
  };
}
