/**
 * The directory in the store (issue 14, migration 11): members are Foyer's
 * accounts (`users`, so an admin is a member with the admin role and Foyer's
 * own login is a member login), groups, membership, which groups may use
 * which install, one-time set-password links, and the read-only LDAP bind
 * account of each install that uses the directory. The store is the source
 * of truth; slapd is a projection of `snapshot()` (./entries.ts).
 *
 * Passwords are hashed on the way in (argon2id for Foyer, SHA-512 crypt for
 * LDAP) and never come back out; links are kept as their SHA-256 only.
 */
import { randomBytes } from 'node:crypto';
import type Database from 'better-sqlite3';
import { Errors } from '../errors.js';
import { secretHash } from '../store/sessions.js';
import { passwordHashes, type Role } from '../store/users.js';
import { hashCrypt } from './crypt.js';
import type { ImportRow } from './csv.js';
import { displayNameProblem, emailProblem, nameProblem } from './names.js';
import { pendingDataRepository, pendingNameProblem } from './pending-data.js';

export type MemberState = 'active' | 'disabled';

/** A member as the API shows them: never a hash. */
export interface Member {
  name: string;
  displayName: string;
  email: string | null;
  role: Role;
  state: MemberState;
  /** Whether a password is set that the directory can check (a crypt hash is kept). */
  directoryPassword: boolean;
  groups: string[];
  createdAt: string;
  updatedAt: string;
}

export interface Group {
  name: string;
  members: string[];
  /** Installs this group may use. */
  installs: string[];
}

/** What an admin may change of a member; absent fields stay as they are. */
export interface MemberChange {
  displayName?: string;
  email?: string;
  /** The member's groups, all of them (replaces the ones they are in). */
  groups?: string[];
}

export interface NewMember {
  name: string;
  email: string;
  displayName?: string;
  role?: Role;
  /** Absent: the member sets one through a one-time link. */
  password?: string;
  groups?: string[];
}

/** A member as the directory projects them into LDAP. */
export interface DirectorySnapshotMember {
  name: string;
  displayName: string;
  email: string | null;
  state: MemberState;
  cryptHash: string | null;
  /** Two-step verification on: the main password opens no door that cannot ask for a code. */
  totpEnabled: boolean;
  /** The crypt hashes of the member's app passwords (server/store/app-passwords.ts). */
  appCryptHashes: string[];
}

/** What the directory projects into LDAP: only members whose name is a valid directory name. */
export interface DirectorySnapshot {
  members: DirectorySnapshotMember[];
  groups: { name: string; members: string[] }[];
  /** Per install, the groups that may use it. */
  access: { install: string; groups: string[] }[];
  /** Per install that uses the directory, its bind account's crypt hash. */
  binds: { install: string; cryptHash: string }[];
}

/** How long a set-password link works. */
export const LINK_TTL_MS = 7 * 24 * 3600 * 1000;

interface MemberRow {
  id: number;
  username: string;
  display_name: string;
  email: string | null;
  role: Role;
  state: MemberState;
  crypt_hash: string | null;
  created_at: string;
  updated_at: string;
}

export interface MemberRepository {
  list(): Member[];
  get(name: string): Member | undefined;
  add(member: NewMember): Promise<Member>;
  setPassword(name: string, password: string): Promise<void>;
  setState(name: string, state: MemberState): Member;
  /** Changes display name, email or groups at once, or nothing when one is refused (BadRequest, by field). */
  update(name: string, change: MemberChange): Member;
  remove(name: string): void;
  /** Adds every row or none (one transaction); returns each new member's set-password link token. */
  importRows(rows: ImportRow[], file: string): { name: string; token: string }[];
  /** A new one-time set-password link token for the member (earlier ones stop working). */
  createLink(name: string): string;
  /** Sets the password of the link's member and spends the link; undefined if unknown or expired. */
  useLink(token: string, password: string): Promise<Member | undefined>;
  listGroups(): Group[];
  addGroup(name: string): Group;
  grant(install: string, group: string): void;
  revoke(install: string, group: string): void;
  /** The groups allowed to use the install. */
  access(install: string): string[];
  snapshot(): DirectorySnapshot;
}

