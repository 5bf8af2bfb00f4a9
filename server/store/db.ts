/**
 * Opening the SQLite file that holds Foyer's desired state (DESIGN.md "Store").
 * The file holds generated secrets, so its folder is 0700 and the file 0600;
 * SQLite gives the `-wal` and `-shm` files the database file's mode.
 */
import { chmodSync, closeSync, mkdirSync, openSync } from 'node:fs';
import { dirname } from 'node:path';
import Database from 'better-sqlite3';

/** Stable codes for the store's refusals, so routes can map them to HTTP. */
export type StoreErrorCode =
  | 'STORE_SCHEMA_TOO_NEW'
  | 'STORE_BAD_MIGRATIONS'
  | 'INSTALL_EXISTS'
  | 'INSTALL_NOT_FOUND'
  | 'INSTALL_INVALID';

/** A refusal by the store, with a stable code. */
export class StoreError extends Error {
  readonly code: StoreErrorCode;

  constructor(code: StoreErrorCode, message: string) {
    super(message);
    this.name = 'StoreError';
    this.code = code;
  }
}

/** Milliseconds a writer waits for another connection's lock (the CLI and daemon may share the file). */
export const BUSY_TIMEOUT_MS = 5000;

/** Opens (creating if needed) the database at `path` with Foyer's connection settings. */
export function openDatabase(path: string): Database.Database {
  if (path !== ':memory:') prepareFile(path);
  const db = new Database(path);
  try {
    db.pragma('journal_mode = WAL');
    // NORMAL is durable across application crashes in WAL mode; only a power cut may lose
    // the last commits, never corrupt the file (sqlite.org/pragma.html#pragma_synchronous).
    db.pragma('synchronous = NORMAL');
    db.pragma('foreign_keys = ON');
    db.pragma(`busy_timeout = ${BUSY_TIMEOUT_MS}`);
  } catch (error) {
    db.close();
    throw error;
  }
  return db;
}

/** Creates the folder (0700) and the file (0600) before SQLite does, so neither is ever wider. */
function prepareFile(path: string): void {
  const created = mkdirSync(dirname(path), { recursive: true, mode: 0o700 });
  // Only tighten a folder we created: an existing data dir's mode is the admin's choice.
  if (created !== undefined) chmodSync(dirname(path), 0o700);
  closeSync(openSync(path, 'a', 0o600));
  // A file left by an older run or a copy may be wider; it holds secrets.
  chmodSync(path, 0o600);
}
