/** `POST /api/images/prune`: removes the images Foyer built that nothing needs (admins only). */
import { Type as T } from '@sinclair/typebox';
import type { FastifyInstance } from 'fastify';
import { EngineUnreachableError } from '../docker/adapter.js';
import { Errors } from '../errors.js';
import { instanceId } from '../paths.js';
import { instanceFilter } from '../reconcile/desired.js';
import { pruneBuiltImages } from '../reconcile/images.js';

const PruneReply = T.Object({
  removed: T.Array(
    T.Object({ id: T.String(), tags: T.Array(T.String()), install: T.Optional(T.String()) }),
  ),
});

export default async function imagesRoutes(app: FastifyInstance) {
  const { docker, store, dataDir, audit } = app.foyer;

  app.post(
    '/api/images/prune',
    {
      schema: {
        summary: 'Remove the images Foyer built that no install and no container uses',
        response: { 200: PruneReply },
      },
    },
    async (request) => {
      // An install being removed still needs nothing: its purge removes its own images.
      const installs = new Set(
        store.installs
          .list()
          .filter((i) => i.desired !== 'absent')
          .map((i) => i.id),
      );
      try {
        const removed = await pruneBuiltImages(
          docker,
          instanceFilter(instanceId(dataDir)),
          installs,
        );
        audit.record(request.actor?.username ?? 'unknown', 'images.pruned', undefined, {
          removed: removed.map((r) => r.tags[0] ?? r.id),
        });
        return { removed };
      } catch (error) {
        if (error instanceof EngineUnreachableError)
          throw new Errors.EngineUnreachable(error.message);
        throw error;
      }
    },
  );
}
