/**
 * Installs: create (settings checked, permissions accepted exactly, the app
 * rendered once before anything is stored), read, reconfigure, start, stop,
 * restart, update, uninstall. Each change writes the desired state, records
 * who did it, and returns a job that follows the reconciler; bad input gets a
 * path-qualified 4xx and changes nothing.
 */
import { Type as T } from '@sinclair/typebox';
import type { FastifyInstance, FastifyRequest } from 'fastify';
import { ComposeError, formatProblem } from '../../compose/index.js';
import type { CatalogEntry } from '../catalog/catalog.js';
import { resolveSettings } from '../catalog/settings.js';
import { Errors } from '../errors.js';
import { type InstallRecord, renderProject } from '../reconcile/desired.js';
import { normalisePermission } from '../security/permissions.js';
import { INSTALL_ID_PATTERN, type Install } from '../store/index.js';
import type { JobKind } from '../store/jobs.js';
import { IdParams, InstallReply, JobReply } from './schemas.js';

/** Settings as the API takes them; the catalogue entry's own checks run after this. */
export const SettingsBody = T.Record(
  T.String({ maxLength: 64 }),
  T.Union([T.String({ maxLength: 4096 }), T.Number(), T.Boolean()]),
);

const CreateBody = T.Object(
  {
    app: T.String({ maxLength: 64 }),
    id: T.Optional(T.String({ maxLength: 64 })),
    settings: T.Optional(SettingsBody),
    acceptPermissions: T.Optional(T.Array(T.String({ maxLength: 512 }), { maxItems: 100 })),
  },
  { additionalProperties: false },
);

const JobAccepted = T.Object({ install: InstallReply, job: JobReply });

/** A problem list as a 400 the error handler passes through. */
function invalid(
  error: InstanceType<typeof Errors.InvalidSettings>,
  problems: { path: string; message: string }[],
) {
  return Object.assign(error, { problems });
}

/** A 400 FOYER_INVALID_SETTINGS listing every problem, in the message and as `problems`. */
function invalidSettings(problems: { path: string; message: string }[]) {
  const message = problems.map(formatProblem).join('; ');
  return invalid(new Errors.InvalidSettings(message), problems);
}

export default async function installsRoutes(app: FastifyInstance) {
  const { store, catalog, reconciler, jobs, audit } = app.foyer;
  const actorOf = (request: FastifyRequest) => request.actor?.username ?? 'unknown';

  const reply = (install: Install) => {
    const manifest = catalog.get(install.appId)?.manifest;
    const hidden = new Set(
      (manifest?.settings ?? []).filter((s) => s.type === 'password').map((s) => s.key),
    );
    return {
      id: install.id,
      app: install.appId,
      settings: Object.fromEntries(
        Object.entries(install.settings).filter(([k]) => !hidden.has(k)),
      ),
      acceptedPermissions: install.acceptedPermissions,
      desired: install.desired,
      web: manifest?.web ?? null,
      status: reconciler.status(install.id) ?? null,
      createdAt: install.createdAt,
      updatedAt: install.updatedAt,
    };
  };

  const find = (id: string) => {
    const install = store.installs.get(id);
    if (!install) throw new Errors.InstallNotFound(id);
    return install;
  };

  /** Renders the app with these values, so a broken combination is refused before it is stored. */
  const checkRenders = (entry: CatalogEntry, record: InstallRecord) => {
    try {
      renderProject(
        record,
        { ...entry, permissions: entry.manifest.permissions ?? [] },
        { dataDir: app.foyer.dataDir },
      );
    } catch (error) {
      if (!(error instanceof ComposeError)) throw error;
      throw invalidSettings(error.problems);
    }
  };

  const startJob = (kind: JobKind, install: Install, request: FastifyRequest) => {
    if (jobs.runningFor(install.id))
      throw new Errors.Conflict(`a job is already running for "${install.id}"`);
    const job = jobs.start(kind, install.id, actorOf(request), install.generation);
    audit.record(actorOf(request), `install.${kind}`, install.id, { job: job.id });
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
      const entry = catalog.get(body.app);
      if (!entry) throw new Errors.AppNotFound(body.app);
      const id = body.id ?? entry.manifest.id;
      if (!INSTALL_ID_PATTERN.test(id)) {
        throw invalid(new Errors.InvalidId('id: use 1 to 40 lowercase letters, digits and "-"'), [
          {
            path: 'id',
            message:
              'use 1 to 40 lowercase letters, digits and "-", starting with a letter or digit',
          },
        ]);
      }
      if (store.installs.get(id)) throw new Errors.Conflict(`an install "${id}" exists already`);
      const declared = (entry.manifest.permissions ?? []).map((p) => normalisePermission(p) ?? p);
      const accepted = (body.acceptPermissions ?? []).map((p) => normalisePermission(p) ?? p);
      const missing = declared.filter((p) => !accepted.includes(p));
      const extra = accepted.filter((p) => !declared.includes(p));
      if (missing.length > 0 || extra.length > 0) {
        const problems = [
          ...missing.map((p) => ({
            path: 'acceptPermissions',
            message: `the app needs "${p}"; accept it to install`,
          })),
          ...extra.map((p) => ({
            path: 'acceptPermissions',
            message: `the app does not ask for "${p}"`,
          })),
        ];
        throw invalid(
          new Errors.PermissionsNotAccepted(problems.map((p) => p.message).join('; ')),
          problems,
        );
      }
      const resolved = resolveSettings(entry.manifest, body.settings ?? {});
      if (resolved.problems.length > 0) {
        throw invalidSettings(resolved.problems);
      }
      const fields = {
        id,
        appId: entry.manifest.id,
        appDir: entry.dir,
        settings: resolved.settings,
        secrets: resolved.secrets,
        acceptedPermissions: accepted,
      };
      checkRenders(entry, { ...fields, desired: 'running', purge: false, generation: 1 });
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
      const entry = catalog.get(install.appId);
      if (!entry) throw new Errors.AppNotFound(install.appId);
      const previous = { settings: install.settings, secrets: store.installs.secrets(install.id) };
      const resolved = resolveSettings(
        entry.manifest,
        (request.body as { settings: Record<string, unknown> }).settings,
        previous,
      );
      if (resolved.problems.length > 0) {
        throw invalidSettings(resolved.problems);
      }
      checkRenders(entry, { ...install, settings: resolved.settings, secrets: resolved.secrets });
      const updated = store.installs.update(install.id, {
        settings: resolved.settings,
        secrets: resolved.secrets,
      });
      return res.status(202).send(startJob('reconfigure', updated, request));
    },
  );

  const action = (
    verb: 'start' | 'stop' | 'restart' | 'update',
    apply: (install: Install) => Install,
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
        const install = apply(find((request.params as { id: string }).id));
        return res.status(202).send(startJob(verb, install, request));
      },
    );
  action('start', (i) => store.installs.setDesired(i.id, 'running'));
  action('stop', (i) => store.installs.setDesired(i.id, 'stopped'));
  // A restart or update changes no setting, but bumps the generation so its job waits for a
  // reconcile that saw the request, not one already under way.
  action('restart', (i) => {
    const bumped = store.installs.update(i.id, {});
    reconciler.requestRestart(i.id);
    return bumped;
  });
  action('update', (i) => {
    const bumped = store.installs.update(i.id, {});
    reconciler.requestUpdate(i.id);
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
}
