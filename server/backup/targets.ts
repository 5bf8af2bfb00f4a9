/**
 * Adding a backup target (issue 15): a repository made fresh with `--repository-version 2` and
 * a password Foyer generates — or, given a password, an existing repository opened with it.
 * A target that cannot be reached or a wrong password is reported in restic's words and leaves
 * nothing behind: init only into a fresh location, and what a failed init wrote into a local
 * folder is removed. SFTP targets use an ed25519 key Foyer makes once in its data dir.
 */
import { execFile } from 'node:child_process';
import { randomBytes } from 'node:crypto';
import { existsSync, mkdirSync, readdirSync, readFileSync, rmSync } from 'node:fs';
import { join } from 'node:path';
import { promisify } from 'node:util';
import { checkName, parseRepository, type Repository, TargetInputError } from './repository.js';
import { restic } from './restic.js';
import { initArgs, openArgs, type ResticPaths } from './restic-args.js';
import type { BackupStore, Target } from './store.js';

/** The folder of Foyer's backup files (key, known hosts, cache, staging). */
export function backupDir(dataDir: string): string {
  return join(dataDir, 'backup');
}

export function resticPaths(dataDir: string): ResticPaths {
  const dir = backupDir(dataDir);
  return {
    cacheDir: join(dir, 'cache'),
    sshKey: join(dir, 'ssh', 'id_ed25519'),
    knownHosts: join(dir, 'ssh', 'known_hosts'),
  };
}

/** What restic needs to reach target `name`: its repository, password and Foyer's folders. */
export function targetCall(
  ctx: { dataDir: string; backups: Pick<BackupStore, 'target' | 'password'> },
  name: string,
) {
  const target = ctx.backups.target(name);
  if (!target) throw new Error(`no backup target "${name}"`);
  return {
    repo: parseRepository(target.repository),
    password: ctx.backups.password(target.name),
    paths: resticPaths(ctx.dataDir),
  };
}

/** Foyer's SSH public key for SFTP targets, made on first use (ssh-keygen, no passphrase). */
export async function sshPublicKey(dataDir: string): Promise<string> {
  const { sshKey } = resticPaths(dataDir);
  if (!existsSync(sshKey)) {
    mkdirSync(join(backupDir(dataDir), 'ssh'), { recursive: true, mode: 0o700 });
    await promisify(execFile)('ssh-keygen', [
      '-q',
      '-t',
      'ed25519',
      '-N',
      '',
      '-C',
      'foyer-backup',
      '-f',
      sshKey,
    ]);
  }
  return readFileSync(`${sshKey}.pub`, 'utf8').trim();
}

/** A repository password: 32 random bytes, base64url (no character a shell or URL minds). */
export function generatePassword(): string {
  return randomBytes(32).toString('base64url');
}

/** The recovery kit: everything needed to get the data back on a new box, shown once. */
export function recoveryKit(target: Target, password: string): string {
  return [
    'FOYER BACKUP RECOVERY KIT',
    '',
    `Target:      ${target.name}`,
    `Repository:  ${target.repository}`,
    `Password:    ${password}`,
    `Created:     ${target.createdAt}`,
    '',
    'Keep this somewhere safe and away from this box (printed, or in a password manager).',
    'Without this password the backups in this repository cannot be read by anyone —',
    'not by you, not by Foyer. Foyer will not show it again.',
    '',
    'To restore on a new box (a fresh data folder; the old box switched off):',
    '  1. Install Foyer and restic (apt-get install restic) and start Foyer (foyer serve).',
    `  2. foyer backup target add ${target.name} ${target.repository} --password-stdin`,
    '     and paste the password above.',
    '  3. foyer restore --state --apps --wait',
    "     puts back Foyer's own state from the newest backup of everything (installs with",
    '     their settings and secrets, members, domain, backup targets, audit log, the',
    "     edge's certificates), restarts Foyer on it, then restores every app's data.",
    "  4. Sign in with the old box's admin account and password.",
    '  (Without --apps: foyer restore <install> for each app, when you choose.)',
    '',
    'With restic alone: RESTIC_PASSWORD=<password> restic -r <repository> snapshots',
    '',
  ].join('\n');
}

export interface AddTargetContext {
  dataDir: string;
  store: BackupStore;
}

/** Raised when restic refused the target; the message is restic's, prefixed with what failed. */
export class TargetError extends Error {}

/**
 * Adds a target: checks the name and repository, then inits a fresh repository (no password
 * given) or opens an existing one (password given). Stored only once restic agreed.
 */
export async function addTarget(
  ctx: AddTargetContext,
  input: { name: string; repository: string; password?: string },
): Promise<{ target: Target; recoveryKit?: string; publicKey?: string }> {
  const name = checkName(input.name);
  const repo = parseRepository(input.repository);
  if (ctx.store.target(name))
    throw new TargetInputError('name', `a target "${name}" exists already`);
  const paths = resticPaths(ctx.dataDir);
  mkdirSync(paths.cacheDir, { recursive: true, mode: 0o700 });
  const publicKey = repo.kind === 'sftp' ? await sshPublicKey(ctx.dataDir) : undefined;
  const hint = publicKey
    ? `\nFoyer's public key, to add to ~/.ssh/authorized_keys of ${repo.kind === 'sftp' ? repo.user : ''} on the server:\n${publicKey}`
    : '';
  if (input.password !== undefined) {
    try {
      await restic({ repo, password: input.password, paths, args: openArgs() });
    } catch (error) {
      throw new TargetError(`cannot open ${repo.url}: ${(error as Error).message}${hint}`);
    }
    const target = ctx.store.addTarget({ name, repository: repo.url, password: input.password });
    return { target, publicKey };
  }
  const password = generatePassword();
  await initFresh(repo, password, paths, hint);
  const target = ctx.store.addTarget({ name, repository: repo.url, password });
  return { target, recoveryKit: recoveryKit(target, password), publicKey };
}

/**
 * `restic init` into a fresh location only: a local folder must be absent or empty (restic
 * itself refuses a location with a config). What a failed init wrote locally is removed.
 */
async function initFresh(
  repo: Repository,
  password: string,
  paths: ResticPaths,
  hint: string,
): Promise<void> {
  let existed = false;
  if (repo.kind === 'local' && existsSync(repo.path)) {
    existed = true;
    if (readdirSync(repo.path).length > 0)
      throw new TargetError(
        `${repo.path} is not empty; give an empty or new folder, or add an existing repository with its password (--password-stdin)`,
      );
  }
  try {
    await restic({ repo, password, paths, args: initArgs() });
  } catch (error) {
    if (repo.kind === 'local') {
      if (existed)
        for (const entry of readdirSync(repo.path))
          rmSync(join(repo.path, entry), { recursive: true, force: true });
      else rmSync(repo.path, { recursive: true, force: true });
    }
    throw new TargetError(
      `cannot create a repository at ${repo.url}: ${(error as Error).message}${hint}`,
    );
  }
}
