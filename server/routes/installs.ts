/**
 * Installs: create (settings checked, permissions accepted exactly, the app
 * pinned and rendered once before anything is stored), read, reconfigure,
 * start, stop, restart, update (updates.ts), uninstall. Each change writes the desired state, records
 * who did it, and returns a job that follows the reconciler; bad input gets a
 * path-qualified 4xx and changes nothing.
 */
import { Type as T } from '@sinclair/typebox';
import type { FastifyInstance, FastifyRequest } from 'fastify';
import { clientAddress } from '../auth/plugin.js';
import { MEMBER } from '../auth/roles.js';
import { resolveSettings } from '../catalog/settings.js';
import { ensureBind } from '../directory/app-accounts.js';
import { Errors } from '../errors.js';
import { admit } from '../jobs/admission.js';
import { freeResources } from '../resources/requirements.js';
import { describePermission } from '../security/permissions.js';
import { INSTALL_ID_PATTERN, type Install } from '../store/index.js';
import { type Job, type JobKind, jobRepository } from '../store/jobs.js';
import { adoptRoutes } from './adopt.js';
import {
  checkAccepted,
  checkRenders,
  checkRequirements,
  invalidSettings,
  pinApp,
  withProblems,
} from './install-checks.js';
import { installView } from './install-view.js';
import { IdParams, InstallReply, JobAccepted, SettingsBody } from './schemas.js';
import { updateOfferRoutes } from './update-offers.js';
import { updateRoutes } from './updates.js';

const CreateBody = T.Object(
  {
    app: T.String({ maxLength: 64 }),
    id: T.Optional(T.String({ maxLength: 64 })),
    settings: T.Optional(SettingsBody),
    acceptPermissions: T.Optional(T.Array(T.String({ maxLength: 512 }), { maxItems: 100 })),
    /** Install even when the app's declared memory or disk does not fit what is free. */
    allowInsufficientResources: T.Optional(T.Boolean()),
  },
  { additionalProperties: false },
);

