/**
 * An install's CPU, memory and disk (issue 12 §4), admins only (the default role):
 * `GET /api/installs/:id/resources` answers the current figures, its disk and the last hour;
 * `GET /api/installs/:id/resources/events` streams a sample every few seconds while it is open,
 * which is what makes the monitor sample that install more often than once a minute.
 */
import { Type as T } from '@sinclair/typebox';
import type { FastifyInstance } from 'fastify';
import { Errors } from '../errors.js';
import type { ResourcePoint } from '../resources/history.js';
import { IdParams } from './schemas.js';

const Point = T.Object({
  at: T.String({ format: 'date-time' }),
  cpuPercent: T.Union([T.Number(), T.Null()], {
    description:
      'percent of one core since the previous sample (200: two cores busy); null on a first sample',
  }),
  memoryBytes: T.Integer(),
});

export const ResourcesReply = T.Object({
  at: T.String({ format: 'date-time' }),
  cpuPercent: T.Union([T.Number(), T.Null()]),
  memoryBytes: T.Integer(),
  diskBytes: T.Object({
    volumes: T.Integer({ description: "the install's named volumes" }),
    images: T.Integer({
      description: 'the images its containers run (shared layers counted in each)',
    }),
  }),
  history: T.Array(Point, { description: 'one sample a minute, the last hour, oldest first' }),
});

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
