/**
 * Automatic updates per app in a window (issue 15), the effectful part: a
 * timer (once a minute) that, inside an install's window, starts the same
 * update `foyer update` starts — through the update driver, with its
 * snapshot, health gate and rollback — for an install offered something new
 * (the catalogue's definition, or Debian's packages for its built images).
 * One install at a time; the admission's audit entry names `auto-update` as
 * who did it. The offer is remembered before the job runs, so an update that
 * rolled back (or could not start: new permissions to accept) is not tried
 * again for the same offer. The decision is pure (auto-policy.ts).
 */
import type { Logger } from '../reconcile/reconciler.js';
import { type JobRepository, jobRepository } from '../store/jobs.js';
import type { UpdateOffers } from '../store/update-offers.js';
import { startUpdate, type UpdateContext } from './admit-update.js';
import { autoUpdateDue, inWindow, pendingOffer } from './auto-policy.js';
import type { DebianChecks } from './debian-check.js';
import { describeOffer, offeredPackages, type PackageUpdate } from './debian-packages.js';

/** Who the activity log names for an automatic update. */
export const AUTO_UPDATE_ACTOR = 'auto-update';

/**
 * Debian's packages offered to an install: from its checks, leaving out those made before its
 * last successful update (which may have rebuilt the images) and, when `running` is known,
 * those of images its services no longer run.
 */
export function debianOffer(
  ctx: Pick<UpdateContext, 'updates'>,
  offers: UpdateOffers,
  installId: string,
  running?: Record<string, string>,
): PackageUpdate[] {
  const since = ctx.updates.list(installId).find((u) => u.phase === 'succeeded')?.finishedAt;
  return offeredPackages(offers.checks(installId), { running, since });
}

export interface AutoUpdatesOptions {
  ctx: UpdateContext;
  offers: UpdateOffers;
  checks: DebianChecks;
  log: Logger;
  /** How often the timer looks (default a minute). */
  tickMs?: number;
}

export class AutoUpdates {
  private timer: NodeJS.Timeout | undefined;
  /** The automatic update under way: the next waits for it to end. */
  private current: string | undefined;
  private ticking = false;
  private readonly jobs: JobRepository;

  constructor(private readonly options: AutoUpdatesOptions) {
    this.jobs = jobRepository(options.ctx.store.db);
  }

  start(): void {
    this.timer = setInterval(() => void this.tick(), this.options.tickMs ?? 60_000);
    this.timer.unref();
  }

  stop(): void {
    if (this.timer) clearInterval(this.timer);
  }

  /** Starts at most one automatic update that is due at `now`; returns its job's id. */
  async tick(now = new Date()): Promise<string | undefined> {
    if (this.ticking) return undefined;
    this.ticking = true;
    try {
      return await this.startDue(now);
    } catch (error) {
      this.options.log.warn({ err: error }, 'automatic updates: look failed');
      return undefined;
    } finally {
      this.ticking = false;
    }
  }

  private async startDue(now: Date): Promise<string | undefined> {
    const { ctx, offers } = this.options;
    const { jobs } = this;
    if (this.current && jobs.get(this.current)?.state === 'running') return undefined;
    this.current = undefined;
    for (const id of offers.autoUpdating()) {
      const install = ctx.store.installs.get(id);
      const setting = offers.autoUpdate(id);
      // Outside the window nothing is read from the engine.
      if (!install || install.desired === 'absent' || !inWindow(now, setting)) continue;
      const catalogHash = ctx.catalog.definitionHash(install.appId);
      const catalogDefinition =
        catalogHash !== undefined && catalogHash !== install.definition ? catalogHash : undefined;
      const running = await this.options.checks.runningImages(id);
      const debian = debianOffer(ctx, offers, id, running);
      const offer = pendingOffer({ catalogDefinition, debian });
      const busy = jobs.runningFor(id) !== undefined;
      if (!autoUpdateDue({ now, setting, offer, lastAttempt: setting.lastOffer, busy })) continue;
      const what = catalogDefinition
        ? { to: ctx.catalog.get(install.appId)?.manifest.version ?? null }
        : { debian: describeOffer(debian) };
      try {
        const job = startUpdate(ctx, id, AUTO_UPDATE_ACTOR, { automatic: true, ...what });
        offers.triedAutomatically(id, offer as string, job, now);
        this.current = job;
        this.options.log.info({ install: id, job, offer }, 'automatic update started');
        return job;
      } catch (error) {
        // Another job got there first: looked at again at the next tick.
        if ((error as { code?: string }).code === 'FOYER_CONFLICT') continue;
        // Not tried again for this offer: a person has to look (new permissions, a broken folder).
        const reason = (error as Error).message;
        offers.triedAutomatically(id, offer as string, '', now);
        ctx.audit.record(AUTO_UPDATE_ACTOR, 'install.update.skipped', id, { reason, ...what });
        this.options.log.warn({ install: id, reason }, 'automatic update not started');
      }
    }
    return undefined;
  }
}
