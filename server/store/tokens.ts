/**
 * The API tokens repository (migration 2, `api_tokens`). A token is
 * `foyer_` + 32 random bytes (base64url), shown to its owner once when made;
 * the table keeps only its SHA-256. The prefix lets secret scanners and
 * people recognise a leaked Foyer token.
 */
import { randomBytes } from 'node:crypto';
import type Database from 'better-sqlite3';
import { secretHash } from './sessions.js';

/** The prefix of every token value. */
export const TOKEN_PREFIX = 'foyer_';

/** A token as listed: never its value. */
export interface ApiToken {
  id: number;
  name: string;
  /** ISO 8601 timestamps; lastUsedAt is null until first use. */
  createdAt: string;
  lastUsedAt: string | null;
}

/** A token just made, with the value its owner sees this once. */
export interface NewApiToken extends ApiToken {
  token: string;
}

/** Makes, lists, finds and removes API tokens; values are never stored. */
export interface TokenRepository {
  create(userId: number, name: string): NewApiToken;
  /** The user's tokens, oldest first, without values. */
  list(userId: number): ApiToken[];
  /** Removes one of the user's own tokens; false if the user has no token with that id. */
  delete(userId: number, id: number): boolean;
  /** The token with this value and its owner, marking it used; undefined if unknown. */
  lookup(raw: string): { id: number; userId: number } | undefined;
}

interface TokenRow {
  id: number;
  name: string;
  created_at: string;
  last_used_at: string | null;
}

/** The API tokens repository over an open, migrated database. */
export function tokensRepository(
  db: Database.Database,
  now: () => Date = () => new Date(),
): TokenRepository {
  const insert = db.prepare<[number, string, string, string], void>(
    'INSERT INTO api_tokens (user_id, name, token_hash, created_at) VALUES (?, ?, ?, ?)',
  );
  const selectOfUser = db.prepare<[number], TokenRow>(
    'SELECT id, name, created_at, last_used_at FROM api_tokens WHERE user_id = ? ORDER BY id',
  );
  const selectByHash = db.prepare<[string], { id: number; user_id: number }>(
    'SELECT id, user_id FROM api_tokens WHERE token_hash = ?',
  );
  const markUsed = db.prepare<[string, number], void>(
    'UPDATE api_tokens SET last_used_at = ? WHERE id = ?',
  );
  const remove = db.prepare<[number, number], void>(
    'DELETE FROM api_tokens WHERE id = ? AND user_id = ?',
  );

  return {
    create(userId, name) {
      const token = TOKEN_PREFIX + randomBytes(32).toString('base64url');
      const createdAt = now().toISOString();
      const id = Number(insert.run(userId, name, secretHash(token), createdAt).lastInsertRowid);
      return { id, name, createdAt, lastUsedAt: null, token };
    },
    list: (userId) =>
      selectOfUser.all(userId).map((row) => ({
        id: row.id,
        name: row.name,
        createdAt: row.created_at,
        lastUsedAt: row.last_used_at,
      })),
    delete: (userId, id) => remove.run(id, userId).changes > 0,
    lookup(raw) {
      // Not ours by its look: skip the hash and the query.
      if (!raw.startsWith(TOKEN_PREFIX)) return undefined;
      const row = selectByHash.get(secretHash(raw));
      if (!row) return undefined;
      markUsed.run(now().toISOString(), row.id);
      return { id: row.id, userId: row.user_id };
    },
  };
}
