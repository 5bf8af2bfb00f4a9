/**
 * `GET /api/events`: one server-sent event stream of what changes — install
 * status, job state and progress (per-layer pulls, build lines), engine
 * reachability; members get status and engine events only. A new client first gets every install's current status, so
 * it never has to poll. A comment every 15 s keeps proxies from closing it.
 */
import type { FastifyInstance } from 'fastify';
import { MEMBER } from '../auth/roles.js';
import type { HubEvent } from '../events.js';

export default async function eventsRoutes(app: FastifyInstance) {
  app.get(
    '/api/events',
    {
      config: MEMBER,
      schema: { summary: 'Server-sent events: status, jobs, progress (members: status only)' },
    },
    (request, reply) => {
      reply.hijack();
      const res = reply.raw;
      res.writeHead(200, {
        'content-type': 'text/event-stream; charset=utf-8',
        'cache-control': 'no-store',
        connection: 'keep-alive',
        'x-accel-buffering': 'no',
      });
      const send = (event: HubEvent) =>
        res.write(`event: ${event.type}\ndata: ${JSON.stringify(event.data)}\n\n`);
      for (const install of app.foyer.store.installs.list()) {
        const status = app.foyer.reconciler.status(install.id);
        if (status) send({ type: 'status', data: status });
      }
      send({ type: 'engine', data: { reachable: app.foyer.reconciler.reachable } });
      // Jobs and progress are the management of the box (who did what, build output): admins only.
      const member = request.actor?.role !== 'admin';
      const unsubscribe = app.foyer.hub.subscribe((event) => {
        if (!member || event.type === 'status' || event.type === 'engine') send(event);
      });
      const heartbeat = setInterval(() => res.write(': keep-alive\n\n'), 15_000);
      request.raw.on('close', () => {
        clearInterval(heartbeat);
        unsubscribe();
      });
    },
  );
}
