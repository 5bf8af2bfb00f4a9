/**
 * `GET /api/installs/:id/logs`: the last lines of each service's container,
 * prefixed with the service name, optionally with Docker's timestamps, and
 * optionally followed until the client goes away.
 */
import { Type as T } from '@sinclair/typebox';
import type { FastifyInstance } from 'fastify';
import { Errors } from '../errors.js';
import { IdParams } from './schemas.js';

const Query = T.Object(
  {
    tail: T.Optional(T.Integer({ minimum: 0, maximum: 10_000 })),
    follow: T.Optional(T.Boolean()),
    timestamps: T.Optional(T.Boolean()),
    service: T.Optional(T.String({ maxLength: 64 })),
  },
  { additionalProperties: false },
);

export default async function logsRoutes(app: FastifyInstance) {
  app.get(
    '/api/installs/:id/logs',
    {
      schema: {
        summary: "An install's logs (text; follow streams)",
        params: IdParams,
        querystring: Query,
      },
    },
    async (request, reply) => {
      const id = (request.params as { id: string }).id;
      const q = request.query as {
        tail?: number;
        follow?: boolean;
        timestamps?: boolean;
        service?: string;
      };
      if (!app.foyer.store.installs.get(id)) throw new Errors.InstallNotFound(id);
      const containers = (await app.foyer.docker.listContainers([`foyer.install=${id}`]))
        .filter((c) => !q.service || c.labels['com.docker.compose.service'] === q.service)
        .filter((c) => !c.name.endsWith('-next'));
      if (q.service && containers.length === 0)
        throw new Errors.NotFound(`no container for service "${q.service}"`);
      const abort = new AbortController();
      request.raw.on('close', () => abort.abort());
      reply.hijack();
      const res = reply.raw;
      res.writeHead(200, {
        'content-type': 'text/plain; charset=utf-8',
        'cache-control': 'no-store',
      });
      const width = Math.max(
        0,
        ...containers.map((c) => (c.labels['com.docker.compose.service'] ?? '').length),
      );
      await Promise.all(
        containers.map(async (c) => {
          const service = (c.labels['com.docker.compose.service'] ?? c.name).padEnd(width);
          try {
            for await (const line of app.foyer.docker.logs(c.name, {
              tail: q.tail ?? 200,
              follow: q.follow,
              timestamps: q.timestamps,
              signal: abort.signal,
            })) {
              res.write(`${service} | ${line.text}\n`);
            }
          } catch (error) {
            if (!abort.signal.aborted)
              res.write(`${service} | (logs ended: ${(error as Error).message})\n`);
          }
        }),
      );
      res.end();
    },
  );
}
