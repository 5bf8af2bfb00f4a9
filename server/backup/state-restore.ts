/**
 * Onto a new box (issue 15 §Restore): Foyer's own state put back from a target and the recovery
 * kit alone. Two halves, so the daemon never serves on a half-restored store:
 *
 * 1. `stageState` (in the running daemon): the newest `foyer-state` snapshot (or the one asked
 *    for) restored into `backup/incoming-state/`, its store opened read-only to check it is one,
 *    and a `ready` file written last. Refused, with nothing changed, when this box has installs
 *    of its own (the core `edge` and `directory` aside) unless `force`.
 * 2. `applyStagedState` (at the daemon's start, before the store is opened — `foyer serve` then
 *    restarts itself in-process): the current store moved aside to `backup/before-restore/`,
 *    the snapshot's store, pinned definitions and edge storage (certificates, home CA) put in
 *    place, and this box's backup targets the snapshot lacks carried over, so the target the
 *    person just added stays. Migrations run when the store opens, as for any older store.
 *
 * The apps' data is not in the state snapshot: each install's own snapshot brings it back
 * (`foyer restore <install>`, or `foyer restore --state --apps`).
 */
import {
  cpSync,
  existsSync,
  mkdirSync,
  readFileSync,
  renameSync,
  rmSync,
  writeFileSync,
} from 'node:fs';
import { join } from 'node:path';
import Database from 'better-sqlite3';
import { definitionsDir } from '../catalog/definitions.js';
import { auditLog } from '../store/audit.js';
import { restic } from './restic.js';
import { restoreArgs, tag } from './restic-args.js';
import { listTagged, notRead } from './restore.js';
import { edgeStorage, type SnapshotContext } from './snapshot.js';
import { backupDir, targetCall } from './targets.js';

/** Installs every box has of its own (issue 13/14): they never count as "this box has installs". */
const CORE_INSTALLS = new Set(['edge', 'directory']);

const incomingDir = (dataDir: string) => join(backupDir(dataDir), 'incoming-state');
const readyFile = (dataDir: string) => join(incomingDir(dataDir), 'ready.json');

/** What a staged state holds, and where inside the incoming folder. */
interface Ready {
  snapshot: string;
  target: string;
  store: string;
  definitions?: string;
  edge?: string;
}

/** What the caller is told of a staged state. */
export interface StagedState {
  snapshot: string;
  target: string;
  time: string;
  /** The installs of the restored store, whose data `foyer restore <install>` brings back. */
  installs: string[];
  /** Its targets, and whether first-run setup was done (sign in with that box's admin). */
  targets: string[];
  users: number;
}

/** Refused before anything changed (a 409). */
export class StateConflict extends Error {}

/** This box's installs that a state restore would forget (the core ones aside). */
export function ownInstalls(ctx: Pick<SnapshotContext, 'store'>): string[] {
  return ctx.store.installs
    .list()
    .filter((i) => i.desired !== 'absent' && !CORE_INSTALLS.has(i.id))
    .map((i) => i.id);
}

