/**
 * The users repository (migration 2, `users`). Password hashes are argon2id
 * (DESIGN.md "Security") and never leave this module: rows come back without
 * them, and checking a password goes through `verifyPassword`. The TOTP
 * secret is read only with `totpSecret(id)`, so a route that returns users
 * cannot leak it by accident.
 */
import { randomBytes } from 'node:crypto';
import type { Algorithm } from '@node-rs/argon2';
import type Database from 'better-sqlite3';
import { hashCrypt } from '../directory/crypt.js';

/** What a user may do: admins manage users and the box, members use it. */
export type Role = 'admin' | 'member';

/** A user as the API may see it: no hash, no TOTP secret. */
export interface User {
  id: number;
  username: string;
  role: Role;
  /** A disabled account (a member an admin disabled) cannot sign in anywhere. */
  state: 'active' | 'disabled';
  totpEnabled: boolean;
  /** ISO 8601 timestamps. */
  createdAt: string;
  updatedAt: string;
}

/** The fields of a new user; the password is hashed before it is stored. */
export interface NewUser {
  username: string;
  password: string;
  role: Role;
}

/** Reads and writes users; passwords only ever as argon2id hashes. */
export interface UserRepository {
  get(id: number): User | undefined;
  /** Usernames compare case-insensitively (the column is COLLATE NOCASE). */
  getByUsername(username: string): User | undefined;
  list(): User[];
  count(): number;
  /** Adds a user; throws a SqliteError with a UNIQUE constraint code on a taken username. */
  create(user: NewUser): Promise<User>;
  /** Adds the first user, an admin, only while there is none; undefined when one exists already. */
  createFirstAdmin(username: string, password: string): Promise<User | undefined>;
  /** The user when the password is theirs; takes as long for a username that does not exist. */
  verifyPassword(username: string, password: string): Promise<User | undefined>;
  updatePassword(id: number, password: string): Promise<void>;
  /**
   * The stored argon2 hash of the user's password: what a remembered check is tied to, so a
   * new password (a new salt) forgets it (server/auth/basic-check.ts). Never leaves the daemon.
   */
  passwordHash(username: string): string | undefined;
  /** Stores a new secret with TOTP off (set-up pending), or clears it with null. */
  setTotpSecret(id: number, secret: string | null): void;
  setTotpEnabled(id: number, enabled: boolean): void;
  /** The stored TOTP secret (base32), enabled or pending. */
  totpSecret(id: number): string | undefined;
  /** Removes the user with their sessions and tokens (ON DELETE CASCADE); false if none. */
  delete(id: number): boolean;
}

interface UserRow {
  id: number;
  username: string;
  role: Role;
  state: 'active' | 'disabled';
  totp_enabled: number;
  created_at: string;
  updated_at: string;
}

const COLUMNS = 'id, username, role, state, totp_enabled, created_at, updated_at';

// `Algorithm` is an ambient const enum, which verbatimModuleSyntax cannot read at run time;
// 2 is its Argon2id member (RFC 9106's recommended variant).
const ARGON2ID: Algorithm = 2;

/** Hashes a password with argon2id at the library's defaults (19 MiB, 2 passes). */
export async function hashPassword(password: string): Promise<string> {
  const { hash } = await argon2();
  return hash(password, { algorithm: ARGON2ID });
}

/** The two hashes of one password: argon2id for Foyer's login, SHA-512 crypt for the directory. */
export interface PasswordHashes {
  argon2: string;
  crypt: string;
}

/** Both hashes a password is kept as (DESIGN.md "Core services": slapd verifies only the second). */
export async function passwordHashes(password: string): Promise<PasswordHashes> {
  return { argon2: await hashPassword(password), crypt: hashCrypt(password) };
}

/** The native argon2 module, loaded on first use: ~5 MiB the daemon only needs at a login. */
function argon2() {
  return import('@node-rs/argon2');
}

async function verify(hashed: string, password: string): Promise<boolean> {
  return (await argon2()).verify(hashed, password);
}

