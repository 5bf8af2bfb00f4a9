/** `GET /api/health`: public liveness probe, with whether the Docker engine answers. */
import { Type as T } from '@sinclair/typebox';
import type { FastifyInstance } from 'fastify';

export default async function healthRoutes(app: FastifyInstance) {
  app.get(
    '/api/health',
    {
      config: { public: true },
      schema: {
        summary: 'Liveness probe',
        response: { 200: T.Object({ status: T.Literal('ok'), engine: T.String() }) },
      },
    },
    async () => ({
      status: 'ok' as const,
      engine: app.foyer.reconciler.reachable ? 'reachable' : 'unreachable',
    }),
  );
}
