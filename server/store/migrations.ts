/**
 * Versioned schema migrations. Each runs once, in its own transaction, and is
 * recorded in `schema_migrations`; a database whose newest migration is newer
 * than this Foyer knows is refused rather than guessed at. Later issues add
 * users, sessions, tokens, jobs and the audit log by appending to MIGRATIONS —
 * never by editing an entry that has shipped.
 */
import type Database from 'better-sqlite3';
import { StoreError } from './db.js';

/** One schema step: applied once, in order of `version`. */
export interface Migration {
  version: number;
  name: string;
  /** SQL run with `exec`, so it may hold several statements. */
  up: string;
}

// The id check mirrors INSTALL_ID_PATTERN in installs.ts: it becomes the Compose project name.
const INSTALLS = `
CREATE TABLE installs (
  id TEXT PRIMARY KEY NOT NULL
    CHECK (length(id) BETWEEN 1 AND 40 AND id GLOB '[a-z0-9]*' AND id NOT GLOB '*[^a-z0-9-]*'),
  app_id TEXT NOT NULL,
  app_dir TEXT NOT NULL,
  settings TEXT NOT NULL DEFAULT '{}' CHECK (json_type(settings) = 'object'),
  secrets TEXT NOT NULL DEFAULT '{}' CHECK (json_type(secrets) = 'object'),
  accepted_permissions TEXT NOT NULL DEFAULT '[]' CHECK (json_type(accepted_permissions) = 'array'),
  desired TEXT NOT NULL CHECK (desired IN ('running', 'stopped', 'absent')),
  purge INTEGER NOT NULL DEFAULT 0 CHECK (purge IN (0, 1)),
  generation INTEGER NOT NULL DEFAULT 1,
  created_at TEXT NOT NULL,
  updated_at TEXT NOT NULL
) STRICT;
`;

// Accounts (issue 4): argon2id password hashes, optional TOTP secret; sessions and API tokens
// are stored as SHA-256 hashes of their values, never the values themselves.
const ACCOUNTS = `
CREATE TABLE users (
  id INTEGER PRIMARY KEY,
  username TEXT NOT NULL UNIQUE COLLATE NOCASE,
  password_hash TEXT NOT NULL,
  role TEXT NOT NULL CHECK (role IN ('admin', 'member')),
  totp_secret TEXT,
  totp_enabled INTEGER NOT NULL DEFAULT 0 CHECK (totp_enabled IN (0, 1)),
  created_at TEXT NOT NULL,
  updated_at TEXT NOT NULL
) STRICT;
CREATE TABLE sessions (
  id_hash TEXT PRIMARY KEY NOT NULL,
  user_id INTEGER NOT NULL REFERENCES users(id) ON DELETE CASCADE,
  created_at TEXT NOT NULL,
  expires_at TEXT NOT NULL,
  last_seen_at TEXT NOT NULL
) STRICT;
CREATE INDEX sessions_user ON sessions(user_id);
CREATE TABLE api_tokens (
  id INTEGER PRIMARY KEY,
  user_id INTEGER NOT NULL REFERENCES users(id) ON DELETE CASCADE,
  name TEXT NOT NULL,
  token_hash TEXT NOT NULL UNIQUE,
  created_at TEXT NOT NULL,
  last_used_at TEXT
) STRICT;
`;

// Jobs (long work, with progress) and the audit log of who did what (issue 4).
const JOBS_AND_AUDIT = `
CREATE TABLE jobs (
  id TEXT PRIMARY KEY NOT NULL,
  kind TEXT NOT NULL,
  install_id TEXT,
  state TEXT NOT NULL CHECK (state IN ('running', 'succeeded', 'failed', 'interrupted')),
  step TEXT,
  error TEXT,
  actor TEXT NOT NULL,
  created_at TEXT NOT NULL,
  updated_at TEXT NOT NULL,
  finished_at TEXT
) STRICT;
CREATE INDEX jobs_created ON jobs(created_at);
CREATE TABLE audit_log (
  id INTEGER PRIMARY KEY,
  at TEXT NOT NULL,
  actor TEXT NOT NULL,
  action TEXT NOT NULL,
  target TEXT,
  detail TEXT NOT NULL DEFAULT '{}' CHECK (json_type(detail) = 'object')
) STRICT;
CREATE INDEX audit_at ON audit_log(at);
`;