/** The users repository over an open, migrated database. */
export function usersRepository(
  db: Database.Database,
  now: () => Date = () => new Date(),
): UserRepository {
  const selectById = db.prepare<[number], UserRow>(`SELECT ${COLUMNS} FROM users WHERE id = ?`);
  const selectByName = db.prepare<[string], UserRow>(
    `SELECT ${COLUMNS} FROM users WHERE username = ?`,
  );
  const selectAll = db.prepare<[], UserRow>(`SELECT ${COLUMNS} FROM users ORDER BY id`);
  const selectCount = db.prepare<[], { n: number }>('SELECT count(*) AS n FROM users');
  const selectHash = db.prepare<
    [string],
    { id: number; password_hash: string; state: string; crypt_hash: string | null }
  >('SELECT id, password_hash, state, crypt_hash FROM users WHERE username = ?');
  const setCrypt = db.prepare<[string, number], void>(
    'UPDATE users SET crypt_hash = ? WHERE id = ? AND crypt_hash IS NULL',
  );
  const selectSecret = db.prepare<[number], { totp_secret: string | null }>(
    'SELECT totp_secret FROM users WHERE id = ?',
  );
  const insert = db.prepare<[string, string, string, Role, string, string], void>(
    `INSERT INTO users (username, password_hash, crypt_hash, role, created_at, updated_at)
     VALUES (?, ?, ?, ?, ?, ?)`,
  );
  const updateHash = db.prepare<[string, string, string, number], void>(
    'UPDATE users SET password_hash = ?, crypt_hash = ?, updated_at = ? WHERE id = ?',
  );
  const updateSecret = db.prepare<[string | null, string, number], void>(
    'UPDATE users SET totp_secret = ?, totp_enabled = 0, updated_at = ? WHERE id = ?',
  );
  const updateEnabled = db.prepare<[number, string, number], void>(
    'UPDATE users SET totp_enabled = ?, updated_at = ? WHERE id = ?',
  );
  const remove = db.prepare<[number], void>('DELETE FROM users WHERE id = ?');

  const get = (id: number) => fromRow(selectById.get(id));
  const insertUser = (username: string, hashes: PasswordHashes, role: Role): User => {
    const at = now().toISOString();
    const id = Number(
      insert.run(username, hashes.argon2, hashes.crypt, role, at, at).lastInsertRowid,
    );
    return get(id)!;
  };
  // IMMEDIATE takes the write lock before the count, so two racing set-ups (even from two
  // processes sharing the file) cannot both see an empty table.
  const insertIfEmpty = db.transaction((username: string, hashes: PasswordHashes) =>
    selectCount.get()!.n > 0 ? undefined : insertUser(username, hashes, 'admin'),
  );
  // A hash of a random password, verified against when the username is unknown, so the answer
  // takes one argon2 verification either way and its timing does not tell usernames apart.
  // Made at the first login for an unknown name, not at start (argon2 loads lazily).
  let dummyHash: Promise<string> | undefined;

  return {
    get,
    getByUsername: (username) => fromRow(selectByName.get(username)),
    list: () => selectAll.all().map((row) => fromRow(row)!),
    count: () => selectCount.get()!.n,
    async create(user) {
      return insertUser(user.username, await passwordHashes(user.password), user.role);
    },
    async createFirstAdmin(username, password) {
      return insertIfEmpty.immediate(username, await passwordHashes(password));
    },
    async verifyPassword(username, password) {
      const row = selectHash.get(username);
      if (!row) {
        dummyHash ??= hashPassword(randomBytes(32).toString('base64url'));
        await verify(await dummyHash, password);
        return undefined;
      }
      if (!(await verify(row.password_hash, password))) return undefined;
      // Accounts made before the directory have no crypt hash for LDAP: the first sign-in adds it.
      if (row.crypt_hash === null) setCrypt.run(hashCrypt(password), row.id);
      return row.state === 'active' ? get(row.id) : undefined;
    },
    async updatePassword(id, password) {
      const hashes = await passwordHashes(password);
      updateHash.run(hashes.argon2, hashes.crypt, now().toISOString(), id);
    },
    passwordHash: (username) => selectHash.get(username)?.password_hash,
    setTotpSecret(id, secret) {
      updateSecret.run(secret, now().toISOString(), id);
    },
    setTotpEnabled(id, enabled) {
      updateEnabled.run(enabled ? 1 : 0, now().toISOString(), id);
    },
    totpSecret: (id) => selectSecret.get(id)?.totp_secret ?? undefined,
    delete: (id) => remove.run(id).changes > 0,
  };
}

function fromRow(row: UserRow | undefined): User | undefined {
  if (!row) return undefined;
  return {
    id: row.id,
    username: row.username,
    role: row.role,
    state: row.state,
    totpEnabled: row.totp_enabled === 1,
    createdAt: row.created_at,
    updatedAt: row.updated_at,
  };
}
