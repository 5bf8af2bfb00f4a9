/**
 * Removed members' data still to delete (issue 14, member-data-queue.ts): what waits and why,
 * and a retry now rather than at the next timer. Admins only (the default role).
 */
import type { FastifyPluginAsyncTypebox } from '@fastify/type-provider-typebox';
import { Type as T } from '@sinclair/typebox';
import { actorOf } from '../auth/plugin.js';
import type { PendingPlace } from './pending-data.js';

const Pending = T.Object({
  member: T.String(),
  install: T.String(),
  service: T.String(),
  volume: T.String(),
  path: T.String(),
  attempts: T.Integer(),
  lastError: T.Union([T.String(), T.Null()]),
  createdAt: T.String(),
  lastAttemptAt: T.Union([T.String(), T.Null()]),
  nextAttemptAt: T.Union([T.String(), T.Null()]),
});
const PendingList = T.Array(Pending);

const reply = ({ id: _, ...place }: PendingPlace) => place;

const pendingDataRoutes: FastifyPluginAsyncTypebox = async (app) => {
  const queue = app.foyer.memberData;
  if (!queue) throw new Error('the member-data queue is missing');

  app.get(
    '/api/members/pending-data',
    {
      schema: {
        summary:
          "Removed members' data still to delete, each place with its tries and last error; the daemon retries them with backoff (admins only)",
        response: { 200: T.Object({ pending: PendingList }) },
      },
    },
    async () => ({ pending: queue.list().map(reply) }),
  );

  app.post(
    '/api/members/pending-data/retry',
    {
      schema: {
        summary:
          "Try now to delete every removed member's pending data; answers what went and what still waits (admins only)",
        response: {
          200: T.Object({ deleted: PendingList, dropped: PendingList, pending: PendingList }),
        },
      },
    },
    async (request) => {
      const outcome = await queue.run({}, actorOf(request).username);
      return {
        deleted: outcome.deleted.map(reply),
        dropped: outcome.dropped.map(reply),
        pending: queue.list().map(reply),
      };
    },
  );
};

export default pendingDataRoutes;
