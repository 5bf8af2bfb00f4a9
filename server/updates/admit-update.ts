/**
 * What an update writes when it is admitted (issue 17, issue 15), shared by
 * `POST /api/installs/:id/update` and the daemon's automatic updates: the
 * catalogue's folder pinned and checked (permissions asked anew accepted,
 * settings resolved, a render of the copy), or, when nothing new is offered,
 * the same definition refreshed (a new pull, a rebuild without cache for
 * Debian's updates); then, inside the admission's transaction, the update's
 * row (what the install was, so a rollback can put it back) and the new pin.
 */
import type { FoyerServices } from '../app.js';
import { definitionStatus } from '../catalog/pins.js';
import { resolveSettings } from '../catalog/settings.js';
import { Errors } from '../errors.js';
import { admit } from '../jobs/admission.js';
import {
  checkRenders,
  declaredPermissions,
  invalidDefinition,
  invalidSettings,
  pinApp,
  withProblems,
} from '../routes/install-checks.js';
import type { Install, InstallPatch } from '../store/index.js';
import { jobRepository } from '../store/jobs.js';

export type UpdateContext = Pick<
  FoyerServices,
  'store' | 'catalog' | 'pins' | 'dataDir' | 'updates' | 'jobs' | 'audit'
>;

export interface UpdateBody {
  acceptPermissions?: string[];
  settings?: Record<string, unknown>;
}

export interface PlannedUpdate {
  patch: InstallPatch;
  detail: Record<string, unknown>;
}

/** The catalogue's folder for this install's app when it differs from the pin. */
export function offered(ctx: Pick<UpdateContext, 'catalog'>, install: Install) {
  const status = definitionStatus(install, ctx.catalog);
  const entry = status.available !== undefined ? ctx.catalog.get(install.appId) : undefined;
  return { status, entry };
}

/**
 * What an update of `install` writes. Throws a 400 with paths when it cannot be (a broken
 * catalogue folder, settings, a render), and PermissionsNotAccepted when the new version asks
 * for permissions `body` does not accept.
 */
export function planUpdate(ctx: UpdateContext, install: Install, body: UpdateBody): PlannedUpdate {
  const { status, entry } = offered(ctx, install);
  if (status.catalog === 'invalid') throw invalidDefinition(status.problems ?? []);
  if (!entry) {
    if (!ctx.pins.of(install)) throw invalidDefinition(unpinnedProblem(install));
    const detail = { from: install.appVersion, to: install.appVersion, catalog: status.catalog };
    return { patch: {}, detail };
  }
  const { hash, folder } = pinApp(ctx.pins, entry.dir);
  const declared = declaredPermissions(folder);
  const accepting = body.acceptPermissions ?? [];
  const asked = declared.filter((p) => !install.acceptedPermissions.includes(p));
  const missing = asked.filter((p) => !accepting.includes(p));
  if (missing.length > 0) {
    const problems = missing.map((p) => ({
      path: 'acceptPermissions',
      message: `the new version needs "${p}"; accept it to update`,
    }));
    throw withProblems(
      new Errors.PermissionsNotAccepted(problems.map((p) => p.message).join('; ')),
      problems,
    );
  }
  const previous = { settings: install.settings, secrets: ctx.store.installs.secrets(install.id) };
  const resolved = resolveSettings(folder.manifest, body.settings ?? {}, previous);
  if (resolved.problems.length > 0) throw invalidSettings(resolved.problems);
  checkRenders(ctx.dataDir, folder, {
    ...install,
    settings: resolved.settings,
    secrets: resolved.secrets,
    acceptedPermissions: declared,
  });
  return {
    patch: {
      appDir: entry.dir,
      definition: hash,
      appVersion: folder.manifest.version,
      settings: resolved.settings,
      secrets: resolved.secrets,
      acceptedPermissions: declared,
    },
    detail: {
      from: install.appVersion,
      to: folder.manifest.version,
      definition: hash,
      permissionsAccepted: asked,
    },
  };
}

/**
 * The write an admitted update makes inside the admission's transaction: refused if the
 * install changed since it was planned; the update's row, then the new pin.
 */
export function updateChange(ctx: UpdateContext, install: Install, next: PlannedUpdate) {
  return (jobId: string): Install => {
    const current = ctx.store.installs.get(install.id);
    if (!current) throw new Errors.InstallNotFound(install.id);
    if (current.generation !== install.generation)
      throw new Errors.Conflict(`"${install.id}" changed meanwhile; look again and retry`);
    ctx.updates.record({
      jobId,
      installId: install.id,
      refresh: next.patch.definition === undefined,
      from: {
        appDir: current.appDir,
        definition: current.definition,
        previousDefinition: current.previousDefinition,
        version: current.appVersion,
        settings: current.settings,
        secrets: ctx.store.installs.secrets(install.id),
        acceptedPermissions: current.acceptedPermissions,
      },
      toVersion: next.patch.appVersion ?? current.appVersion,
    });
    return ctx.store.installs.update(install.id, next.patch);
  };
}

/**
 * Admits and starts an update no request asked for (automatic updates): planned with no
 * permission accepted anew and no setting given, admitted like any change (refused with 409
 * while a job runs), audited as done by `actor`. Returns the job's id.
 */
export function startUpdate(
  ctx: UpdateContext,
  installId: string,
  actor: string,
  detail: Record<string, unknown> = {},
): string {
  const install = ctx.store.installs.get(installId);
  if (!install) throw new Errors.InstallNotFound(installId);
  const next = planUpdate(ctx, install, {});
  const { result, job } = admit(
    { db: ctx.store.db, jobs: jobRepository(ctx.store.db), audit: ctx.audit },
    {
      kind: 'update',
      installId,
      actor,
      address: 'the daemon',
      detail: { ...next.detail, ...detail },
    },
    updateChange(ctx, install, next),
  );
  ctx.jobs.follow(job, result.generation);
  ctx.updates.start(job.id);
  return job.id;
}

function unpinnedProblem(install: Install) {
  return [
    {
      path: install.appDir,
      message: 'the app is not in the catalogue and this install has no pinned copy of it',
    },
  ];
}