// Pinned definitions (issue 17): the content hash of the copy of the app folder an install runs.
// Installs made before this are pinned by the daemon at its first start (files cannot be copied
// from SQL), so `definition` is NULL until then.
const PINNED_DEFINITIONS = `
ALTER TABLE installs ADD COLUMN definition TEXT
  CHECK (definition IS NULL OR (length(definition) = 64 AND definition NOT GLOB '*[^0-9a-f]*'));
ALTER TABLE installs ADD COLUMN app_version TEXT;
ALTER TABLE installs ADD COLUMN previous_definition TEXT;
`;

// Jobs may end `cancelled` (issue 11 §1): an uninstall supersedes the job in progress. SQLite
// cannot change a CHECK constraint in place, so the table is rebuilt with the same columns.
const JOBS_CANCELLED = `
CREATE TABLE jobs_next (
  id TEXT PRIMARY KEY NOT NULL,
  kind TEXT NOT NULL,
  install_id TEXT,
  state TEXT NOT NULL
    CHECK (state IN ('running', 'succeeded', 'failed', 'cancelled', 'interrupted')),
  step TEXT,
  error TEXT,
  actor TEXT NOT NULL,
  created_at TEXT NOT NULL,
  updated_at TEXT NOT NULL,
  finished_at TEXT
) STRICT;
INSERT INTO jobs_next (id, kind, install_id, state, step, error, actor, created_at, updated_at,
  finished_at)
  SELECT id, kind, install_id, state, step, error, actor, created_at, updated_at, finished_at
  FROM jobs ORDER BY rowid;
DROP TABLE jobs;
ALTER TABLE jobs_next RENAME TO jobs;
CREATE INDEX jobs_created ON jobs(created_at);
CREATE INDEX jobs_install_running ON jobs(install_id) WHERE state = 'running';
`;

// Backups (issue 15): targets with the repository password Foyer generated (or was given) — the
// one secret without which a backup is useless, shown once as a recovery kit and never returned
// by the API again —, what Foyer knows of each snapshot it made (size, verification), and the
// backup settings (schedule, retention, the last scheduled run) as JSON values by key.
const BACKUPS = `
CREATE TABLE backup_targets (
  name TEXT PRIMARY KEY NOT NULL
    CHECK (length(name) BETWEEN 1 AND 40 AND name GLOB '[a-z0-9]*' AND name NOT GLOB '*[^a-z0-9-]*'),
  repository TEXT NOT NULL,
  password TEXT NOT NULL,
  created_at TEXT NOT NULL
) STRICT;
CREATE TABLE backup_snapshots (
  target TEXT NOT NULL REFERENCES backup_targets(name) ON DELETE CASCADE,
  snapshot TEXT NOT NULL,
  install TEXT,
  app TEXT,
  version TEXT,
  time TEXT NOT NULL,
  size INTEGER,
  data_added INTEGER,
  verified INTEGER CHECK (verified IS NULL OR verified IN (0, 1)),
  verified_at TEXT,
  verify_note TEXT,
  PRIMARY KEY (target, snapshot)
) STRICT;
CREATE TABLE backup_settings (
  key TEXT PRIMARY KEY NOT NULL,
  value TEXT NOT NULL CHECK (json_valid(value))
) STRICT;
`;

