/**
 * What the Backups screen and the app page make of the backup API's answers (issue 15): the
 * kind of repository a person is typing, the snapshots grouped per app, an install's last
 * verified restore, and a job's step text as a message key. Pure (no i18n, no state), so the
 * unit tier checks it.
 */
import type { Install, Snapshot, VerifiedRestore } from './types.ts';

export type RepositoryKind = 'local' | 'sftp' | 'rest';

/** The kind of restic repository `input` names, as the daemon reads it; undefined while unclear. */
export function repositoryKind(input: string): RepositoryKind | undefined {
  const value = input.trim();
  if (value.startsWith('/')) return 'local';
  if (/^sftp:/i.test(value)) return 'sftp';
  if (/^rest:/i.test(value)) return 'rest';
  return undefined;
}

/** The file name the recovery kit of target `name` downloads as. */
export function kitFileName(name: string): string {
  return `foyer-recovery-kit-${name.replace(/[^a-z0-9-]/gi, '-')}.txt`;
}

/** Snapshots by install id, newest first (as the API lists them); Foyer's own state under ''. */
export function snapshotsByInstall(snapshots: Snapshot[]): Map<string, Snapshot[]> {
  const groups = new Map<string, Snapshot[]>();
  for (const snapshot of snapshots) {
    const key = snapshot.state ? '' : (snapshot.install ?? '');
    if (!snapshot.state && !snapshot.install) continue;
    const list = groups.get(key) ?? [];
    list.push(snapshot);
    groups.set(key, list);
  }
  return groups;
}

/**
 * An install's last verified restore: the install view's `lastVerifiedRestore` once the daemon
 * sends it, else the snapshot of that install most recently restored as a test (`verifiedAt`).
 * Null when none ever was.
 */
export function lastVerifiedRestore(
  install: Pick<Install, 'id'> & { lastVerifiedRestore?: VerifiedRestore | null },
  snapshots: Snapshot[],
): VerifiedRestore | null {
  if (install.lastVerifiedRestore !== undefined) return install.lastVerifiedRestore;
  let newest: Snapshot | undefined;
  for (const s of snapshots) {
    if (s.install !== install.id || s.state || !s.verifiedAt) continue;
    if (!newest || s.verifiedAt > (newest.verifiedAt ?? '')) newest = s;
  }
  if (!newest?.verifiedAt) return null;
  return {
    at: newest.verifiedAt,
    ok: newest.verified === true,
    snapshot: newest.shortId,
    note: '',
  };
}

/** A message key of the `backup.step.*` family and its values, from the daemon's step text. */
export interface StepWords {
  key:
    | 'backup.step.backup'
    | 'backup.step.state'
    | 'backup.step.check'
    | 'backup.step.scratch'
    | 'backup.step.undo'
    | 'backup.step.restore'
    | 'backup.step.volumes'
    | 'backup.step.starting';
  vars: Record<string, string>;
}

/**
 * The step texts server/backup/service.ts and restore.ts write, as messages people read in
 * their language; undefined for a text not known here (shown as the daemon wrote it).
 */
export function stepWords(text: string): StepWords | undefined {
  let m = /^Foyer's state → (.+)$/.exec(text);
  if (m) return { key: 'backup.step.state', vars: { target: m[1] ?? '' } };
  m = /^(.+) → (.+)$/.exec(text);
  if (m) return { key: 'backup.step.backup', vars: { install: m[1] ?? '', target: m[2] ?? '' } };
  m = /^checking (\S+)/.exec(text);
  if (m) return { key: 'backup.step.check', vars: { target: m[1] ?? '' } };
  m = /^restoring (\w+) into a scratch folder$/.exec(text);
  if (m) return { key: 'backup.step.scratch', vars: { snapshot: m[1] ?? '' } };
  if (/^snapshotting the current state first/.test(text))
    return { key: 'backup.step.undo', vars: {} };
  m = /^restoring snapshot (\w+)$/.exec(text);
  if (m) return { key: 'backup.step.restore', vars: { snapshot: m[1] ?? '' } };
  if (text === 'putting the data into the new volumes')
    return { key: 'backup.step.volumes', vars: {} };
  if (text === 'starting') return { key: 'backup.step.starting', vars: {} };
  return undefined;
}
