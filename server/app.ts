/**
 * The daemon's HTTP app as a tree of Fastify plugins (fastify/demo): the
 * shared services are decorated once, then the error handler, the OpenAPI
 * document, authentication, and one plugin per API resource. Every route is
 * schema-first (TypeBox), so validation, types and the OpenAPI document agree.
 */
import type { TypeBoxTypeProvider } from '@fastify/type-provider-typebox';
import Fastify, {
  type FastifyBaseLogger,
  type FastifyServerOptions,
  type RawServerDefault,
} from 'fastify';
import authPlugin from './auth/plugin.js';
import { type RouteEntry, type RouteRole, routeRole } from './auth/roles.js';
import authRoutes from './auth/routes.js';
import type { Catalog } from './catalog/service.js';
import type { DockerAdapter } from './docker/adapter.js';
import type { EventHub } from './events.js';
import type { JobRunner } from './jobs/runner.js';
import errorHandler from './plugins/error-handler.js';
import openapi from './plugins/openapi.js';
import uiRoutes from './plugins/ui.js';
import type { Reconciler } from './reconcile/reconciler.js';
import appsRoutes from './routes/apps.js';
import eventsRoutes from './routes/events.js';
import healthRoutes from './routes/health.js';
import hostRoutes from './routes/host.js';
import installsRoutes from './routes/installs.js';
import jobsRoutes from './routes/jobs.js';
import keptDataRoutes from './routes/kept-data.js';
import logsRoutes from './routes/logs.js';
import type { AuditLog } from './store/audit.js';
import type { Store } from './store/index.js';

/** The long-lived parts every route may use; one instance per daemon. */
export interface FoyerServices {
  dataDir: string;
  store: Store;
  docker: DockerAdapter;
  reconciler: Reconciler;
  catalog: Catalog;
  hub: EventHub;
  jobs: JobRunner;
  audit: AuditLog;
}

declare module 'fastify' {
  interface FastifyInstance {
    foyer: FoyerServices;
    /** Every route registered, for the route audit and the docs. */
    foyerRoutes: RouteEntry[];
  }
  interface FastifyContextConfig {
    /** Reachable without a session or token: login, first-run setup, health. */
    public?: boolean;
    /**
     * Who may call it once signed in (issue 11 §2); admin when left out, so a route someone
     * forgets to mark is closed to members rather than open.
     */
    role?: RouteRole;
  }
}

export type AppOptions = Pick<FastifyServerOptions, 'logger' | 'serverFactory'> & {
  /** A pino logger to share with the rest of the daemon. */
  loggerInstance?: FastifyBaseLogger;
};

/** Builds the app around the daemon's services; the caller listens. */
export async function buildApp(services: FoyerServices, options: AppOptions = {}) {
  const app = Fastify<RawServerDefault>({
    ...(options.loggerInstance
      ? { loggerInstance: options.loggerInstance }
      : { logger: options.logger ?? { level: process.env.FOYER_LOG_LEVEL ?? 'info' } }),
    ...(options.serverFactory ? { serverFactory: options.serverFactory } : {}),
    connectionTimeout: 30_000,
    requestTimeout: 30_000,
    keepAliveTimeout: 10_000,
    // Event streams and followed logs never end on their own: close them on shutdown.
    forceCloseConnections: true,
    bodyLimit: 256 * 1024,
    // X-Forwarded-For and Host are the client's words, not facts: never trusted.
    trustProxy: false,
    ajv: { customOptions: { removeAdditional: false, coerceTypes: 'array', allErrors: true } },
  }).withTypeProvider<TypeBoxTypeProvider>();
  app.decorate('foyer', services);
  const routes: RouteEntry[] = [];
  app.decorate('foyerRoutes', routes);
  app.addHook('onRoute', (route) => {
    for (const method of [route.method].flat()) {
      if (method === 'HEAD') continue;
      routes.push({
        method,
        url: route.url,
        public: route.config?.public === true,
        role: routeRole(route.config),
      });
    }
  });
  await app.register(errorHandler);
  await app.register(openapi);
  await app.register(authPlugin);
  await app.register(healthRoutes);
  await app.register(authRoutes);
  await app.register(appsRoutes);
  await app.register(installsRoutes);
  await app.register(jobsRoutes);
  await app.register(logsRoutes);
  await app.register(keptDataRoutes);
  await app.register(hostRoutes);
  await app.register(eventsRoutes);
  await app.register(uiRoutes);
  return app;
}
