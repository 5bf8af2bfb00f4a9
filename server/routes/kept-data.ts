/**
 * `GET /api/kept-data`, `DELETE /api/kept-data/:id` (admins): what
 * uninstalls without purge left behind, and deleting it. A deletion is a
 * job of kind `delete-data` admitted like any install change
 * (jobs/admission.ts), so an install reusing the id meanwhile is refused
 * with 409 rather than handed volumes that are being removed.
 */
import { join } from 'node:path';
import { Type as T } from '@sinclair/typebox';
import type { FastifyInstance, FastifyRequest } from 'fastify';
import { clientAddress } from '../auth/plugin.js';
import { deleteKeptData, type KeptDataSource, listKeptData } from '../data/kept-data.js';
import { Errors } from '../errors.js';
import { admit } from '../jobs/admission.js';
import { instanceId } from '../paths.js';
import { instanceFilter } from '../reconcile/desired.js';
import { jobRepository } from '../store/jobs.js';
import { IdParams, JobReply, KeptDataReply } from './schemas.js';

export default async function keptDataRoutes(app: FastifyInstance) {
  const { store, docker, audit, jobs, dataDir } = app.foyer;
  const jobRows = jobRepository(store.db);
  const source: KeptDataSource = {
    docker,
    mine: instanceFilter(instanceId(dataDir)),
    appsDir: join(dataDir, 'apps'),
    installed: (id) => store.installs.get(id) !== undefined,
  };
  const addressOf = (request: FastifyRequest) =>
    request.actor?.kind === 'local' ? 'local socket' : clientAddress(request);

  app.get(
    '/api/kept-data',
    {
      schema: {
        summary:
          'Data of uninstalled apps, kept until deleted; installing the same id again uses it',
        response: { 200: T.Array(KeptDataReply) },
      },
    },
    async () => listKeptData(source),
  );

  app.delete(
    '/api/kept-data/:id',
    {
      schema: {
        summary: "Delete an uninstalled app's kept data (its volumes and folder)",
        params: IdParams,
        response: { 200: T.Object({ deleted: KeptDataReply, job: JobReply }) },
      },
    },
    async (request) => {
      const id = (request.params as { id: string }).id;
      const kept = (await listKeptData(source)).find((k) => k.install === id);
      if (!kept) throw new Errors.NotFound(`no kept data for "${id}"`);
      const { job } = admit(
        { db: store.db, jobs: jobRows, audit },
        {
          kind: 'delete-data',
          installId: id,
          actor: request.actor?.username ?? 'unknown',
          address: addressOf(request),
          detail: { app: kept.app, volumes: kept.volumes },
        },
        () => {
          if (store.installs.get(id)) {
            throw new Errors.Conflict(`"${id}" is installed; its data is in use`);
          }
        },
      );
      try {
        const deleted = await deleteKeptData(source, id);
        return { deleted, job: jobs.end(job, 'succeeded') };
      } catch (error) {
        jobs.end(job, 'failed', (error as Error).message);
        throw error;
      }
    },
  );
}
