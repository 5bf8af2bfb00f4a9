/**
 * The installs repository: one row per installed app, its settings, generated
 * secrets, accepted permissions and desired state. `generation` goes up on
 * every write so the reconciler can tell its cached render is stale. Secrets
 * never travel on an Install: they are read with `secrets(id)` only, so a
 * route that returns installs cannot leak them by accident (DESIGN.md "Security").
 */
import { isAbsolute } from 'node:path';
import Database from 'better-sqlite3';
import { StoreError } from './db.js';

/** An install id; it becomes the Compose project name, so it is lowercase and short. */
export const INSTALL_ID_PATTERN = /^[a-z0-9][a-z0-9-]{0,39}$/;

/** What the reconciler should make true of an install. */
export type Desired = 'running' | 'stopped' | 'absent';

/** An install as stored, without its secrets. */
export interface Install {
  id: string;
  appId: string;
  /** Absolute folder of the catalogue entry it was installed or last updated from. */
  appDir: string;
  /**
   * Content hash of the pinned copy of that folder, which is all rendering reads (issue 17);
   * null only for an install made before pinning, until the daemon's next start pins it.
   */
  definition: string | null;
  /** The app's version in the pinned definition. */
  appVersion: string | null;
  /** The definition pinned before the last update: what a rollback goes back to. */
  previousDefinition: string | null;
  settings: Record<string, string>;
  acceptedPermissions: string[];
  desired: Desired;
  /** Remove the volumes too once absent. */
  purge: boolean;
  generation: number;
  /** ISO 8601 timestamps. */
  createdAt: string;
  updatedAt: string;
}

/** The fields of a new install; secrets are generated once by the caller. */
export interface NewInstall {
  id: string;
  appId: string;
  appDir: string;
  definition?: string;
  appVersion?: string;
  settings?: Record<string, string>;
  secrets?: Record<string, string>;
  acceptedPermissions?: string[];
  /** Defaults to `running`. */
  desired?: Desired;
}

/** Fields `update` may change; absent ones keep their value. */
export interface InstallPatch {
  appDir?: string;
  /** A new pin; the one it replaces becomes `previousDefinition`. */
  definition?: string;
  /** Set explicitly only by a rollback, which puts back the install as it was before (issue 15). */
  previousDefinition?: string | null;
  appVersion?: string;
  settings?: Record<string, string>;
  secrets?: Record<string, string>;
  acceptedPermissions?: string[];
}

/** Reads and writes installs; every write bumps `generation`. */
export interface InstallRepository {
  /** The install, or undefined. */
  get(id: string): Install | undefined;
  /** Every install, by id. */
  list(): Install[];
  /** The install's generated secrets; throws INSTALL_NOT_FOUND. */
  secrets(id: string): Record<string, string>;
  /** Adds an install at generation 1; throws INSTALL_EXISTS or INSTALL_INVALID. */
  create(install: NewInstall): Install;
  /** Changes fields of an install and bumps its generation; throws INSTALL_NOT_FOUND. */
  update(id: string, patch: InstallPatch): Install;
  /** Sets the desired state and bumps the generation; purge only sticks with `absent`. */
  setDesired(id: string, desired: Desired, options?: { purge?: boolean }): Install;
  /** Removes the row; false if there was none. */
  delete(id: string): boolean;
}

interface InstallRow {
  id: string;
  app_id: string;
  app_dir: string;
  definition: string | null;
  app_version: string | null;
  previous_definition: string | null;
  settings: string;
  accepted_permissions: string;
  desired: Desired;
  purge: number;
  generation: number;
  created_at: string;
  updated_at: string;
}

const COLUMNS =
  'id, app_id, app_dir, definition, app_version, previous_definition, settings, accepted_permissions, desired, purge, generation, created_at, updated_at';