// Updates that roll back (issue 15): one row per update job, with the phase it is in (so a
// daemon killed in the middle converges at its next start) and everything the install was
// before it — pin, version, settings, secrets, accepted permissions, the images its services
// ran — so a failed update can put all of it back.
const UPDATES = `
CREATE TABLE updates (
  job_id TEXT PRIMARY KEY NOT NULL,
  install_id TEXT NOT NULL,
  phase TEXT NOT NULL CHECK (phase IN ('preparing', 'pulling', 'snapshotting', 'recreating',
    'checking', 'restoring', 'reverting', 'succeeded', 'rolled-back', 'failed', 'cancelled')),
  refresh INTEGER NOT NULL CHECK (refresh IN (0, 1)),
  from_app_dir TEXT NOT NULL,
  from_definition TEXT,
  from_previous_definition TEXT,
  from_version TEXT,
  from_settings TEXT NOT NULL CHECK (json_type(from_settings) = 'object'),
  from_secrets TEXT NOT NULL CHECK (json_type(from_secrets) = 'object'),
  from_permissions TEXT NOT NULL CHECK (json_type(from_permissions) = 'array'),
  to_version TEXT,
  images TEXT NOT NULL DEFAULT '[]' CHECK (json_type(images) = 'array'),
  deadline TEXT,
  reason TEXT,
  logs TEXT,
  created_at TEXT NOT NULL,
  updated_at TEXT NOT NULL,
  finished_at TEXT
) STRICT;
CREATE INDEX updates_install ON updates(install_id, created_at);
`;

// Names and HTTPS (issue 13): one row, the domain the edge serves and how it gets certificates.
const DOMAIN = `
CREATE TABLE domain_settings (
  id INTEGER PRIMARY KEY NOT NULL CHECK (id = 1),
  mode TEXT NOT NULL CHECK (mode IN ('public', 'internal')),
  domain TEXT NOT NULL,
  email TEXT,
  acme TEXT,
  acme_root TEXT,
  updated_at TEXT NOT NULL
) STRICT;
`;

// The directory (issue 14): Foyer's accounts are its members. `users` gains what mail, chat and
// calendar need (an address, a display name, a state) and a second hash of the same password,
// SHA-512 crypt, which slapd verifies (argon2id stays Foyer's own). Groups, who is in them, and
// which groups may use which install; one-time set-password links (only the link's SHA-256);
// one read-only LDAP bind account per install that uses the directory.
const DIRECTORY = `
ALTER TABLE users ADD COLUMN email TEXT;
ALTER TABLE users ADD COLUMN display_name TEXT NOT NULL DEFAULT '';
ALTER TABLE users ADD COLUMN state TEXT NOT NULL DEFAULT 'active' CHECK (state IN ('active', 'disabled'));
ALTER TABLE users ADD COLUMN crypt_hash TEXT;
CREATE UNIQUE INDEX users_email ON users(email COLLATE NOCASE) WHERE email IS NOT NULL;
CREATE TABLE member_groups (
  id INTEGER PRIMARY KEY,
  name TEXT NOT NULL UNIQUE,
  created_at TEXT NOT NULL
) STRICT;
CREATE TABLE group_members (
  group_id INTEGER NOT NULL REFERENCES member_groups(id) ON DELETE CASCADE,
  user_id INTEGER NOT NULL REFERENCES users(id) ON DELETE CASCADE,
  PRIMARY KEY (group_id, user_id)
) STRICT;
CREATE INDEX group_members_user ON group_members(user_id);
CREATE TABLE install_access (
  install_id TEXT NOT NULL REFERENCES installs(id) ON DELETE CASCADE,
  group_id INTEGER NOT NULL REFERENCES member_groups(id) ON DELETE CASCADE,
  PRIMARY KEY (install_id, group_id)
) STRICT;
CREATE TABLE password_links (
  token_hash TEXT PRIMARY KEY NOT NULL,
  user_id INTEGER NOT NULL REFERENCES users(id) ON DELETE CASCADE,
  created_at TEXT NOT NULL,
  expires_at TEXT NOT NULL
) STRICT;
CREATE TABLE directory_binds (
  install_id TEXT PRIMARY KEY NOT NULL REFERENCES installs(id) ON DELETE CASCADE,
  password TEXT NOT NULL,
  crypt_hash TEXT NOT NULL,
  created_at TEXT NOT NULL
) STRICT;
`;

