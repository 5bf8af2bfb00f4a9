/**
 * restic's command lines, built as argument arrays (never a shell string): what each Foyer
 * backup action asks of restic 0.14 (Debian bookworm). Pure, so the unit tier pins every
 * argument, and a name with shell metacharacters stays one argument whatever it holds.
 */
import type { Repository } from './repository.js';

/** Where Foyer keeps the files restic and ssh need, under `$FOYER_DATA_DIR/backup/`. */
export interface ResticPaths {
  cacheDir: string;
  /** Foyer's ed25519 key for SFTP targets. */
  sshKey: string;
  knownHosts: string;
}

export interface Retention {
  daily: number;
  weekly: number;
  monthly: number;
}

/** keep-daily 7 / weekly 4 / monthly 6 (issue 15). */
export const DEFAULT_RETENTION: Retention = { daily: 7, weekly: 4, monthly: 6 };

/**
 * The `sftp.command` restic runs instead of its own `ssh host -s sftp`: Foyer's key, a
 * known_hosts of Foyer's own (a new host is accepted once, a changed one refused), no prompt.
 * restic splits it on blanks honouring double quotes, without a shell.
 */
export function sftpCommand(repo: Extract<Repository, { kind: 'sftp' }>, paths: ResticPaths) {
  return [
    'ssh',
    '-i',
    quote(paths.sshKey),
    '-o',
    'StrictHostKeyChecking=accept-new',
    '-o',
    quote(`UserKnownHostsFile=${paths.knownHosts}`),
    '-o',
    'BatchMode=yes',
    '-o',
    'ConnectTimeout=15',
    '-p',
    String(repo.port),
    `${repo.user}@${repo.host}`,
    '-s',
    'sftp',
  ].join(' ');
}

/** Double quotes for restic's splitter; the paths come from the data dir, never from a request. */
function quote(word: string): string {
  if (/["\\]/.test(word)) throw new Error(`cannot pass ${word} to restic's sftp.command`);
  return /\s/.test(word) ? `"${word}"` : word;
}

/** The options every restic call on this repository starts with. */
export function repositoryArgs(repo: Repository, paths: ResticPaths): string[] {
  const args = ['--repo', repo.url, '--cache-dir', paths.cacheDir];
  if (repo.kind === 'sftp') args.push('--option', `sftp.command=${sftpCommand(repo, paths)}`);
  return args;
}

/** A new repository in format 2 (compressed), never the 0.14 default of 1. */
export const initArgs = () => ['init', '--repository-version', '2'];

/** Opens the repository and reads its config: the password and the reachability check. */
export const openArgs = () => ['cat', 'config'];

/** restic tags are split on commas; keep them to characters that survive that and shells. */
export function tag(key: string, value?: string): string {
  const clean = (text: string) => text.replace(/[^A-Za-z0-9._:+~-]/g, '_');
  return value === undefined ? clean(key) : `${clean(key)}=${clean(value)}`;
}

/** `backup --json` of absolute paths with Foyer's tags; `--` so no path reads as an option. */
export function backupArgs(options: { paths: string[]; tags: string[]; host: string }): string[] {
  return [
    'backup',
    '--json',
    '--host',
    options.host,
    ...options.tags.flatMap((t) => ['--tag', t]),
    '--',
    ...options.paths,
  ];
}

/** Snapshots as JSON, of one tag (an install, or Foyer's state) or all. */
export function snapshotsArgs(filter?: string): string[] {
  return ['snapshots', '--json', ...(filter ? ['--tag', filter] : [])];
}

/** Applies the retention to one tag's snapshots (per install, per Foyer state) and prunes. */
export function forgetArgs(filter: string, retention: Retention): string[] {
  return [
    'forget',
    '--tag',
    filter,
    '--group-by',
    'host',
    '--keep-daily',
    String(retention.daily),
    '--keep-weekly',
    String(retention.weekly),
    '--keep-monthly',
    String(retention.monthly),
    '--prune',
  ];
}

/** Restores a whole snapshot under `target`, where its absolute paths are recreated. */
export function restoreArgs(snapshot: string, target: string): string[] {
  return ['restore', snapshot, '--target', target];
}

/** Reads a subset of the pack files back and checks them (`n/t`, `x%` or a size). */
export function checkArgs(subset: string): string[] {
  if (!/^(?:\d+\/\d+|\d+(?:\.\d+)?%|\d+[KMGT]?)$/.test(subset))
    throw new Error(`"${subset}" is not a --read-data-subset`);
  return ['check', `--read-data-subset=${subset}`];
}

/**
 * The environment restic runs with: the password only here (never an argument, never stdin,
 * which 0.14 also read with --stdin), plus what it needs to find ssh and a home.
 */
export function resticEnv(password: string, base: NodeJS.ProcessEnv = process.env) {
  const env: Record<string, string> = { RESTIC_PASSWORD: password };
  for (const key of ['PATH', 'HOME', 'TMPDIR', 'LANG', 'LC_ALL']) {
    const value = base[key];
    if (value) env[key] = value;
  }
  env.PATH ??= '/usr/sbin:/usr/bin:/sbin:/bin';
  return env;
}
