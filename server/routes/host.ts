/**
 * Host facts for the dashboard: CPU, memory, the disk where the engine keeps images and volumes,
 * and the Docker engine. Free memory and disk are the figures install admission checks against.
 */
import { cpus, loadavg, totalmem } from 'node:os';
import { Type as T } from '@sinclair/typebox';
import type { FastifyInstance } from 'fastify';
import { freeResources } from '../resources/requirements.js';

const HostReply = T.Object({
  cpu: T.Object({ model: T.String(), cores: T.Integer(), load: T.Array(T.Number()) }),
  memory: T.Object({ total: T.Integer(), free: T.Integer() }),
  disk: T.Object({ path: T.String(), total: T.Integer(), free: T.Integer() }),
  docker: T.Object({
    reachable: T.Boolean(),
    version: T.Optional(T.String()),
    apiVersion: T.Optional(T.String()),
    hint: T.Optional(T.String()),
  }),
});

export default async function hostRoutes(app: FastifyInstance) {
  app.get(
    '/api/host',
    { schema: { summary: 'Facts about the host', response: { 200: HostReply } } },
    async () => {
      const list = cpus();
      const free = await freeResources(app.foyer.docker, app.foyer.dataDir);
      let docker: { reachable: boolean; version?: string; apiVersion?: string; hint?: string };
      try {
        docker = { reachable: true, ...(await app.foyer.docker.version()) };
      } catch (error) {
        docker = {
          reachable: false,
          hint: `${(error as Error).message} — is the engine running? Try: systemctl start docker (or start dockerd), and check DOCKER_HOST`,
        };
      }
      return {
        cpu: { model: list[0]?.model.trim() ?? 'unknown', cores: list.length, load: loadavg() },
        memory: { total: totalmem(), free: free.memory },
        disk: free.disk,
        docker,
      };
    },
  );
}
