/**
 * Deletes removed members' pending data (issue 14; pending-data.ts holds the rows), the
 * reconciler's way: the store says what is still to delete, each pass re-reads it and does
 * what is left, and a deletion is idempotent (a path already gone is deleted). A pass runs
 * when a member is removed with `--delete-data` (the reply waits for it), when the daemon
 * starts or the engine comes back, when an install with pending places changes state (it was
 * started again, or purged), when an admin asks (`POST /api/members/pending-data/retry`), and
 * on a timer with backoff (retryDelayMs: one minute doubling to half an hour, never giving
 * up). No timer is set while nothing is pending, so an idle box does no work for this.
 *
 * Passes run one at a time (one deleting container per install, deleterName). A place the
 * install's app no longer declares is dropped; a place whose install and volume are both gone
 * (an uninstall with purge) is deleted by then, as the deletion finds no volume.
 */
import type { PinnedDefinitions } from '../catalog/pins.js';
import type { DockerAdapter } from '../docker/adapter.js';
import { instanceId } from '../paths.js';
import type { AuditLog } from '../store/audit.js';
import type { Install, Store } from '../store/index.js';
import {
  deleteMemberData,
  type MemberDataDeps,
  type MemberDataInstall,
  type MemberDataTarget,
  memberDataInstalls,
  memberDataTargets,
} from './member-data.js';
import {
  type PendingDataRepository,
  type PendingPlace,
  pendingDataRepository,
  targetOf,
} from './pending-data.js';

/** What one pass did. */
export interface PendingPassOutcome {
  deleted: PendingPlace[];
  /** Places no longer declared by their install's app: forgotten, not deleted. */
  dropped: PendingPlace[];
  /** Places still pending, with the error of this try. */
  failed: PendingPlace[];
}

/** Which places a pass takes; all of them when empty. */
export interface PendingFilter {
  member?: string;
  install?: string;
  /** Only those tried before whose next try is due (the timer's passes). */
  due?: boolean;
  /** Only those tried before (the nudges'). */
  tried?: boolean;
}

export interface MemberDataQueueOptions {
  deletion: MemberDataDeps;
  pending: PendingDataRepository;
  /** The installs as they are now. */
  installs: () => Install[];
  /** The member-data declarations of installs (member-data.ts memberDataInstalls). */
  declared: (installs: Install[]) => MemberDataInstall[];
  audit: AuditLog;
  log?: { info(o: object, m: string): void; warn(o: object, m: string): void };
  now?: () => Date;
}

const samePlace = (a: MemberDataTarget, b: PendingPlace) =>
  a.install === b.install && a.volume === b.volume && a.path === b.path;

/** Whether a pending place is still declared by its install's app (true when unknown). */
function stillDeclared(place: PendingPlace, installs: Install[], options: MemberDataQueueOptions) {
  const install = installs.find((i) => i.id === place.install);
  // Uninstalled: nothing declares it now, but a kept volume still holds the data.
  if (!install) return true;
  try {
    const targets = memberDataTargets(options.declared([install]), place.member);
    return targets.some((t) => samePlace(t, place));
  } catch {
    // A path that cannot be made now (a setting gone): keep it and let the deletion say why.
    return true;
  }
}

export class MemberDataQueue {
  private chain: Promise<unknown> = Promise.resolve();
  private timer: NodeJS.Timeout | undefined;
  private started = false;

  constructor(readonly options: MemberDataQueueOptions) {}

  /** Whether a timer is set (none while nothing pending was tried: no work on an idle box). */
  get timerSet(): boolean {
    return this.timer !== undefined;
  }

  /** Every pending place, for the API and the UI. */
  list(): PendingPlace[] {
    return this.options.pending.list();
  }

  /**
   * One pass over the pending places the filter takes, after the passes before it. `actor`
   * audits the outcome (a removal audits its own as `member.removed`).
   */
  run(filter: PendingFilter = {}, actor?: string): Promise<PendingPassOutcome> {
    const pass = this.chain.then(() => this.pass(filter, actor));
    this.chain = pass.catch(() => {});
    return pass;
  }

  /** Tries what is pending soon after start, then keeps the timer while anything is. */
  start(delayMs = 2_000): void {
    this.started = true;
    const places = this.options.pending.list().length;
    if (places === 0) return;
    this.options.log?.info({ places }, "removed members' data still to delete: trying again");
    this.setTimer(delayMs, {});
  }

  stop(): void {
    this.started = false;
    if (this.timer) clearTimeout(this.timer);
    this.timer = undefined;
  }

