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
import { EDGE_PEER } from './access/edge-socket.js';
import { trustOnly } from './access/proxy.js';
import basicRoutes from './auth/basic-routes.js';
import { LoginGuard, type LoginLimits } from './auth/login-guard.js';
import authPlugin from './auth/plugin.js';
import { type RouteEntry, type RouteRole, routeRole } from './auth/roles.js';
import authRoutes from './auth/routes.js';
import type { BackupService } from './backup/service.js';
import type { BackupStore } from './backup/store.js';
import type { PinnedDefinitions } from './catalog/pins.js';
import type { Catalog } from './catalog/service.js';
import autoconfigRoutes from './directory/autoconfig-routes.js';
import { type MemberDataQueue, memberDataQueue } from './directory/member-data-queue.js';
import pendingDataRoutes from './directory/pending-data-routes.js';
import directoryRoutes, { type DirectoryAccess } from './directory/routes.js';
import type { DockerAdapter } from './docker/adapter.js';
import type { EdgeService } from './edge/service.js';
import type { EventHub } from './events.js';
import type { JobRunner } from './jobs/runner.js';
import oidcRoutes from './oidc/routes.js';
import type { OidcService } from './oidc/service.js';
import access, { type AccessOptions, accessFromEnv } from './plugins/access.js';
import errorHandler from './plugins/error-handler.js';
import { lazySchemas } from './plugins/lazy-schemas.js';
import openapi from './plugins/openapi.js';
import uiRoutes from './plugins/ui.js';
import type { Reconciler } from './reconcile/reconciler.js';
import type { ResourceMonitor } from './resources/monitor.js';
import appsRoutes from './routes/apps.js';
import backupRoutes from './routes/backup.js';
import domainRoutes from './routes/domain.js';
import eventsRoutes from './routes/events.js';
import healthRoutes from './routes/health.js';
import hostRoutes from './routes/host.js';
import imagesRoutes from './routes/images.js';
import installsRoutes from './routes/installs.js';
import jobsRoutes from './routes/jobs.js';
import keptDataRoutes from './routes/kept-data.js';
import logsRoutes from './routes/logs.js';
import resourcesRoutes from './routes/resources.js';
import type { AuditLog } from './store/audit.js';
import type { Store } from './store/index.js';
import type { UpdateOffers } from './store/update-offers.js';
import type { AutoUpdates } from './updates/auto-updates.js';
import type { DebianChecks } from './updates/debian-check.js';
import type { UpdateDriver } from './updates/driver.js';

/** The long-lived parts every route may use; one instance per daemon. */
export interface FoyerServices {
  dataDir: string;
  store: Store;
  docker: DockerAdapter;
  reconciler: Reconciler;
  catalog: Catalog;
  /** The pinned app definitions installs render from (issue 17). */
  pins: PinnedDefinitions;
  hub: EventHub;
  jobs: JobRunner;
  audit: AuditLog;
  /** Per-install CPU, memory and disk, sampled from cgroups (issue 12 §4). */
  resources: ResourceMonitor;
  /** Backups (issue 15): targets, snapshots, restore, the nightly schedule. */
  backup: BackupService;
  backups: BackupStore;
  /** Updates that roll back (issue 15): drives update jobs through their phases. */
  updates: UpdateDriver;
  /** The directory (issue 14): members in the store, kept in step with slapd. Absent in tests. */
  directory?: DirectoryAccess;
  /** Removed members' data still to delete (issue 14); made unstarted when absent (tests). */
  memberData?: MemberDataQueue;
  /** Single sign-on for web apps (issue 14): the OpenID Connect provider under /oidc. Absent in tests. */
  oidc?: OidcService;
  /** Debian's updates found for built images, and each install's automatic-update setting. */
  offers: UpdateOffers;
  /** Checks built images against Debian's archive (daily, and on demand). */
  debianChecks: DebianChecks;
  /** Starts updates by themselves inside each install's window, when it is on. */
  autoUpdates: AutoUpdates;
  /** Names and HTTPS (issue 13): the edge, its config sync and the domain settings. */
  edge?: EdgeService;
  /**
   * Stops serving and starts again on the same data dir (`foyer serve` sets it): how a staged
   * state restore is put in place with nothing serving meanwhile. Absent in in-process tests.
   */
  restart?: () => void;
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
  /** Names and the trusted edge; by default from FOYER_HOSTNAMES and FOYER_TRUSTED_PROXY. */
  access?: AccessOptions;
  /** Sign-in limits other than the defaults (server/auth/login-guard.ts). */
  loginLimits?: Partial<LoginLimits>;
};

/** Builds the app around the daemon's services; the caller listens. */
export async function buildApp(services: FoyerServices, options: AppOptions = {}) {
  const accessOptions = options.access ?? accessFromEnv();
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
    // X-Forwarded-* are the client's words, not facts: read only from the configured edge, and
    // only as the connection's direct peer (server/access/proxy.ts).
    // The edge socket's peer (server/access/edge-socket.ts) is always one of them.
    trustProxy: trustOnly([...accessOptions.trustedProxies, EDGE_PEER]),
    // Route schemas are compiled at each route's first request, not at start (issue 12 §5).
    schemaController: lazySchemas,
    ajv: { customOptions: { removeAdditional: false, coerceTypes: 'array', allErrors: true } },
  }).withTypeProvider<TypeBoxTypeProvider>();
  services.memberData ??= memberDataQueue(services);
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
  await app.register(access, { access: accessOptions });
  await app.register(authPlugin);
  await app.register(healthRoutes);
  // One sign-in guard for every door that takes a password (Foyer's sign-in, the edge's Basic
  // check, OIDC's).
  const guard = new LoginGuard({ audit: services.audit, limits: options.loginLimits });
  await app.register(authRoutes, { guard });
  await app.register(basicRoutes, { guard });
  await app.register(appsRoutes);
  await app.register(installsRoutes);
  await app.register(jobsRoutes);
  await app.register(logsRoutes);
  await app.register(keptDataRoutes);
  await app.register(hostRoutes);
  await app.register(resourcesRoutes);
  await app.register(imagesRoutes);
  await app.register(backupRoutes);
  await app.register(directoryRoutes, { loginLimits: options.loginLimits });
  await app.register(pendingDataRoutes);
  await app.register(autoconfigRoutes);
  await app.register(domainRoutes);
  await app.register(oidcRoutes, { guard });
  await app.register(eventsRoutes);
  await app.register(uiRoutes);
  return app;
}