/** Restores a `foyer-state` snapshot into the incoming folder and checks it; see the header. */
export async function stageState(
  ctx: SnapshotContext,
  options: { snapshot?: string; force?: boolean },
  signal?: AbortSignal,
): Promise<StagedState> {
  const own = ownInstalls(ctx);
  if (own.length > 0 && !options.force)
    throw new StateConflict(
      `this box has installs already (${own.join(', ')}); a state restore replaces its store ` +
        'and forgets them. Give --force to do it anyway',
    );
  if (ctx.backups.targets().length === 0)
    throw new StateConflict(
      'no backup target yet; add the old box’s with: foyer backup target add <name> <repository> --password-stdin',
    );
  const listing = await listTagged(ctx, tag('foyer-state'));
  const all = listing.located;
  const match = options.snapshot
    ? all.filter((l) => l.snapshot.id.startsWith(options.snapshot!))
    : all.slice(0, 1);
  if (match.length === 0)
    throw new StateConflict(
      options.snapshot
        ? `no snapshot ${options.snapshot} of Foyer's state on any target${notRead(listing)}`
        : `no snapshot of Foyer's state on any target${notRead(listing)} (a \`foyer backup run\` of everything makes one)`,
    );
  if (match.length > 1) throw new StateConflict(`snapshot id ${options.snapshot} is ambiguous`);
  const located = match[0]!;
  const paths = located.snapshot.paths;
  const storePath = paths.find((p) => p.endsWith('/foyer-state/foyer.db'));
  if (!storePath)
    throw new StateConflict(`snapshot ${located.snapshot.shortId} holds no Foyer store`);
  const dir = incomingDir(ctx.dataDir);
  rmSync(dir, { recursive: true, force: true });
  mkdirSync(dir, { recursive: true, mode: 0o700 });
  try {
    await restic({
      ...targetCall(ctx, located.target),
      args: restoreArgs(located.snapshot.id, dir),
      signal,
    });
    const ready: Ready = {
      snapshot: located.snapshot.id,
      target: located.target,
      store: storePath,
      definitions: paths.find((p) => p.endsWith('/definitions')),
      edge: paths.find((p) => p.endsWith('/apps/edge/data')),
    };
    const db = new Database(join(dir, storePath), { readonly: true, fileMustExist: true });
    let staged: StagedState;
    try {
      const ids = db.prepare("SELECT id FROM installs WHERE desired != 'absent' ORDER BY id").all();
      const targets = db.prepare('SELECT name FROM backup_targets ORDER BY name').all();
      const users = db.prepare('SELECT count(*) AS n FROM users').get() as { n: number };
      staged = {
        snapshot: located.snapshot.shortId,
        target: located.target,
        time: located.snapshot.time,
        installs: (ids as { id: string }[]).map((r) => r.id),
        targets: (targets as { name: string }[]).map((r) => r.name),
        users: users.n,
      };
    } catch (error) {
      throw new StateConflict(
        `snapshot ${located.snapshot.shortId} holds no readable Foyer store: ${(error as Error).message}`,
      );
    } finally {
      db.close();
    }
    writeFileSync(readyFile(ctx.dataDir), JSON.stringify(ready), { mode: 0o600 });
    return staged;
  } catch (error) {
    rmSync(dir, { recursive: true, force: true });
    throw error;
  }
}

/** Whether a checked state waits to be put in place (the daemon restarts to apply it). */
export const stateStaged = (dataDir: string) => existsSync(readyFile(dataDir));

/**
 * Puts a staged state in place; the store must be closed. Returns the snapshot applied, or
 * nothing when none was staged. Called by `foyer serve` before it opens the store.
 */
export function applyStagedState(dataDir: string): string | undefined {
  if (!stateStaged(dataDir)) return undefined;
  const dir = incomingDir(dataDir);
  const ready = JSON.parse(readFileSync(readyFile(dataDir), 'utf8')) as Ready;
  const live = join(dataDir, 'foyer.db');
  const aside = join(backupDir(dataDir), 'before-restore');
  rmSync(aside, { recursive: true, force: true });
  mkdirSync(aside, { recursive: true, mode: 0o700 });
  for (const suffix of ['', '-wal', '-shm'])
    if (existsSync(live + suffix)) renameSync(live + suffix, join(aside, `foyer.db${suffix}`));
  cpSync(join(dir, ready.store), live);
  // The targets this box had (the one just added, maybe under another name) stay; the restore
  // itself goes into the restored audit log.
  const before = join(aside, 'foyer.db');
  const db = new Database(live);
  try {
    let carried = 0;
    if (existsSync(before)) {
      db.prepare('ATTACH DATABASE ? AS old').run(before);
      try {
        carried = db
          .prepare(
            `INSERT OR IGNORE INTO main.backup_targets (name, repository, password, created_at)
             SELECT name, repository, password, created_at FROM old.backup_targets`,
          )
          .run().changes;
      } catch {
        // A store from before backup targets existed: nothing to carry over.
      }
      db.exec('DETACH DATABASE old');
    }
    // Jobs that ran on the old box when its state was backed up (that backup itself, at
    // least) ended there: they are not this box's daemon's to resume or call interrupted here.
    const at = new Date().toISOString();
    db.prepare(
      `UPDATE jobs SET state = 'interrupted', finished_at = ?, updated_at = ?,
         error = 'running on the old box when its state was backed up'
       WHERE state = 'running'`,
    ).run(at, at);
    auditLog(db).record('foyer', 'backup.restore-state.applied', undefined, {
      snapshot: ready.snapshot,
      target: ready.target,
      targetsCarriedOver: carried,
    });
  } finally {
    db.close();
  }
  if (ready.definitions && existsSync(join(dir, ready.definitions)))
    cpSync(join(dir, ready.definitions), definitionsDir(dataDir), { recursive: true });
  if (ready.edge && existsSync(join(dir, ready.edge))) {
    rmSync(edgeStorage(dataDir), { recursive: true, force: true });
    mkdirSync(join(dataDir, 'apps', 'edge'), { recursive: true });
    cpSync(join(dir, ready.edge), edgeStorage(dataDir), {
      recursive: true,
      preserveTimestamps: true,
    });
  }
  rmSync(dir, { recursive: true, force: true });
  return ready.snapshot;
}
