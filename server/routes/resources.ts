/**
 * An install's CPU, memory and disk (issue 12 §4), admins only (the default role):
 * `GET /api/installs/:id/resources` answers the current figures, its disk and the last hour;
 * `GET /api/installs/:id/resources/events` streams a sample every few seconds while it is open,
 * which is what makes the monitor sample that install more often than once a minute.
 */
import type { FastifyInstance } from 'fastify';
import { Errors } from '../errors.js';
import type { ResourcePoint } from '../resources/history.js';
import { IdParams, ResourcesReply } from './schemas.js';

const pointView = (p: ResourcePoint) => ({
  at: new Date(p.at).toISOString(),
  cpuPercent: p.cpuPercent,
  memoryBytes: p.memoryBytes,
});

export default async function resourcesRoutes(app: FastifyInstance) {
  const { store, resources } = app.foyer;
  const find = (id: string) => {
    if (!store.installs.get(id)) throw new Errors.InstallNotFound(id);
    return id;
  };

  app.get(
    '/api/installs/:id/resources',
    {
      schema: {
        summary: "An install's CPU, memory, disk and the last hour of CPU and memory",
        params: IdParams,
        response: { 200: ResourcesReply },
      },
    },
    async (request) => {
      const id = find((request.params as { id: string }).id);
      const [usage, disk] = await Promise.all([resources.usage(id), resources.disk(id)]);
      return {
        ...pointView(usage.current),
        diskBytes: disk,
        history: usage.history.map(pointView),
      };
    },
  );

  app.get(
    '/api/installs/:id/resources/events',
    {
      schema: {
        summary: "Server-sent events: the install's CPU and memory every few seconds while open",
        params: IdParams,
      },
    },
    (request, reply) => {
      const id = find((request.params as { id: string }).id);
      reply.hijack();
      const res = reply.raw;
      res.writeHead(200, {
        'content-type': 'text/event-stream; charset=utf-8',
        'cache-control': 'no-store',
        connection: 'keep-alive',
        'x-accel-buffering': 'no',
      });
      res.write(': sampling\n\n');
      const unwatch = resources.watch(id, (point) =>
        res.write(`event: resources\ndata: ${JSON.stringify(pointView(point))}\n\n`),
      );
      request.raw.on('close', unwatch);
    },
  );
}
