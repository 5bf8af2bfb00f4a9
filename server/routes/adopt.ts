/**
 * Adopt (issue 12 §2): `GET /api/installs/:id/adopt` lists the objects the
 * install's names point at that this Foyer does not own — owner, whether
 * that owner still runs, and why one would be refused; `POST` takes them
 * over (reconcile/adopt.ts) and starts an `adopt` job that follows the
 * install to running. Objects of a live Foyer, of another app, of a Compose
 * project or of nobody are taken only when `force` names each of them.
 */
import { Type as T } from '@sinclair/typebox';
import type { FastifyInstance } from 'fastify';
import type { PinnedDefinitions } from '../catalog/pins.js';
import { Errors } from '../errors.js';
import { instanceId } from '../paths.js';
import { adopt, planAdoption } from '../reconcile/adopt.js';
import { desiredState, renderProject } from '../reconcile/desired.js';
import type { Install, Store } from '../store/index.js';
import { type InstallChangeContext, withProblems } from './install-checks.js';
import { IdParams, JobAccepted } from './schemas.js';

const Force = T.Array(T.String({ maxLength: 200 }), { maxItems: 100 });

const AdoptionReply = T.Object({
  install: T.String(),
  objects: T.Array(
    T.Object({
      kind: T.String(),
      name: T.String(),
      owner: T.Record(T.String(), T.String()),
      live: T.Optional(T.Boolean()),
      refusal: T.Optional(T.String()),
    }),
  ),
});

export type AdoptRouteContext = InstallChangeContext;

/** The install's objects as this Foyer would make them: their names and volume bodies. */
function desiredOf(install: Install, store: Store, pins: PinnedDefinitions, dataDir: string) {
  const folder = pins.of(install);
  if (!folder) throw new Errors.Conflict(`"${install.id}" has no readable pinned definition`);
  const instance = instanceId(dataDir);
  const record = { ...install, appDir: folder.dir, secrets: store.installs.secrets(install.id) };
  const source = {
    ...folder,
    permissions: folder.manifest.permissions ?? [],
    accounts: folder.manifest.accounts,
  };
  const project = renderProject(record, source, { dataDir, instance });
  return { desired: desiredState(record, project, {}, { instance }), instance };
}

export function adoptRoutes(app: FastifyInstance, ctx: AdoptRouteContext) {
  const { store, pins, dataDir, docker, jobs, reconciler } = app.foyer;

  const plan = async (install: Install, force: string[]) => {
    const { desired, instance } = desiredOf(install, store, pins, dataDir);
    const planned = await planAdoption(docker, desired, { instance, app: install.appId, force });
    return { desired, planned };
  };

  app.get(
    '/api/installs/:id/adopt',
    {
      schema: {
        summary: 'The objects adopting would take over from another owner, and any refusal',
        params: IdParams,
        querystring: T.Object({ force: T.Optional(T.String({ maxLength: 4000 })) }),
        response: { 200: AdoptionReply },
      },
    },
    async (request) => {
      const install = ctx.find((request.params as { id: string }).id);
      const force = (request.query as { force?: string }).force?.split(',').filter(Boolean);
      return (await plan(install, force ?? [])).planned;
    },
  );

  app.post(
    '/api/installs/:id/adopt',
    {
      schema: {
        summary: 'Take over the objects of a lost Foyer (or, forced, of anyone) for this install',
        params: IdParams,
        body: T.Union([
          T.Object({ force: T.Optional(Force) }, { additionalProperties: false }),
          T.Null(),
        ]),
        response: { 202: JobAccepted },
      },
    },
    async (request, res) => {
      const install = ctx.find((request.params as { id: string }).id);
      const force = (request.body as { force?: string[] } | null)?.force ?? [];
      // Checked before the engine is touched; admitted again, in its transaction, after.
      if (jobs.runningFor(install.id))
        throw new Errors.Conflict(
          `a job is already running for "${install.id}"; wait for it to end`,
        );
      const { desired, planned } = await plan(install, force);
      const refused = planned.objects.filter((o) => o.refusal);
      if (refused.length > 0) {
        const problems = refused.map((o) => ({
          path: `${o.kind}:${o.name}`,
          message: `not taken: ${o.refusal}; name it with --force to take it anyway`,
        }));
        throw withProblems(
          new Errors.Conflict(problems.map((p) => `${p.path}: ${p.message}`).join('; ')),
          problems,
        );
      }
      if (planned.objects.length === 0)
        throw new Errors.BadRequest(
          `nothing to adopt: every object of "${install.id}" is this Foyer's or absent`,
        );
      await reconciler.hold(install.id, () => adopt(docker, planned, desired));
      const taken = planned.objects.map((o) => ({
        kind: o.kind,
        name: o.name,
        owner: o.owner,
        ...(o.live === undefined ? {} : { live: o.live }),
      }));
      const changed = ctx.changeInstall(
        'adopt',
        install.id,
        request,
        () => store.installs.update(install.id, {}),
        { taken, forced: force },
      );
      reconciler.enqueue(install.id);
      return res.status(202).send(ctx.jobAccepted(changed));
    },
  );
}