/** The members repository over an open, migrated database. */
export function membersRepository(
  db: Database.Database,
  now: () => Date = () => new Date(),
): MemberRepository {
  const cols = 'id, username, display_name, email, role, state, crypt_hash, created_at, updated_at';
  const selectAll = db.prepare<[], MemberRow>(`SELECT ${cols} FROM users ORDER BY username`);
  const selectOne = db.prepare<[string], MemberRow>(`SELECT ${cols} FROM users WHERE username = ?`);
  const selectEmail = db.prepare<[string], { username: string }>(
    'SELECT username FROM users WHERE email = ? COLLATE NOCASE',
  );
  const selectMemberships = db.prepare<[], { username: string; name: string }>(
    `SELECT u.username, g.name FROM group_members m
     JOIN users u ON u.id = m.user_id JOIN member_groups g ON g.id = m.group_id ORDER BY g.name`,
  );
  const insertMember = db.prepare(
    `INSERT INTO users (username, password_hash, crypt_hash, role, email, display_name, created_at, updated_at)
     VALUES (?, ?, ?, ?, ?, ?, ?, ?)`,
  );
  const updateHashes = db.prepare(
    'UPDATE users SET password_hash = ?, crypt_hash = ?, updated_at = ? WHERE id = ?',
  );
  const updateState = db.prepare('UPDATE users SET state = ?, updated_at = ? WHERE id = ?');
  const deleteSessions = db.prepare('DELETE FROM sessions WHERE user_id = ?');
  const deleteUser = db.prepare('DELETE FROM users WHERE id = ?');
  const updateProfile = db.prepare(
    'UPDATE users SET display_name = ?, email = ?, updated_at = ? WHERE id = ?',
  );
  const deleteMemberships = db.prepare('DELETE FROM group_members WHERE user_id = ?');
  const selectGroup = db.prepare<[string], { id: number; name: string }>(
    'SELECT id, name FROM member_groups WHERE name = ?',
  );
  const selectGroups = db.prepare<[], { id: number; name: string }>(
    'SELECT id, name FROM member_groups ORDER BY name',
  );
  const insertGroup = db.prepare('INSERT INTO member_groups (name, created_at) VALUES (?, ?)');
  const insertMembership = db.prepare(
    'INSERT OR IGNORE INTO group_members (group_id, user_id) VALUES (?, ?)',
  );
  const selectAccess = db.prepare<[], { install_id: string; name: string }>(
    `SELECT a.install_id, g.name FROM install_access a JOIN member_groups g ON g.id = a.group_id
     ORDER BY a.install_id, g.name`,
  );
  const selectInstall = db.prepare<[string], { id: string }>(
    'SELECT id FROM installs WHERE id = ?',
  );
  const insertAccess = db.prepare(
    'INSERT OR IGNORE INTO install_access (install_id, group_id) VALUES (?, ?)',
  );
  const deleteAccess = db.prepare(
    'DELETE FROM install_access WHERE install_id = ? AND group_id = ?',
  );
  const selectDoorKeys = db.prepare<
    [],
    { username: string; totp_enabled: number; crypt_hash: string | null }
  >(
    `SELECT u.username, u.totp_enabled, a.crypt_hash FROM users u
     LEFT JOIN app_passwords a ON a.user_id = u.id ORDER BY u.id, a.id`,
  );
  const selectBinds = db.prepare<[], { install_id: string; crypt_hash: string }>(
    'SELECT install_id, crypt_hash FROM directory_binds ORDER BY install_id',
  );
  const insertBind = db.prepare(
    `INSERT OR IGNORE INTO directory_binds (install_id, password, crypt_hash, created_at)
     VALUES (?, ?, ?, ?)`,
  );
  const deleteLinks = db.prepare('DELETE FROM password_links WHERE user_id = ?');
  const insertLink = db.prepare(
    'INSERT INTO password_links (token_hash, user_id, created_at, expires_at) VALUES (?, ?, ?, ?)',
  );
  const selectLink = db.prepare<[string], { user_id: number; expires_at: string }>(
    'SELECT user_id, expires_at FROM password_links WHERE token_hash = ?',
  );
  const selectById = db.prepare<[number], MemberRow>(`SELECT ${cols} FROM users WHERE id = ?`);
  const pending = pendingDataRepository(db, now);

  const groupsOf = () => {
    const map = new Map<string, string[]>();
    for (const { username, name } of selectMemberships.all()) {
      map.set(username, [...(map.get(username) ?? []), name]);
    }
    return map;
  };
  const toMember = (row: MemberRow, groups: Map<string, string[]>): Member => ({
    name: row.username,
    displayName: row.display_name,
    email: row.email,
    role: row.role,
    state: row.state,
    directoryPassword: row.crypt_hash !== null,
    groups: groups.get(row.username) ?? [],
    createdAt: row.created_at,
    updatedAt: row.updated_at,
  });
  const row = (name: string) => {
    const found = selectOne.get(name);
    if (!found) throw new Errors.NotFound(`no member "${name}"`);
    return found;
  };
  const group = (name: string) => {
    const found = selectGroup.get(name);
    if (!found)
      throw new Errors.NotFound(`no group "${name}"; add it with foyer groups add ${name}`);
    return found;
  };
  /** The problems of a new member against the rules and the store, each prefixed by `at`. */
  const problemsOf = (m: {
    name: string;
    email: string;
    displayName: string;
    groups: string[];
  }) => {
    const problems: string[] = [];
    const why = nameProblem(m.name);
    if (why) problems.push(`name: ${why}`);
    else if (selectOne.get(m.name)) problems.push(`name: "${m.name}" is taken`);
    else {
      // A name whose former member's data is still to delete is not free (pending-data.ts).
      const waiting = pendingNameProblem(pending.forMember(m.name), m.name);
      if (waiting) problems.push(`name: ${waiting}`);
    }
    const emailWhy = emailProblem(m.email);
    if (emailWhy) problems.push(`email: ${emailWhy}`);
    else {
      const owner = selectEmail.get(m.email);
      if (owner) problems.push(`email: "${m.email}" is ${owner.username}'s already`);
    }
    const displayWhy = displayNameProblem(m.displayName);
    if (displayWhy) problems.push(`display_name: ${displayWhy}`);
    for (const g of m.groups) {
      if (!selectGroup.get(g)) problems.push(`groups: no group "${g}"`);
    }
    return problems;
  };
  const insertRow = (
    m: { name: string; email: string; displayName: string; role: Role; groups: string[] },
    hashes: { argon2: string; crypt: string | null },
  ) => {
    const at = now().toISOString();
    const id = Number(
      insertMember.run(m.name, hashes.argon2, hashes.crypt, m.role, m.email, m.displayName, at, at)
        .lastInsertRowid,
    );
    for (const g of m.groups) insertMembership.run(group(g).id, id);
    return id;
  };
  const makeLink = (userId: number) => {
    const token = randomBytes(32).toString('base64url');
    const at = now();
    deleteLinks.run(userId);
    insertLink.run(
      secretHash(token),
      userId,
      at.toISOString(),
      new Date(at.getTime() + LINK_TTL_MS).toISOString(),
    );
    return token;
  };
  const importAll = db.transaction((rows: ImportRow[], file: string, argon2: string) => {
    const problems: string[] = [];
    for (const r of rows) {
      for (const p of problemsOf(r)) problems.push(`${file}:${r.line}: ${p}`);
    }
    if (problems.length > 0) throw new Errors.BadRequest(problems.join('\n'));
    return rows.map((r) => {
      const id = insertRow({ ...r, role: 'member' }, { argon2, crypt: null });
      return { name: r.name, token: makeLink(id) };
    });
  });

  const repo: MemberRepository = {
    list() {
      const groups = groupsOf();
      return selectAll.all().map((r) => toMember(r, groups));
    },
    get(name) {
      const found = selectOne.get(name);
      return found ? toMember(found, groupsOf()) : undefined;
    },
    async add(m) {
      const fields = {
        name: m.name,
        email: m.email,
        displayName: m.displayName ?? '',
        role: m.role ?? 'member',
        groups: [...new Set(m.groups ?? [])],
      };
      const hashes =
        m.password === undefined
          ? { argon2: placeholderArgon2, crypt: null }
          : await passwordHashes(m.password);
      // Checked after hashing, in the same synchronous step as the insert: no race in between.
      const problems = problemsOf(fields);
      if (problems.length > 0) {
        const taken = problems.some(
          (p) =>
            p.endsWith('is taken') || p.includes('already') || p.includes('still being deleted'),
        );
        const message = problems.join('; ');
        throw taken ? new Errors.Conflict(message) : new Errors.BadRequest(message);
      }
      db.transaction(() => insertRow(fields, hashes))();
      return repo.get(m.name)!;
    },
    async setPassword(name, password) {
      const id = row(name).id;
      const hashes = await passwordHashes(password);
      updateHashes.run(hashes.argon2, hashes.crypt, now().toISOString(), id);
    },
    setState(name, state) {
      const { id } = row(name);
      db.transaction(() => {
        updateState.run(state, now().toISOString(), id);
        if (state === 'disabled') deleteSessions.run(id);
      })();
      return repo.get(name)!;
    },
    update(name, change) {
      const current = row(name);
      const problems: string[] = [];
      const email = change.email ?? current.email;
      if (change.email !== undefined) {
        const why = emailProblem(change.email);
        const owner = why ? undefined : selectEmail.get(change.email);
        if (why) problems.push(`email: ${why}`);
        else if (owner && owner.username !== name) {
          problems.push(`email: "${change.email}" is ${owner.username}'s already`);
        }
      }
      const displayName = change.displayName ?? current.display_name;
      const displayWhy = displayNameProblem(displayName);
      if (displayWhy) problems.push(`display_name: ${displayWhy}`);
      const groups = change.groups ? [...new Set(change.groups)] : undefined;
      for (const g of groups ?? []) {
        if (!selectGroup.get(g)) problems.push(`groups: no group "${g}"`);
      }
      if (problems.length > 0) throw new Errors.BadRequest(problems.join('; '));
      db.transaction(() => {
        updateProfile.run(displayName, email, now().toISOString(), current.id);
        if (groups) {
          deleteMemberships.run(current.id);
          for (const g of groups) insertMembership.run(group(g).id, current.id);
        }
      })();
      return repo.get(name)!;
    },
    remove(name) {
      deleteUser.run(row(name).id);
    },
    importRows(rows, file) {
      return importAll.immediate(rows, file, placeholderArgon2);
    },
    createLink(name) {
      return makeLink(row(name).id);
    },
    async useLink(token, password) {
      const found = selectLink.get(secretHash(token));
      if (!found || Date.parse(found.expires_at) <= now().getTime()) return undefined;
      const hashes = await passwordHashes(password);
      // Spent and used in one step: a second use of the same link finds nothing.
      const spent = db.transaction(() => {
        if (!selectLink.get(secretHash(token))) return false;
        deleteLinks.run(found.user_id);
        updateHashes.run(hashes.argon2, hashes.crypt, now().toISOString(), found.user_id);
        return true;
      })();
      if (!spent) return undefined;
      const member = selectById.get(found.user_id);
      return member ? toMember(member, groupsOf()) : undefined;
    },
    listGroups() {
      const members = new Map<string, string[]>();
      for (const { username, name } of selectMemberships.all()) {
        members.set(name, [...(members.get(name) ?? []), username]);
      }
      const installs = new Map<string, string[]>();
      for (const { install_id, name } of selectAccess.all()) {
        installs.set(name, [...(installs.get(name) ?? []), install_id]);
      }
      return selectGroups.all().map((g) => ({
        name: g.name,
        members: (members.get(g.name) ?? []).sort(),
        installs: installs.get(g.name) ?? [],
      }));
    },
    addGroup(name) {
      const why = nameProblem(name);
      if (why) throw new Errors.BadRequest(`name: ${why}`);
      if (selectGroup.get(name)) throw new Errors.Conflict(`group "${name}" exists`);
      insertGroup.run(name, now().toISOString());
      return { name, members: [], installs: [] };
    },
    grant(install, groupName) {
      if (!selectInstall.get(install)) throw new Errors.InstallNotFound(install);
      const g = group(groupName);
      db.transaction(() => {
        insertAccess.run(install, g.id);
        // The install's read-only bind account, made once; apps read the password from the store.
        const password = randomBytes(24).toString('base64url');
        insertBind.run(install, password, hashCrypt(password), now().toISOString());
      })();
    },
    revoke(install, groupName) {
      if (!selectInstall.get(install)) throw new Errors.InstallNotFound(install);
      deleteAccess.run(install, group(groupName).id);
    },
    access(install) {
      return selectAccess
        .all()
        .filter((a) => a.install_id === install)
        .map((a) => a.name);
    },
    snapshot() {
      const groups = repo.listGroups();
      const accessMap = new Map<string, string[]>();
      for (const { install_id, name } of selectAccess.all()) {
        accessMap.set(install_id, [...(accessMap.get(install_id) ?? []), name]);
      }
      const doors = new Map<string, { totpEnabled: boolean; appCryptHashes: string[] }>();
      for (const row of selectDoorKeys.all()) {
        const door = doors.get(row.username) ?? {
          totpEnabled: row.totp_enabled === 1,
          appCryptHashes: [],
        };
        if (row.crypt_hash !== null) door.appCryptHashes.push(row.crypt_hash);
        doors.set(row.username, door);
      }
      return {
        members: selectAll
          .all()
          .filter((r) => nameProblem(r.username) === undefined)
          .map((r) => ({
            name: r.username,
            displayName: r.display_name,
            email: r.email,
            state: r.state,
            cryptHash: r.crypt_hash,
            totpEnabled: doors.get(r.username)?.totpEnabled ?? false,
            appCryptHashes: doors.get(r.username)?.appCryptHashes ?? [],
          })),
        groups: groups.map((g) => ({ name: g.name, members: g.members })),
        access: [...accessMap].map(([install, gs]) => ({ install, groups: gs })),
        binds: selectBinds.all().map((b) => ({ install: b.install_id, cryptHash: b.crypt_hash })),
      };
    },
  };
  return repo;
}

// Imported members sign in only after setting a password through their link: until then their
// argon2 hash is of random bytes nobody holds (made once per process), and they have no crypt hash.
const placeholderArgon2 = `$argon2id$v=19$m=19456,t=2,p=1$${randomBytes(16).toString('base64').replace(/=+$/, '')}$${randomBytes(32).toString('base64').replace(/=+$/, '')}`;