/** The installs repository over an open, migrated database. */
export function installRepository(db: Database.Database, now: () => Date): InstallRepository {
  const selectOne = db.prepare<[string], InstallRow>(
    `SELECT ${COLUMNS} FROM installs WHERE id = ?`,
  );
  const selectAll = db.prepare<[], InstallRow>(`SELECT ${COLUMNS} FROM installs ORDER BY id`);
  const selectSecrets = db.prepare<[string], { secrets: string }>(
    'SELECT secrets FROM installs WHERE id = ?',
  );
  const insert = db.prepare(
    `INSERT INTO installs (id, app_id, app_dir, definition, app_version, settings, secrets,
       accepted_permissions, desired, purge, generation, created_at, updated_at)
     VALUES (@id, @appId, @appDir, @definition, @appVersion, @settings, @secrets, @accepted,
       @desired, 0, 1, @now, @now)`,
  );
  const updateFields = db.prepare(
    `UPDATE installs SET app_dir = @appDir, definition = @definition, app_version = @appVersion,
       previous_definition = @previousDefinition, settings = @settings, secrets = @secrets,
       accepted_permissions = @accepted, generation = generation + 1, updated_at = @now
     WHERE id = @id`,
  );
  const updateDesired = db.prepare(
    `UPDATE installs SET desired = @desired, purge = @purge, generation = generation + 1,
       updated_at = @now WHERE id = @id`,
  );
  const remove = db.prepare('DELETE FROM installs WHERE id = ?');

  const get = (id: string): Install | undefined => {
    const row = selectOne.get(id);
    return row && fromRow(row);
  };
  const mustGet = (id: string): Install => {
    const install = get(id);
    if (!install) throw new StoreError('INSTALL_NOT_FOUND', `no install "${id}"`);
    return install;
  };
  const secrets = (id: string): Record<string, string> => {
    const row = selectSecrets.get(id);
    if (!row) throw new StoreError('INSTALL_NOT_FOUND', `no install "${id}"`);
    return JSON.parse(row.secrets) as Record<string, string>;
  };

  return {
    get,
    list: () => selectAll.all().map(fromRow),
    secrets,
    create(install) {
      checkNew(install);
      try {
        insert.run({
          id: install.id,
          appId: install.appId,
          appDir: install.appDir,
          definition: install.definition ?? null,
          appVersion: install.appVersion ?? null,
          settings: JSON.stringify(install.settings ?? {}),
          secrets: JSON.stringify(install.secrets ?? {}),
          accepted: JSON.stringify(install.acceptedPermissions ?? []),
          desired: install.desired ?? 'running',
          now: now().toISOString(),
        });
      } catch (error) {
        if (isDuplicateKey(error)) {
          throw new StoreError('INSTALL_EXISTS', `an install "${install.id}" already exists`);
        }
        throw error;
      }
      return mustGet(install.id);
    },
    // A transaction, so a concurrent writer cannot slip between the read and the write.
    update: db.transaction((id: string, patch: InstallPatch): Install => {
      checkPatch(patch);
      const current = mustGet(id);
      const repinned = patch.definition !== undefined && patch.definition !== current.definition;
      updateFields.run({
        id,
        appDir: patch.appDir ?? current.appDir,
        definition: patch.definition ?? current.definition,
        appVersion: patch.appVersion ?? current.appVersion,
        previousDefinition:
          patch.previousDefinition !== undefined
            ? patch.previousDefinition
            : repinned
              ? current.definition
              : current.previousDefinition,
        settings: JSON.stringify(patch.settings ?? current.settings),
        secrets: JSON.stringify(patch.secrets ?? secrets(id)),
        accepted: JSON.stringify(patch.acceptedPermissions ?? current.acceptedPermissions),
        now: now().toISOString(),
      });
      return mustGet(id);
    }),
    setDesired(id, desired, options = {}) {
      if (!DESIRED.has(desired)) invalid(`desired must be one of ${[...DESIRED].join(', ')}`);
      // Purge belongs to one uninstall: starting the install again must not leave it armed.
      const purge = desired === 'absent' && options.purge === true ? 1 : 0;
      const result = updateDesired.run({ id, desired, purge, now: now().toISOString() });
      if (result.changes === 0) throw new StoreError('INSTALL_NOT_FOUND', `no install "${id}"`);
      return mustGet(id);
    },
    delete: (id) => remove.run(id).changes > 0,
  };
}

const DESIRED: ReadonlySet<string> = new Set<Desired>(['running', 'stopped', 'absent']);

function fromRow(row: InstallRow): Install {
  return {
    id: row.id,
    appId: row.app_id,
    appDir: row.app_dir,
    definition: row.definition,
    appVersion: row.app_version,
    previousDefinition: row.previous_definition,
    settings: JSON.parse(row.settings) as Record<string, string>,
    acceptedPermissions: JSON.parse(row.accepted_permissions) as string[],
    desired: row.desired,
    purge: row.purge === 1,
    generation: row.generation,
    createdAt: row.created_at,
    updatedAt: row.updated_at,
  };
}

function isDuplicateKey(error: unknown): boolean {
  return (
    error instanceof Database.SqliteError &&
    (error.code === 'SQLITE_CONSTRAINT_PRIMARYKEY' || error.code === 'SQLITE_CONSTRAINT_UNIQUE')
  );
}

function invalid(message: string): never {
  throw new StoreError('INSTALL_INVALID', message);
}

function checkNew(install: NewInstall): void {
  if (!INSTALL_ID_PATTERN.test(install.id)) {
    invalid(
      `install id "${install.id}" must be 1 to 40 lowercase letters, digits and "-", ` +
        'starting with a letter or digit',
    );
  }
  if (!install.appId) invalid('appId must not be empty');
  if (install.desired !== undefined && !DESIRED.has(install.desired)) {
    invalid(`desired must be one of ${[...DESIRED].join(', ')}`);
  }
  checkPatch(install);
}

function checkPatch(patch: InstallPatch): void {
  if (patch.appDir !== undefined && !isAbsolute(patch.appDir)) {
    invalid(`appDir "${patch.appDir}" must be an absolute path`);
  }
  if (patch.definition !== undefined && !/^[0-9a-f]{64}$/.test(patch.definition)) {
    invalid(`definition "${patch.definition}" must be a SHA-256 in hex`);
  }
  checkStrings('settings', patch.settings);
  checkStrings('secrets', patch.secrets);
  const accepted = patch.acceptedPermissions;
  if (accepted !== undefined && !accepted.every((p) => typeof p === 'string')) {
    invalid('acceptedPermissions must be a list of strings');
  }
}

/** Settings and secrets are Compose interpolation variables, so every value is a string. */
function checkStrings(field: string, map: Record<string, string> | undefined): void {
  if (map === undefined) return;
  for (const [key, value] of Object.entries(map)) {
    if (typeof value !== 'string') invalid(`${field}.${key} must be a string`);
  }
}
