/**
 * The password check of the doors that cannot ask for a two-step code (issue 14's known gap):
 * the edge's HTTP Basic check here, and slapd by the `userPassword` values the directory sync
 * gives it (server/directory/entries.ts), under one rule: a member with two-step verification
 * on gets in only with an app password; with it off, with their password or an app password.
 * Foyer's own sign-in does not come here: it takes the main password and the code, never an
 * app password.
 */
import { createHash } from 'node:crypto';
import type { AppPasswordRepository } from '../store/app-passwords.js';
import type { User, UserRepository } from '../store/users.js';

export interface DoorAccounts {
  users: UserRepository;
  appPasswords: AppPasswordRepository;
}

/** The active member `password` opens a door for, by the rule above; else undefined. */
export async function verifyDoorPassword(
  { users, appPasswords }: DoorAccounts,
  name: string,
  password: string,
): Promise<User | undefined> {
  // The main password is checked for everyone (an unknown name takes one argon2 verification
  // all the same), so the time taken tells neither names nor who has two-step verification on;
  // for those who have, it opens nothing. A right one gives the user as read just now; only a
  // wrong one (or a disabled member) needs them read here.
  const byPassword = await users.verifyPassword(name, password);
  const user = byPassword ?? users.getByUsername(name);
  if (!user) return undefined;
  if (byPassword && !user.totpEnabled) return byPassword;
  if (user.state !== 'active') return undefined;
  return (await appPasswords.match(user.id, password)) === undefined ? undefined : user;
}

/**
 * What a remembered success is tied to: the hashes that open the door for the member now (the
 * main one only while two-step verification is off). A new password, a revoked app password or
 * turning two-step verification on changes it, so the next request is checked afresh.
 */
export function doorHashes(
  { users, appPasswords }: DoorAccounts,
  name: string,
): string | undefined {
  const user = users.getByUsername(name);
  const main = users.passwordHash(name);
  if (!user || main === undefined) return undefined;
  // A digest, so a remembered success holds 43 characters, not up to 21 argon2 hashes.
  return createHash('sha256')
    .update([user.totpEnabled ? '' : main, ...appPasswords.hashes(user.id)].join('\n'))
    .digest('base64url');
}