// OpenID Connect for web apps (issue 14, server/oidc/): the provider's short-lived models
// (sessions, interactions, codes, tokens, grants) as oidc-provider's adapter stores them, one
// row per model and id with the payload as JSON; the box's signing keys and cookie keys, made
// once and never again (a restart keeps every token valid and the same kid); and each
// member's OIDC subject, random so a removed member's id or name taken again never names the
// old person to an app.
const OIDC = `
CREATE TABLE oidc_models (
  model TEXT NOT NULL,
  id TEXT NOT NULL,
  payload TEXT NOT NULL CHECK (json_valid(payload)),
  grant_id TEXT,
  user_code TEXT,
  uid TEXT,
  expires_at INTEGER,
  consumed_at INTEGER,
  PRIMARY KEY (model, id)
) STRICT;
CREATE INDEX oidc_models_grant ON oidc_models(grant_id) WHERE grant_id IS NOT NULL;
CREATE INDEX oidc_models_uid ON oidc_models(model, uid) WHERE uid IS NOT NULL;
CREATE INDEX oidc_models_user_code ON oidc_models(model, user_code) WHERE user_code IS NOT NULL;
CREATE INDEX oidc_models_expiry ON oidc_models(expires_at) WHERE expires_at IS NOT NULL;
CREATE TABLE oidc_keys (
  name TEXT PRIMARY KEY NOT NULL,
  value TEXT NOT NULL,
  created_at TEXT NOT NULL
) STRICT;
CREATE TABLE oidc_subjects (
  user_id INTEGER PRIMARY KEY NOT NULL REFERENCES users(id) ON DELETE CASCADE,
  subject TEXT NOT NULL UNIQUE
) STRICT;
`;

// App passwords (issue 14's known gap): a member's second passwords for mail, chat and calendar
// programs, so those doors can refuse the main password of a member with two-step verification.
// Kept only as hashes: argon2id for the edge's Basic check, SHA-512 crypt for slapd.
const APP_PASSWORDS = `
CREATE TABLE app_passwords (
  id INTEGER PRIMARY KEY,
  user_id INTEGER NOT NULL REFERENCES users(id) ON DELETE CASCADE,
  label TEXT NOT NULL,
  password_hash TEXT NOT NULL,
  crypt_hash TEXT NOT NULL,
  created_at TEXT NOT NULL,
  last_used_at TEXT
) STRICT;
CREATE INDEX app_passwords_user ON app_passwords(user_id);
`;

// Debian's updates for built images and automatic updates (issue 15): per install and service,
// the last check of the image it ran (which packages Debian has newer versions of); per
// install, whether it updates itself in a daily window and the offer it last tried that way,
// so an update that rolled back is not tried again for the same offer. Number 10: 8 and 9 are
// other work's.
const AUTO_UPDATES = `
CREATE TABLE debian_checks (
  install_id TEXT NOT NULL REFERENCES installs(id) ON DELETE CASCADE,
  service TEXT NOT NULL,
  image_id TEXT NOT NULL,
  checked_at TEXT NOT NULL,
  packages TEXT NOT NULL DEFAULT '[]' CHECK (json_type(packages) = 'array'),
  error TEXT,
  PRIMARY KEY (install_id, service)
) STRICT;
CREATE TABLE auto_updates (
  install_id TEXT PRIMARY KEY NOT NULL REFERENCES installs(id) ON DELETE CASCADE,
  enabled INTEGER NOT NULL CHECK (enabled IN (0, 1)),
  window TEXT NOT NULL,
  last_offer TEXT,
  last_job TEXT,
  last_at TEXT
) STRICT;
`;

