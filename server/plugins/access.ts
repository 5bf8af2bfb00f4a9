/**
 * Who the daemon answers, by name, and how its answers may be kept (issue
 * 11 §4). Runs before authentication on every request:
 * - a Host (or the trusted edge's X-Forwarded-Host) that does not name the
 *   box gets 421, so DNS rebinding cannot make another site's page
 *   same-origin with Foyer; the local unix socket is not checked;
 * - every answer is `nosniff`, and API answers are `no-store` (the token
 *   creation answer holds a token); UI assets keep their own caching.
 * Refusing app containers happens earlier, at the socket (server/access/bridges.ts).
 */
import type { FastifyInstance } from 'fastify';
import fp from 'fastify-plugin';
import { HostAllowList, hostOf, parseHostnames } from '../access/hosts.js';
import { parseTrustedProxies } from '../access/proxy.js';
import { Errors } from '../errors.js';
import { isLocalRequest } from '../local-socket.js';

/** Who may reach the daemon over TCP, beyond its own names and addresses. */
export interface AccessOptions {
  /** Extra names the box is reached by (FOYER_HOSTNAMES). */
  hostnames: string[];
  /** The HTTPS edge's addresses, the only peers whose X-Forwarded-* are read (FOYER_TRUSTED_PROXY). */
  trustedProxies: string[];
}

/** The access options from the environment. */
export function accessFromEnv(env: NodeJS.ProcessEnv = process.env): AccessOptions {
  return {
    hostnames: parseHostnames(env.FOYER_HOSTNAMES),
    trustedProxies: parseTrustedProxies(env.FOYER_TRUSTED_PROXY),
  };
}

function isApi(url: string): boolean {
  return url === '/api' || url.startsWith('/api/') || url.startsWith('/api?');
}

export default fp(
  async (app: FastifyInstance, options: { access: AccessOptions }) => {
    const edge = app.foyer.edge;
    const names = new HostAllowList(options.access.hostnames, undefined, undefined, () =>
      edge ? edge.names() : [],
    );
    app.addHook('onRequest', async (request, reply) => {
      // On the raw response, so answers that bypass Fastify's reply (event and log streams) and
      // errors thrown below carry them too.
      reply.raw.setHeader('x-content-type-options', 'nosniff');
      if (isApi(request.url)) reply.raw.setHeader('cache-control', 'no-store');
      if (isLocalRequest(request.raw)) return;
      if (!names.allows(request.host)) {
        throw new Errors.UnknownHost(
          `this box does not answer to the name "${hostOf(request.host)}"; ` +
            'use its address or host name, or add the name to FOYER_HOSTNAMES',
        );
      }
    });
  },
  { name: 'access', dependencies: ['error-handler'] },
);
