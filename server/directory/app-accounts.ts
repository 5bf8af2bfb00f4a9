/**
 * Apps that take their accounts from the directory (issue 14; app.yaml `accounts: directory`):
 * mail, chat and calendar check members' names and passwords against slapd instead of an
 * account typed into their settings.
 *
 * For such an app Foyer
 * - makes the install's read-only bind account when it is installed (`ensureBind`, the same
 *   row a first grant makes), so the app can search the directory from its first start; and,
 *   level-triggered, for every such install that has none however its row was made (a backup
 *   restored as a new install, a store from before binds): `ensureDirectoryBinds`;
 * - hands the app interpolation variables (`directoryVariables`): `FOYER_LDAP_URL`,
 *   `FOYER_LDAP_BASE`, `FOYER_LDAP_PEOPLE`, `FOYER_LDAP_BIND_DN`, `FOYER_LDAP_BIND_PASSWORD`
 *   and `FOYER_LDAP_FILTER` (the memberOf clause of members allowed to use the install);
 * - joins every service of the app to the directory's internal network
 *   (`joinDirectoryNetwork`), after the permission gate: it is a network Foyer makes and owns
 *   for exactly this, on which slapd refuses anonymous binds and the app's bind account reads
 *   no password, so declaring `accounts: directory` is the whole request and the admin is
 *   asked nothing more (an `external: true` network in compose.yaml still needs a permission).
 */
import { randomBytes } from 'node:crypto';
import type Database from 'better-sqlite3';
import type { Project } from '../../compose/index.js';
import type { Install, InstallRepository } from '../store/installs.js';
import { hashCrypt } from './crypt.js';
import { accessDn, BASE_DN, bindDn, PEOPLE_DN } from './entries.js';

/** The engine name of the directory's network (install `directory`, network `ldap`). */
export const DIRECTORY_NETWORK = 'directory_ldap';
/** The key the network has in an app's rendered project. */
export const DIRECTORY_NETWORK_KEY = 'foyer-directory';
/** slapd's address on that network (its service name is an alias there). */
export const DIRECTORY_URL = 'ldap://slapd:389';

/** The variables an app with `accounts: directory` may interpolate. */
export function directoryVariables(
  install: string,
  bindPassword: string | undefined,
): Record<string, string> {
  return {
    FOYER_LDAP_URL: DIRECTORY_URL,
    FOYER_LDAP_BASE: BASE_DN,
    FOYER_LDAP_PEOPLE: PEOPLE_DN,
    FOYER_LDAP_BIND_DN: bindDn(install),
    // Empty only while the install is being checked, before its bind account exists.
    FOYER_LDAP_BIND_PASSWORD: bindPassword ?? '',
    FOYER_LDAP_FILTER: `(memberOf=${accessDn(install)})`,
  };
}

/** Adds the directory's network to every service, after the networks the app declares. */
export function joinDirectoryNetwork(project: Project): void {
  project.networks[DIRECTORY_NETWORK_KEY] = {
    name: DIRECTORY_NETWORK,
    external: true,
    driver_opts: {},
    internal: false,
    attachable: false,
    labels: {},
  };
  for (const service of Object.values(project.services)) {
    // A service that shares another's network namespace (or none) gets no network of its own.
    if (service.network_mode !== undefined) continue;
    service.networks[DIRECTORY_NETWORK_KEY] = { aliases: [] };
  }
}

/** The install's bind password, when it has a bind account. */
export function bindPassword(db: Database.Database, install: string): string | undefined {
  const row = db
    .prepare<[string], { password: string }>(
      'SELECT password FROM directory_binds WHERE install_id = ?',
    )
    .get(install);
  return row?.password;
}

/** Makes the install's bind account unless it has one; the install's row must exist. */
export function ensureBind(db: Database.Database, install: string, now = new Date()): void {
  const password = randomBytes(24).toString('base64url');
  db.prepare(
    `INSERT OR IGNORE INTO directory_binds (install_id, password, crypt_hash, created_at)
     VALUES (?, ?, ?, ?)`,
  ).run(install, password, hashCrypt(password), now.toISOString());
}

/**
 * Makes the bind account of every install whose app takes its accounts from the directory and
 * has none, whatever made its row (an install, a restore as a new install, a state restore of
 * an older store), and bumps its generation so its containers are rendered again with the
 * password. Level-triggered and idempotent; returns the installs it made one for.
 */
export function ensureDirectoryBinds(
  db: Database.Database,
  installs: Pick<InstallRepository, 'list' | 'update'>,
  accountsOf: (install: Install) => string | undefined,
  now = new Date(),
): string[] {
  const have = new Set(
    db
      .prepare<[], { install_id: string }>('SELECT install_id FROM directory_binds')
      .all()
      .map((row) => row.install_id),
  );
  const made: string[] = [];
  for (const install of installs.list()) {
    if (have.has(install.id) || install.desired === 'absent') continue;
    if (accountsOf(install) !== 'directory') continue;
    db.transaction(() => {
      ensureBind(db, install.id, now);
      installs.update(install.id, {});
    })();
    made.push(install.id);
  }
  return made;
}
