/** Foyer's store: desired state in SQLite (DESIGN.md "Store"), never inferred from Docker. */
import type Database from 'better-sqlite3';
import { openDatabase } from './db.js';
import { type InstallRepository, installRepository } from './installs.js';
import { MIGRATIONS, type Migration, migrate } from './migrations.js';

export { StoreError, type StoreErrorCode } from './db.js';
export {
  type Desired,
  INSTALL_ID_PATTERN,
  type Install,
  type InstallPatch,
  type InstallRepository,
  type NewInstall,
} from './installs.js';
export { MIGRATIONS, type Migration } from './migrations.js';

/** An open store; one per process, closed on shutdown. */
export interface Store {
  /** The database file. */
  readonly path: string;
  readonly installs: InstallRepository;
  /** The open database, for the repositories of other domains (auth, jobs, audit). */
  readonly db: Database.Database;
  /** Closes the connection; the store is unusable afterwards. */
  close(): void;
}

export interface StoreOptions {
  /** Clock for timestamps; tests pass a fixed one. */
  now?: () => Date;
  /** Migrations to apply instead of Foyer's own; for tests of the migration runner. */
  migrations?: readonly Migration[];
}

/** Opens the store at `path`, creating and migrating it as needed. */
export function openStore(path: string, options: StoreOptions = {}): Store {
  const now = options.now ?? (() => new Date());
  const db = openDatabase(path);
  try {
    migrate(db, options.migrations ?? MIGRATIONS, now);
    return { path, db, installs: installRepository(db, now), close: () => db.close() };
  } catch (error) {
    db.close();
    throw error;
  }
}
