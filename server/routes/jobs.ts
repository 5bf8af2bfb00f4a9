/** Jobs and their history, and the audit log of who did what. */
import { Type as T } from '@sinclair/typebox';
import type { FastifyInstance } from 'fastify';
import { Errors } from '../errors.js';
import { IdParams, JobReply } from './schemas.js';

const AuditReply = T.Object({
  id: T.Integer(),
  at: T.String(),
  actor: T.String(),
  action: T.String(),
  target: T.Union([T.String(), T.Null()]),
  detail: T.Record(T.String(), T.Unknown()),
});

export default async function jobsRoutes(app: FastifyInstance) {
  const { store, audit } = app.foyer;
  const { jobRepository } = await import('../store/jobs.js');
  const jobs = jobRepository(store.db);

  app.get(
    '/api/jobs',
    {
      schema: {
        summary: 'Jobs, newest first',
        querystring: T.Object({
          install: T.Optional(T.String({ maxLength: 64 })),
          limit: T.Optional(T.Integer({ minimum: 1, maximum: 500 })),
        }),
        response: { 200: T.Array(JobReply) },
      },
    },
    async (request) => {
      const q = request.query as { install?: string; limit?: number };
      return jobs.list({ installId: q.install, limit: q.limit ?? 100 });
    },
  );

  app.get(
    '/api/jobs/:id',
    { schema: { summary: 'One job', params: IdParams, response: { 200: JobReply } } },
    async (request) => {
      const id = (request.params as { id: string }).id;
      const job = jobs.get(id);
      if (!job) throw new Errors.JobNotFound(id);
      return job;
    },
  );

  app.get(
    '/api/audit',
    {
      schema: {
        summary: 'The audit log, newest first (admins)',
        querystring: T.Object({
          limit: T.Optional(T.Integer({ minimum: 1, maximum: 1000 })),
          before: T.Optional(T.Integer()),
        }),
        response: { 200: T.Array(AuditReply) },
      },
    },
    async (request) => audit.list(request.query as { limit?: number; before?: number }),
  );
}
