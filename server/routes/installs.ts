/**
 * Installs: create (settings checked, permissions accepted exactly, the app
 * pinned and rendered once before anything is stored), read, reconfigure,
 * start, stop, restart, update (updates.ts), uninstall. Each change writes the desired state, records
 * who did it, and returns a job that follows the reconciler; bad input gets a
 * path-qualified 4xx and changes nothing.
 */
import { Type as T } from '@sinclair/typebox';
import type { FastifyInstance, FastifyRequest } from 'fastify';
import { resolveSettings } from '../catalog/settings.js';
import { Errors } from '../errors.js';
import { describePermission } from '../security/permissions.js';
import { INSTALL_ID_PATTERN, type Install } from '../store/index.js';
import type { JobKind } from '../store/jobs.js';
import {
  checkAccepted,
  checkRenders,
  invalidSettings,
  pinApp,
  withProblems,
} from './install-checks.js';
import { installView } from './install-view.js';
import { IdParams, InstallReply, JobAccepted, SettingsBody } from './schemas.js';
import { updateRoutes } from './updates.js';

const CreateBody = T.Object(
  {
    app: T.String({ maxLength: 64 }),
    id: T.Optional(T.String({ maxLength: 64 })),
    settings: T.Optional(SettingsBody),
    acceptPermissions: T.Optional(T.Array(T.String({ maxLength: 512 }), { maxItems: 100 })),
  },
  { additionalProperties: false },
);

export default async function installsRoutes(app: FastifyInstance) {
  const { store, catalog, pins, reconciler, jobs, audit } = app.foyer;
  const actorOf = (request: FastifyRequest) => request.actor?.username ?? 'unknown';

  const reply = installView(app.foyer);

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

  const startJob = (
    kind: JobKind,
    install: Install,
    request: FastifyRequest,
    detail: Record<string, unknown> = {},
  ) => {
    if (jobs.runningFor(install.id))
      throw new Errors.Conflict(`a job is already running for "${install.id}"`);
    const job = jobs.start(kind, install.id, actorOf(request), install.generation);
    audit.record(actorOf(request), `install.${kind}`, install.id, { job: job.id, ...detail });
    reconciler.enqueue(install.id);
    return { install: reply(store.installs.get(install.id) ?? install), job };
  };

  app.get(
    '/api/installs',
    {
      schema: {
        summary: 'Every install with its status',
        response: { 200: T.Array(InstallReply) },
      },
    },
    async () => store.installs.list().map(reply),
  );

  app.get(
    '/api/installs/:id',
    {
      schema: {
        summary: 'One install with its status',
        params: IdParams,
        response: { 200: InstallReply },
      },
    },
    async (request) => reply(find((request.params as { id: string }).id)),
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
      };
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
      if (store.installs.get(id)) throw new Errors.Conflict(`an install "${id}" exists already`);
      const accepted = checkAccepted(entry, body.acceptPermissions ?? [], 'install');
      const resolved = resolveSettings(entry.manifest, body.settings ?? {});
      if (resolved.problems.length > 0) {
        throw invalidSettings(resolved.problems);
      }
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
      const install = store.installs.create(fields);
      return res.status(202).send(startJob('install', install, request));
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
      const install = find((request.params as { id: string }).id);
      // Settings are checked against the definition the install runs, not the catalogue's.
      const entry = pinnedOf(install);
      const previous = { settings: install.settings, secrets: store.installs.secrets(install.id) };
      const resolved = resolveSettings(
        entry.manifest,
        (request.body as { settings: Record<string, unknown> }).settings,
        previous,
      );
      if (resolved.problems.length > 0) {
        throw invalidSettings(resolved.problems);
      }
      checkRenders(app.foyer.dataDir, entry, {
        ...install,
        appDir: entry.dir,
        settings: resolved.settings,
        secrets: resolved.secrets,
      });
      const updated = store.installs.update(install.id, {
        settings: resolved.settings,
        secrets: resolved.secrets,
      });
      return res.status(202).send(startJob('reconfigure', updated, request));
    },
  );

  const action = (verb: 'start' | 'stop' | 'restart', apply: (install: Install) => Install) =>
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
        const install = apply(find((request.params as { id: string }).id));
        return res.status(202).send(startJob(verb, install, request));
      },
    );
  action('start', (i) => store.installs.setDesired(i.id, 'running'));
  action('stop', (i) => store.installs.setDesired(i.id, 'stopped'));
  // A restart changes no setting, but bumps the generation so its job waits for a reconcile
  // that saw the request, not one already under way. Update is in updates.ts.
  action('restart', (i) => {
    const bumped = store.installs.update(i.id, {});
    reconciler.requestRestart(i.id);
    return bumped;
  });

  app.delete(
    '/api/installs/:id',
    {
      schema: {
        summary: 'Uninstall (a job); purge also deletes its data',
        params: IdParams,
        querystring: T.Object({ purge: T.Optional(T.Boolean()) }, { additionalProperties: false }),
        response: { 202: JobAccepted },
      },
    },
    async (request, res) => {
      const install = find((request.params as { id: string }).id);
      const purge = (request.query as { purge?: boolean }).purge === true;
      const updated = store.installs.setDesired(install.id, 'absent', { purge });
      return res.status(202).send(startJob('uninstall', updated, request));
    },
  );

  updateRoutes(app, { find, startJob, describePermission });
}
