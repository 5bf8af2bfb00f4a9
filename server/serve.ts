/**
 * `foyer serve`: the daemon. The HTTP API (and later the UI) on FOYER_PORT,
 * the same app on the local unix socket `$FOYER_DATA_DIR/foyer.sock` (mode
 * 0600) for the CLI, and the reconciler keeping installs converged. Explicit
 * timeouts and a graceful close on SIGINT/SIGTERM (fastify/demo server.ts).
 */
import { chmodSync, mkdirSync, rmSync } from 'node:fs';
import { createServer, type Server } from 'node:http';
import { setFlagsFromString } from 'node:v8';
import pino from 'pino';
import { BridgeGuard } from './access/bridges.js';
import { buildApp } from './app.js';
import { startDaemon } from './daemon.js';
import { createLocalServer } from './local-socket.js';
import { defaultDataDir, socketPath } from './paths.js';
import { accessFromEnv } from './plugins/access.js';
import type { ExecutionEvent } from './reconcile/execute.js';

/** How often the Docker subnets refused at the socket are read again. */
const BRIDGE_REFRESH_MS = 10_000;

/** Runs the daemon until SIGINT/SIGTERM; returns the exit code. */
export async function serve(): Promise<number> {
  const started = performance.now();
  const dataDir = defaultDataDir();
  mkdirSync(dataDir, { recursive: true, mode: 0o700 });
  const log = pino({ level: process.env.FOYER_LOG_LEVEL ?? 'info' });
  const resyncMs = process.env.FOYER_RESYNC_MS ? Number(process.env.FOYER_RESYNC_MS) : undefined;
  const daemon = await startDaemon({
    dataDir,
    resyncMs,
    log,
    dockerHost: process.env.DOCKER_HOST,
    start: false,
  });
  const access = accessFromEnv();
  // On every address by default, but never to app containers (issue 11 §4); an explicit
  // FOYER_HOST is the admin's choice of where to answer and is not filtered.
  const explicitHost = process.env.FOYER_HOST || undefined;
  const host = explicitHost ?? '0.0.0.0';
  const bridges =
    explicitHost === undefined
      ? new BridgeGuard({
          listNetworks: () => daemon.docker.listNetworks([]),
          exempt: access.trustedProxies,
          log,
        })
      : undefined;
  let local: Server | undefined;
  const app = await buildApp(daemon, {
    loggerInstance: log,
    access,
    serverFactory: (handler) => {
      local = createLocalServer(handler);
      const server = createServer(handler);
      bridges?.guard(server);
      return server;
    },
  });
  const port = Number(process.env.FOYER_PORT ?? 8420);
  if (bridges) {
    await bridges.refresh();
    bridges.start(BRIDGE_REFRESH_MS);
    // A new app network is covered before the plan's next step creates its containers.
    daemon.reconciler.on('progress', (event: ExecutionEvent) => {
      if (
        event.kind === 'step' &&
        event.phase === 'done' &&
        event.operation.kind === 'CreateNetwork'
      )
        void bridges.refresh();
    });
    log.info({ subnets: bridges.refusedSubnets }, 'refusing connections from Docker networks');
  }
  await app.listen({ port, host });
  const sock = socketPath(dataDir);
  rmSync(sock, { force: true });
  await new Promise<void>((resolve) => local!.listen(sock, resolve));
  chmodSync(sock, 0o600);
  // Reconciling starts once the API answers: a first resync renders every install.
  daemon.reconciler.start();
  // The daemon idles on small boards: once started, a 1 MiB young generation and size-first
  // code cost a little GC time and keep ~15 MiB less resident (npm run bench:daemon). Set
  // after start-up, where a small young generation would only add collections.
  setFlagsFromString('--max-semi-space-size=1');
  setFlagsFromString('--optimize-for-size');
  const address = app.server.address();
  const actualPort = typeof address === 'object' && address ? address.port : port;
  const shown = host === '0.0.0.0' ? 'localhost' : host;
  process.stdout.write(
    `Foyer is running at http://${shown}:${actualPort}/ (ready in ${Math.round(performance.now() - started)} ms)\n`,
  );
  await new Promise<void>((resolve) => {
    process.once('SIGINT', () => resolve());
    process.once('SIGTERM', () => resolve());
  });
  bridges?.stop();
  local?.close();
  await app.close();
  await daemon.close();
  rmSync(sock, { force: true });
  return 0;
}
