/**
 * Update (issue 17): the only way an install moves to another definition.
 * `GET /api/installs/:id/update` says what an update would change (version,
 * images, permissions asked anew, settings); `POST` pins the catalogue's
 * current folder (after checking permissions, settings and a render against
 * the copy) and hands the job to the update driver (server/updates/driver.ts), which
 * fetches the new images, snapshots, recreates and rolls back if the new
 * version is not healthy in time (issue 15). When the catalogue
 * offers nothing new, or has dropped the app, an update refreshes the pinned
 * definition in place (a new pull, a rebuild without cache for Debian's
 * security updates). A broken catalogue folder is refused with its problems
 * and changes nothing.
 */
import { Type as T } from '@sinclair/typebox';
import type { FastifyInstance, FastifyReply, FastifyRequest } from 'fastify';
import { imageReference } from '../../compose/index.js';
import type { AppFolder } from '../catalog/catalog.js';
import { resolveSettings } from '../catalog/settings.js';
import { type DefinitionFacts, diffDefinitions } from '../catalog/update-plan.js';
import { hashBuildContext } from '../reconcile/build-hash.js';
import { renderProject } from '../reconcile/desired.js';
import type { Install } from '../store/index.js';
import { offered, planUpdate, updateChange } from '../updates/admit-update.js';
import { readFailedLogs } from '../updates/failed-logs.js';
import { declaredPermissions, type InstallChangeContext } from './install-checks.js';
import { IdParams, JobAccepted, SettingsBody, UpdatePreview } from './schemas.js';
import { debianOfferReply } from './update-offers.js';

const UpdateReply = T.Object({
  job: T.String(),
  phase: T.String(),
  /** Same definition, images pulled or rebuilt anew. */
  refresh: T.Boolean(),
  from: T.Union([T.String(), T.Null()]),
  to: T.Union([T.String(), T.Null()]),
  reason: T.Union([T.String(), T.Null()]),
  /** Where the failed version's logs are kept, and their last lines by service. */
  logsDir: T.Optional(T.String()),
  logs: T.Optional(T.Record(T.String(), T.Array(T.String()))),
  createdAt: T.String(),
  finishedAt: T.Union([T.String(), T.Null()]),
});

const UpdateBody = T.Object(
  {
    /** The permissions the new definition asks anew, accepted by the admin. */
    acceptPermissions: T.Optional(T.Array(T.String({ maxLength: 512 }), { maxItems: 100 })),
    /** Values for settings the new definition adds (or changes). */
    settings: T.Optional(SettingsBody),
  },
  { additionalProperties: false },
);

export interface UpdateRouteContext extends InstallChangeContext {
  describePermission(permission: string): string;
}

export function updateRoutes(app: FastifyInstance, ctx: UpdateRouteContext) {
  const { store, pins, dataDir, updates } = app.foyer;

  /** Version, images, permissions and settings of a definition, rendered with these values. */
  const facts = (
    folder: AppFolder,
    install: Install,
    values: { settings: Record<string, string>; secrets: Record<string, string> },
  ): DefinitionFacts => {
    const declared = declaredPermissions(folder);
    const project = renderProject(
      { ...install, ...values, appDir: folder.dir, acceptedPermissions: declared },
      { ...folder, permissions: declared, accounts: folder.manifest.accounts },
      { dataDir },
    );
    const images: Record<string, string> = {};
    for (const service of Object.values(project.services)) {
      images[service.name] = service.build
        ? `built here from ${service.build.dockerfile} (${hashBuildContext(service.build).slice(0, 12)})`
        : imageReference(project, service);
    }
    return {
      version: folder.manifest.version,
      images,
      permissions: declared,
      settings: (folder.manifest.settings ?? []).filter((s) => !s.secret).map((s) => s.key),
    };
  };

  app.get(
    '/api/installs/:id/update',
    {
      schema: {
        summary: 'What updating an install to the catalogue’s definition would change',
        params: IdParams,
        response: { 200: UpdatePreview },
      },
    },
    async (request) => {
      const install = ctx.find((request.params as { id: string }).id);
      const { status, entry } = offered(app.foyer, install);
      const base = {
        install: install.id,
        debian: debianOfferReply(app, install.id),
        version: install.appVersion,
        catalog: status.catalog,
        ...(status.problems ? { problems: status.problems } : {}),
      };
      const current = pins.of(install);
      if (!entry || !current) return { ...base, changes: null };
      const previous = { settings: install.settings, secrets: store.installs.secrets(install.id) };
      const next = resolveSettings(entry.manifest, {}, previous);
      let changes: ReturnType<typeof diffDefinitions>;
      try {
        changes = diffDefinitions(
          facts(current, install, previous),
          install.acceptedPermissions,
          facts(entry, install, next),
        );
      } catch (error) {
        const problems = (error as { problems?: { path: string; message: string }[] }).problems;
        if (!problems) throw error;
        return { ...base, catalog: 'invalid' as const, problems, changes: null };
      }
      return {
        ...base,
        changes: {
          ...changes,
          permissions: {
            added: changes.permissions.added.map((p) => ({
              permission: p,
              description: ctx.describePermission(p),
            })),
            removed: changes.permissions.removed,
          },
        },
      };
    },
  );

  app.get(
    '/api/installs/:id/updates',
    {
      schema: {
        summary:
          'The install’s updates, newest first: phase, versions, why one failed or rolled back, and the failed version’s last log lines',
        params: IdParams,
        response: { 200: T.Array(UpdateReply) },
      },
    },
    async (request) => {
      const install = ctx.find((request.params as { id: string }).id);
      // Never the settings or secrets the row keeps for a rollback.
      return updates.list(install.id).map((u) => ({
        job: u.jobId,
        phase: u.phase,
        refresh: u.refresh,
        from: u.from.version,
        to: u.toVersion,
        reason: u.reason,
        ...(u.logs ? { logsDir: u.logs, logs: readFailedLogs(u.logs) } : {}),
        createdAt: u.createdAt,
        finishedAt: u.finishedAt,
      }));
    },
  );

  app.post(
    '/api/installs/:id/update',
    {
      schema: {
        summary: 'Update an install to the catalogue’s definition, or refresh it in place (a job)',
        params: IdParams,
        body: T.Union([UpdateBody, T.Null()]),
        response: { 202: JobAccepted },
      },
    },
    async (request: FastifyRequest, res: FastifyReply) => {
      const install = ctx.find((request.params as { id: string }).id);
      const body = (request.body ?? {}) as {
        acceptPermissions?: string[];
        settings?: Record<string, unknown>;
      };
      const next = planUpdate(app.foyer, install, body);
      // Written through the admission transaction (issue 11 §1): refused while another job runs,
      // and refused if the install changed between the checks above and the write. The update's
      // row — what the install was, so a rollback can put it back — is written with it (issue 15).
      const changed = ctx.changeInstall(
        'update',
        install.id,
        request,
        updateChange(app.foyer, install, next),
        next.detail,
      );
      updates.start(changed.job.id);
      return res.status(202).send(ctx.jobAccepted(changed));
    },
  );
}