  /**
   * Something changed that may let `install`'s failed places go (its state, the engine). A place
   * not tried yet is left to its removal, whose reply says what its own pass did.
   */
  nudge(filter: Pick<PendingFilter, 'install'> = {}): void {
    if (!this.started) return;
    const waiting = this.options.pending
      .list()
      .some(
        (p) => p.attempts > 0 && (filter.install === undefined || p.install === filter.install),
      );
    if (waiting) this.background({ ...filter, tried: true });
  }

  /** A pass no one waits for: its failure (a store closed at shutdown) is logged, not thrown. */
  private background(filter: PendingFilter): void {
    this.run(filter, 'foyer').catch((error: unknown) => {
      this.options.log?.warn({ err: (error as Error)?.message }, 'member data pass failed');
    });
  }

  private async pass(filter: PendingFilter, actor: string | undefined) {
    const { pending, log } = this.options;
    const now = (this.options.now ?? (() => new Date()))();
    const outcome: PendingPassOutcome = { deleted: [], dropped: [], failed: [] };
    const places = pending
      .list()
      .filter(
        (p) =>
          (filter.member === undefined || p.member === filter.member) &&
          (filter.install === undefined || p.install === filter.install) &&
          (!filter.tried || p.attempts > 0) &&
          (!filter.due || (p.nextAttemptAt !== null && new Date(p.nextAttemptAt) <= now)),
      );
    const installs = places.length > 0 ? this.options.installs() : [];
    for (const place of places) {
      if (!stillDeclared(place, installs, this.options)) {
        pending.done(place.id);
        outcome.dropped.push(place);
        continue;
      }
      const result = await deleteMemberData(this.options.deletion, [targetOf(place)]);
      const failure = result.failed[0];
      if (failure) outcome.failed.push(pending.failed(place.id, failure.error) ?? place);
      else {
        pending.done(place.id);
        outcome.deleted.push(place);
      }
    }
    if (actor !== undefined) this.audit(actor, outcome);
    if (outcome.failed.length > 0) {
      log?.warn(
        { failed: outcome.failed.map((p) => `${p.member} ${p.install}:${p.path}: ${p.lastError}`) },
        "a removed member's data is not all deleted yet; retrying later",
      );
    }
    this.schedule();
    return outcome;
  }

  /** One audit line per member: which places went, which wait (never an error's detail). */
  private audit(actor: string, outcome: PendingPassOutcome): void {
    const members = new Set(
      [...outcome.deleted, ...outcome.dropped, ...outcome.failed].map((p) => p.member),
    );
    const at = (p: PendingPlace) => `${p.install}:${p.path}`;
    for (const member of members) {
      const of = (list: PendingPlace[]) => list.filter((p) => p.member === member).map(at);
      const failed = outcome.failed.filter((p) => p.member === member);
      this.options.audit.record(
        actor,
        failed.length > 0 ? 'member.data-retry-failed' : 'member.data-deleted',
        member,
        {
          deleted: of(outcome.deleted),
          dropped: of(outcome.dropped),
          failed: failed.map(at),
          ...(failed.length > 0 ? { attempts: Math.max(...failed.map((p) => p.attempts)) } : {}),
        },
      );
    }
  }

  /** The timer for the earliest due place; none when nothing is pending. */
  private schedule(): void {
    if (this.timer) clearTimeout(this.timer);
    this.timer = undefined;
    if (!this.started) return;
    const due = this.options.pending.nextDue();
    if (!due) return;
    const now = (this.options.now ?? (() => new Date()))();
    this.setTimer(Math.max(due.getTime() - now.getTime(), 1_000), { due: true });
  }

  private setTimer(delayMs: number, filter: PendingFilter): void {
    if (this.timer) clearTimeout(this.timer);
    this.timer = setTimeout(
      () => {
        this.timer = undefined;
        this.background(filter);
      },
      Math.min(delayMs, 2 ** 31 - 1),
    );
    this.timer.unref();
  }
}

/** The queue over the daemon's store, engine and pinned definitions (not started). */
export function memberDataQueue(services: {
  dataDir: string;
  store: Store;
  docker: DockerAdapter;
  pins: Pick<PinnedDefinitions, 'of'>;
  audit: AuditLog;
  log?: MemberDataQueueOptions['log'];
}): MemberDataQueue {
  return new MemberDataQueue({
    deletion: { docker: services.docker, instance: instanceId(services.dataDir) },
    pending: pendingDataRepository(services.store.db),
    installs: () => services.store.installs.list(),
    declared: (installs) => memberDataInstalls(installs, services.pins),
    audit: services.audit,
    log: services.log,
  });
}
