/**
 * App passwords (migration 13, `app_passwords`): a member's extra passwords for mail, chat and
 * calendar programs, one per device, as Fastmail and Nextcloud have them. Issue 14 left a gap:
 * a member with two-step verification still opened mail with their password alone. With app
 * passwords, the doors that cannot ask for a code (slapd binds, the edge's Basic check) take
 * only these from such a member (server/directory/entries.ts, server/auth/door-password.ts);
 * Foyer's own sign-in never takes them.
 *
 * Foyer makes the password (16 characters in groups of four, easy to type on a phone), shows
 * it once, and keeps only its SHA-256 (for the Basic check: 80 random bits need no slow hash,
 * as API tokens and sessions) and its SHA-512 crypt hash (for slapd's `{CRYPT}`), never the
 * value.
 */
import { createHash, randomBytes } from 'node:crypto';
import type Database from 'better-sqlite3';
import { hashCrypt } from '../directory/crypt.js';

/** Lowercase letters and digits without the look-alikes l, o, 0 and 1: 32 symbols, 5 bits each. */
export const APP_PASSWORD_ALPHABET = 'abcdefghijkmnpqrstuvwxyz23456789';
/** An app password's shape: four groups of four, joined by hyphens (80 random bits). */
export const APP_PASSWORD_PATTERN = /^[a-km-np-z2-9]{4}(?:-[a-km-np-z2-9]{4}){3}$/;
/** The most app passwords a member may hold (each is one more `userPassword` value in slapd). */
export const MAX_APP_PASSWORDS = 20;
/** The longest label. */
export const MAX_LABEL = 100;

/** An app password as listed: never its value nor a hash. */
export interface AppPassword {
  id: number;
  label: string;
  /** ISO 8601; lastUsedAt is the last Basic check it passed (slapd binds are not counted). */
  createdAt: string;
  lastUsedAt: string | null;
}

/** One just made, with the value its owner sees this once. */
export interface NewAppPassword extends AppPassword {
  password: string;
}

export interface AppPasswordRepository {
  /** Makes one for the user; Conflict past MAX_APP_PASSWORDS is the caller's (see `count`). */
  create(userId: number, label: string): Promise<NewAppPassword>;
  /** The user's app passwords, oldest first. */
  list(userId: number): AppPassword[];
  count(userId: number): number;
  /** Removes one of the user's own; the removed one, or undefined if they have none by that id. */
  revoke(userId: number, id: number): AppPassword | undefined;
  /** The id of the user's app password `password` is, marking it used; undefined if none. */
  match(userId: number, password: string): Promise<number | undefined>;
  /**
   * The SHA-256 hashes of the user's app passwords, oldest first: what a remembered Basic check
   * is tied to, so a revoke forgets it. Never leaves the daemon.
   */
  hashes(userId: number): string[];
}

const digest = (password: string) => createHash('sha256').update(password).digest('hex');

/** A fresh app password: 16 symbols of APP_PASSWORD_ALPHABET in four groups of four. */
export function generateAppPassword(): string {
  // 256 is a multiple of 32: every byte maps to one symbol with no bias.
  const symbols = Array.from(randomBytes(16), (byte) => APP_PASSWORD_ALPHABET[byte % 32]);
  return [0, 4, 8, 12].map((i) => symbols.slice(i, i + 4).join('')).join('-');
}

interface Row {
  id: number;
  label: string;
  created_at: string;
  last_used_at: string | null;
}

const fromRow = (row: Row): AppPassword => ({
  id: row.id,
  label: row.label,
  createdAt: row.created_at,
  lastUsedAt: row.last_used_at,
});

/** The app passwords repository over an open, migrated database. */
export function appPasswordsRepository(
  db: Database.Database,
  now: () => Date = () => new Date(),
): AppPasswordRepository {
  const insert = db.prepare<[number, string, string, string, string], void>(
    `INSERT INTO app_passwords (user_id, label, password_hash, crypt_hash, created_at)
     VALUES (?, ?, ?, ?, ?)`,
  );
  const selectOfUser = db.prepare<[number], Row>(
    'SELECT id, label, created_at, last_used_at FROM app_passwords WHERE user_id = ? ORDER BY id',
  );
  const selectOne = db.prepare<[number, number], Row>(
    'SELECT id, label, created_at, last_used_at FROM app_passwords WHERE id = ? AND user_id = ?',
  );
  const selectHashes = db.prepare<[number], { id: number; password_hash: string }>(
    'SELECT id, password_hash FROM app_passwords WHERE user_id = ? ORDER BY id',
  );
  const selectByHash = db.prepare<[number, string], { id: number }>(
    'SELECT id FROM app_passwords WHERE user_id = ? AND password_hash = ?',
  );
  const selectCount = db.prepare<[number], { n: number }>(
    'SELECT count(*) AS n FROM app_passwords WHERE user_id = ?',
  );
  const remove = db.prepare<[number, number], void>(
    'DELETE FROM app_passwords WHERE id = ? AND user_id = ?',
  );
  const markUsed = db.prepare<[string, number], void>(
    'UPDATE app_passwords SET last_used_at = ? WHERE id = ?',
  );

  return {
    async create(userId, label) {
      const password = generateAppPassword();
      const createdAt = now().toISOString();
      const id = Number(
        insert.run(userId, label, digest(password), hashCrypt(password), createdAt).lastInsertRowid,
      );
      return { id, label, createdAt, lastUsedAt: null, password };
    },
    list: (userId) => selectOfUser.all(userId).map(fromRow),
    count: (userId) => selectCount.get(userId)!.n,
    revoke(userId, id) {
      const row = selectOne.get(id, userId);
      if (!row) return undefined;
      remove.run(id, userId);
      return fromRow(row);
    },
    async match(userId, password) {
      const row = selectByHash.get(userId, digest(password));
      if (!row) return undefined;
      markUsed.run(now().toISOString(), row.id);
      return row.id;
    },
    hashes: (userId) => selectHashes.all(userId).map((row) => row.password_hash),
  };
}