export default async function installsRoutes(app: FastifyInstance) {
  const { store, catalog, pins, reconciler, jobs, audit } = app.foyer;
  const jobRows = jobRepository(store.db);
  const actorOf = (request: FastifyRequest) => request.actor?.username ?? 'unknown';
  const addressOf = (request: FastifyRequest) =>
    request.actor?.kind === 'local' ? 'local socket' : clientAddress(request);

  /** An install as the API shows it; a member sees no settings or permissions (issue 11 §2). */
  const view = installView(app.foyer);
  const reply = (install: Install, request?: FastifyRequest) =>
    view(install, { member: request !== undefined && request.actor?.role !== 'admin' });

  const find = (id: string) => {
    const install = store.installs.get(id);
    if (!install) throw new Errors.InstallNotFound(id);
    return install;
  };

  /** The pinned definition an install renders from; one that cannot be read is a 409. */
  const pinnedOf = (install: Install) => {
    const folder = pins.of(install);
    if (!folder)
      throw new Errors.Conflict(
        `"${install.id}" has no readable pinned definition; update it from the catalogue first`,
      );
    return folder;
  };

  /**
   * Checks, decides and writes in one transaction (jobs/admission.ts), then
   * follows the job and wakes the reconciler. `change` runs inside the
   * transaction: whatever it throws, nothing is written.
   */
  const changeInstall = (
    kind: JobKind,
    installId: string,
    request: FastifyRequest,
    change: (jobId: string) => Install,
    detail?: Record<string, unknown>,
  ) => {
    const { result, job, cancelled } = admit(
      { db: store.db, jobs: jobRows, audit },
      { kind, installId, actor: actorOf(request), address: addressOf(request), detail },
      change,
    );
    if (cancelled) jobs.cancelled(cancelled);
    jobs.follow(job, result.generation);
    return { install: result, job };
  };
  const jobAccepted = (change: { install: Install; job: Job }) => ({
    install: reply(change.install),
    job: change.job,
  });

  app.get(
    '/api/installs',
    {
      config: MEMBER,
      schema: {
        summary: 'Every install with its status (members: without settings)',
        response: { 200: T.Array(InstallReply) },
      },
    },
    async (request) => store.installs.list().map((install) => reply(install, request)),
  );

  app.get(
    '/api/installs/:id',
    {
      config: MEMBER,
      schema: {
        summary: 'One install with its status (members: without settings)',
        params: IdParams,
        response: { 200: InstallReply },
      },
    },
    async (request) => reply(find((request.params as { id: string }).id), request),
  );

  app.post(
    '/api/installs',
    {
      schema: {
        summary: 'Install an app (a job)',
        body: CreateBody,
        response: { 202: JobAccepted },
      },
    },
    async (request, res) => {
      const body = request.body as {
        app: string;
        id?: string;
        settings?: Record<string, unknown>;
        acceptPermissions?: string[];
        allowInsufficientResources?: boolean;
      };
      // A core service (the edge, the directory) is not in the store: Foyer installs it itself.
      if (catalog.core(body.app)) {
        throw new Errors.Conflict(`"${body.app}" is part of Foyer, which installs it itself`);
      }
      const listed = catalog.get(body.app);
      if (!listed) throw new Errors.AppNotFound(body.app);
      // Everything below reads the pinned copy, so the install is checked against exactly what
      // it will run, even if the catalogue folder changes meanwhile (issue 17).
      const { hash, folder: entry } = pinApp(pins, listed.dir);
      const id = body.id ?? entry.manifest.id;
      if (!INSTALL_ID_PATTERN.test(id)) {
        throw withProblems(
          new Errors.InvalidId('id: use 1 to 40 lowercase letters, digits and "-"'),
          [
            {
              path: 'id',
              message:
                'use 1 to 40 lowercase letters, digits and "-", starting with a letter or digit',
            },
          ],
        );
      }
      const exists = () => new Errors.Conflict(`an install "${id}" exists already`);
      if (store.installs.get(id)) throw exists();
      const accepted = checkAccepted(entry, body.acceptPermissions ?? [], 'install');
      const resolved = resolveSettings(entry.manifest, body.settings ?? {});
      if (resolved.problems.length > 0) throw invalidSettings(resolved.problems);
      const fields = {
        id,
        appId: entry.manifest.id,
        appDir: listed.dir,
        definition: hash,
        appVersion: entry.manifest.version,
        settings: resolved.settings,
        secrets: resolved.secrets,
        acceptedPermissions: accepted,
      };
      checkRenders(app.foyer.dataDir, entry, {
        ...fields,
        desired: 'running',
        purge: false,
        generation: 1,
      });
      // Last of the checks and before anything is written: a refusal changes nothing.
      const override = body.allowInsufficientResources === true;
      if (!override) {
        checkRequirements(entry, await freeResources(app.foyer.docker, app.foyer.dataDir));
      }
      const created = changeInstall(
        'install',
        id,
        request,
        () => {
          if (store.installs.get(id)) throw exists();
          const install = store.installs.create(fields);
          // Its read-only directory account, with the install (issue 14, app-accounts.ts).
          if (entry.manifest.accounts === 'directory') ensureBind(store.db, id);
          return install;
        },
        override ? { allowInsufficientResources: true } : undefined,
      );
      // Makes the directory service the first time an app needs it, and its bind entry.
      if (entry.manifest.accounts === 'directory') app.foyer.directory?.changed();
      reconciler.enqueue(id);
      return res.status(202).send(jobAccepted(created));
    },
  );

  app.patch(
    '/api/installs/:id',
    {
      schema: {
        summary: "Change an install's settings (a job)",
        params: IdParams,
        body: T.Object({ settings: SettingsBody }, { additionalProperties: false }),
        response: { 202: JobAccepted },
      },
    },
    async (request, res) => {
      const id = (request.params as { id: string }).id;
      const settings = (request.body as { settings: Record<string, unknown> }).settings;
      // Read, checked and written inside the transaction: the settings are resolved against the
      // install as it is when the change is admitted, not as it was a moment before.
      const changed = changeInstall('reconfigure', id, request, () => {
        const install = find(id);
        // Settings are checked against the definition the install runs, not the catalogue's.
        const entry = pinnedOf(install);
        const previous = { settings: install.settings, secrets: store.installs.secrets(id) };
        const resolved = resolveSettings(entry.manifest, settings, previous);
        if (resolved.problems.length > 0) throw invalidSettings(resolved.problems);
        checkRenders(app.foyer.dataDir, entry, {
          ...install,
          settings: resolved.settings,
          secrets: resolved.secrets,
        });
        return store.installs.update(id, {
          settings: resolved.settings,
          secrets: resolved.secrets,
        });
      });
      reconciler.enqueue(id);
      return res.status(202).send(jobAccepted(changed));
    },
  );

  const action = (
    verb: 'start' | 'stop' | 'restart',
    apply: (id: string) => Install,
    afterwards?: (id: string) => void,
  ) =>
    app.post(
      `/api/installs/:id/${verb}`,
      {
        schema: {
          summary: `${verb[0]!.toUpperCase()}${verb.slice(1)} an install (a job)`,
          params: IdParams,
          response: { 202: JobAccepted },
        },
      },
      async (request, res) => {
        const id = (request.params as { id: string }).id;
        const changed = changeInstall(verb, id, request, () => apply(find(id).id));
        afterwards?.(id);
        reconciler.enqueue(id);
        return res.status(202).send(jobAccepted(changed));
      },
    );
  action('start', (id) => store.installs.setDesired(id, 'running'));
  action('stop', (id) => store.installs.setDesired(id, 'stopped'));
  // A restart changes no setting, but bumps the generation so its job waits for a reconcile
  // that saw the request, not one already under way. The reconciler hears of the request only
  // once it is admitted. Update (issue 17) is in updates.ts.
  action(
    'restart',
    (id) => store.installs.update(id, {}),
    (id) => reconciler.requestRestart(id),
  );

  app.delete(
    '/api/installs/:id',
    {
      schema: {
        summary:
          'Uninstall (a job); cancels a job in progress; purge also deletes its data, else it is kept data',
        params: IdParams,
        querystring: T.Object({ purge: T.Optional(T.Boolean()) }, { additionalProperties: false }),
        response: { 202: JobAccepted },
      },
    },
    async (request, res) => {
      const id = (request.params as { id: string }).id;
      const purge = (request.query as { purge?: boolean }).purge === true;
      // A core service (the edge) is Foyer's own: no one uninstalls it by accident (issue 13).
      if (catalog.core(find(id).appId)) {
        throw new Errors.Conflict(
          `"${id}" is part of Foyer (a core service) and cannot be uninstalled`,
        );
      }
      const changed = changeInstall(
        'uninstall',
        id,
        request,
        () => store.installs.setDesired(find(id).id, 'absent', { purge }),
        { purge },
      );
      reconciler.enqueue(id);
      return res.status(202).send(jobAccepted(changed));
    },
  );

  updateRoutes(app, { find, changeInstall, jobAccepted, describePermission });
  updateOfferRoutes(app, { find, actorOf, addressOf });
  adoptRoutes(app, { find, changeInstall, jobAccepted });
}