// A removed member's data still to delete (issue 14): written in the same transaction as the
// member's removal, one row per place (install, volume, path), dropped once deleted. No foreign
// key to installs: an install uninstalled without purge keeps its volume, and the data in it.
const MEMBER_DATA_PENDING = `
CREATE TABLE member_data_pending (
  id INTEGER PRIMARY KEY,
  member TEXT NOT NULL,
  install_id TEXT NOT NULL,
  service TEXT NOT NULL,
  volume TEXT NOT NULL,
  path TEXT NOT NULL,
  attempts INTEGER NOT NULL DEFAULT 0,
  last_error TEXT,
  created_at TEXT NOT NULL,
  last_attempt_at TEXT,
  next_attempt_at TEXT,
  UNIQUE (member, install_id, volume, path)
) STRICT;
CREATE INDEX member_data_pending_member ON member_data_pending (member);
`;

/** Foyer's migrations, oldest first. Append only. */
export const MIGRATIONS: readonly Migration[] = [
  { version: 1, name: 'installs', up: INSTALLS },
  { version: 2, name: 'accounts', up: ACCOUNTS },
  { version: 3, name: 'jobs and audit log', up: JOBS_AND_AUDIT },
  { version: 4, name: 'pinned definitions', up: PINNED_DEFINITIONS },
  { version: 5, name: 'cancelled jobs', up: JOBS_CANCELLED },
  { version: 6, name: 'backups', up: BACKUPS },
  { version: 7, name: 'updates', up: UPDATES },
  { version: 8, name: 'domain', up: DOMAIN },
  { version: 10, name: 'debian checks and automatic updates', up: AUTO_UPDATES },
  { version: 11, name: 'directory', up: DIRECTORY },
  { version: 12, name: 'openid connect', up: OIDC },
  { version: 13, name: 'app passwords', up: APP_PASSWORDS },
  { version: 14, name: 'pending member data', up: MEMBER_DATA_PENDING },
];

const LEDGER = `
CREATE TABLE IF NOT EXISTS schema_migrations (
  version INTEGER PRIMARY KEY NOT NULL,
  name TEXT NOT NULL,
  applied_at TEXT NOT NULL
) STRICT;
`;

/** Applies the migrations `db` lacks; returns the versions applied now. */
export function migrate(
  db: Database.Database,
  migrations: readonly Migration[] = MIGRATIONS,
  now: () => Date = () => new Date(),
): number[] {
  checkOrder(migrations);
  db.exec(LEDGER);
  const current = schemaVersion(db);
  const known = migrations.at(-1)?.version ?? 0;
  if (current > known) {
    throw new StoreError(
      'STORE_SCHEMA_TOO_NEW',
      `the database ${db.name} has schema version ${current}, written by a newer Foyer; ` +
        `this Foyer knows versions up to ${known}. Upgrade Foyer, or restore a backup made by this version`,
    );
  }
  const record = db.prepare(
    'INSERT INTO schema_migrations (version, name, applied_at) VALUES (?, ?, ?)',
  );
  const applied: number[] = [];
  for (const migration of migrations) {
    if (migration.version <= current) continue;
    // One transaction per migration: a failing step leaves the schema at the previous version.
    db.transaction(() => {
      db.exec(migration.up);
      record.run(migration.version, migration.name, now().toISOString());
    })();
    applied.push(migration.version);
  }
  return applied;
}

/** The newest applied migration's version; 0 for a fresh database. */
export function schemaVersion(db: Database.Database): number {
  const row = db.prepare('SELECT max(version) AS version FROM schema_migrations').get() as {
    version: number | null;
  };
  return row.version ?? 0;
}

/** Versions must be positive integers in strictly increasing order, or a step could be skipped. */
function checkOrder(migrations: readonly Migration[]): void {
  let previous = 0;
  for (const { version, name } of migrations) {
    if (!Number.isInteger(version) || version <= previous) {
      throw new StoreError(
        'STORE_BAD_MIGRATIONS',
        `migration ${version} (${name}) must have an integer version above ${previous}`,
      );
    }
    previous = version;
  }
}
