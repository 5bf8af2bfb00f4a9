/**
 * `foyer serve`: the daemon. The HTTP API (and later the UI) on FOYER_PORT,
 * the same app on the local unix socket `$FOYER_DATA_DIR/foyer.sock` (mode
 * 0600) for the CLI, and the reconciler keeping installs converged. Explicit
 * timeouts and a graceful close on SIGINT/SIGTERM (fastify/demo server.ts):
 * no new work, the passes in flight finish or are abandoned after 10 s (they
 * converge at the next start), the socket and pid files go, exit code 0.
 * A second daemon on the same data dir or port says so in one line and
 * exits 1, before it touches the store or the socket of the one running.
 */
import { chmodSync, mkdirSync, rmSync, writeFileSync } from 'node:fs';
import { createServer, request, type Server } from 'node:http';
import { setFlagsFromString } from 'node:v8';
import { BridgeGuard } from './access/bridges.js';
import { createEdgeServer, listenEdgeSocket } from './access/edge-socket.js';
import { reachableUrls } from './addresses.js';
import { buildApp } from './app.js';
import { readSetupCode, setupCodePath } from './auth/setup-code.js';
import { applyStagedState } from './backup/state-restore.js';
import { startBanner } from './banner.js';
import { SHUTDOWN_DRAIN_MS, startDaemon } from './daemon.js';
import { edgeAdminDir, edgeDaemonSocket } from './edge/paths.js';
import { createLocalServer } from './local-socket.js';
import { createLogger } from './log.js';
import { defaultDataDir, pidPath, socketPath } from './paths.js';
import { accessFromEnv } from './plugins/access.js';
import type { ExecutionEvent } from './reconcile/execute.js';

/** How often the Docker subnets refused at the socket are read again. */
const BRIDGE_REFRESH_MS = 10_000;

/** True when a daemon answers on the unix socket at `path`. */
function socketAnswers(path: string): Promise<boolean> {
  return new Promise((resolve) => {
    const req = request({ socketPath: path, path: '/api/health', timeout: 2000 }, (res) => {
      res.resume();
      resolve(true);
    });
    req.on('timeout', () => req.destroy());
    req.on('error', () => resolve(false));
    req.end();
  });
}

/** Says why the daemon cannot start, in one line, and returns the exit code. */
function refuse(message: string): number {
  process.stderr.write(`foyer serve: ${message}\n`);
  return 1;
}

/** Runs the daemon until SIGINT/SIGTERM; returns the exit code. */
export async function serve(): Promise<number> {
  const started = performance.now();
  const dataDir = defaultDataDir();
  mkdirSync(dataDir, { recursive: true, mode: 0o700 });
  const sock = socketPath(dataDir);
  // Checked before the store is opened: a second daemon would mark the first one's jobs
  // interrupted and take its socket.
  if (await socketAnswers(sock)) {
    return refuse(`Foyer is already running with the data folder ${dataDir} (${sock} answers)`);
  }
  const log = createLogger();
  // A state restore staged before a restart (or a crash) goes in place before the store opens.
  const applied = applyStagedState(dataDir);
  if (applied) log.info({ snapshot: applied }, "Foyer's state restored from a backup");
  const resyncMs = process.env.FOYER_RESYNC_MS ? Number(process.env.FOYER_RESYNC_MS) : undefined;
  // Tests look for due automatic updates and backups every second instead of every minute.
  const tick = process.env.FOYER_AUTO_UPDATE_TICK_MS;
  const backupTickMs = process.env.FOYER_BACKUP_TICK_MS
    ? Number(process.env.FOYER_BACKUP_TICK_MS)
    : undefined;
  const daemon = await startDaemon({
    dataDir,
    resyncMs,
    backupTickMs,
    ...(tick ? { autoUpdateTickMs: Number(tick) } : {}),
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
  let edgeServer: Server | undefined;
  const app = await buildApp(daemon, {
    loggerInstance: log,
    access,
    serverFactory: (handler) => {
      local = createLocalServer(handler);
      edgeServer = createEdgeServer(handler);
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
  try {
    await app.listen({ port, host });
  } catch (error) {
    const code = (error as NodeJS.ErrnoException).code;
    if (code !== 'EADDRINUSE' && code !== 'EADDRNOTAVAIL' && code !== 'EACCES') throw error;
    bridges?.stop();
    await app.close();
    await daemon.close();
    const why =
      code === 'EADDRINUSE'
        ? `port ${port} is already in use (another Foyer, or another program)`
        : code === 'EACCES'
          ? `no permission to listen on port ${port}`
          : `${host} is not an address of this machine`;
    return refuse(`cannot listen on ${host}:${port}: ${why}; set FOYER_PORT or FOYER_HOST`);
  }
  rmSync(sock, { force: true });
  await new Promise<void>((resolve) => local!.listen(sock, resolve));
  chmodSync(sock, 0o600);
  // The edge's way in (issue 13): a network listener in the folder shared with its container.
  mkdirSync(edgeAdminDir(dataDir), { recursive: true, mode: 0o750 });
  await listenEdgeSocket(edgeServer!, edgeDaemonSocket(dataDir));
  writeFileSync(pidPath(dataDir), `${process.pid}\n`, { mode: 0o644 });
  const address = app.server.address();
  const actualPort = typeof address === 'object' && address ? address.port : port;
  const urls = reachableUrls(host, actualPort);
  // Without a domain, the OpenID Connect issuer is the address the banner gives first to other
  // devices, else the local one; known before the first render hands it to apps.
  daemon.oidc.listening(urls.network[0] ?? urls.local);
  // Reconciling starts once the API answers: a first resync renders every install.
  daemon.reconciler.start();
  // The daemon idles on small boards: once started, a 1 MiB young generation and size-first
  // code cost a little GC time and keep ~15 MiB less resident (npm run bench:daemon). Set
  // after start-up, where a small young generation would only add collections.
  setFlagsFromString('--max-semi-space-size=1');
  setFlagsFromString('--optimize-for-size');
  process.stdout.write(
    startBanner({
      ...urls,
      readyMs: Math.round(performance.now() - started),
      setupCode: readSetupCode(dataDir),
      setupCodePath: setupCodePath(dataDir),
    }),
  );
  const signal = await new Promise<NodeJS.Signals | 'restart'>((resolve) => {
    const onSignal = (s: NodeJS.Signals) => resolve(s);
    process.once('SIGINT', onSignal);
    process.once('SIGTERM', onSignal);
    daemon.restart = () => {
      process.removeListener('SIGINT', onSignal);
      process.removeListener('SIGTERM', onSignal);
      resolve('restart');
    };
  });
  const removeFiles = () => {
    rmSync(sock, { force: true });
    rmSync(edgeDaemonSocket(dataDir), { force: true });
    rmSync(pidPath(dataDir), { force: true });
  };
  // Stopping never hangs: a second signal, or a close that outlasts the drain, ends it at once.
  const now = () => {
    removeFiles();
    process.exit(0);
  };
  process.once('SIGINT', now);
  process.once('SIGTERM', now);
  const hang = setTimeout(now, SHUTDOWN_DRAIN_MS + 5000);
  hang.unref();
  log.info({ signal }, 'stopping: no new work; waiting for the passes in flight');
  bridges?.stop();
  local?.close();
  local?.closeAllConnections();
  edgeServer?.close();
  edgeServer?.closeAllConnections();
  await app.close();
  const drained = await daemon.close({ drainMs: SHUTDOWN_DRAIN_MS });
  removeFiles();
  if (signal === 'restart') {
    clearTimeout(hang);
    process.removeListener('SIGINT', now);
    process.removeListener('SIGTERM', now);
    // Passes abandoned still hold the store: the next start (systemd's Restart=on-failure)
    // puts the staged state in place instead.
    if (!drained) {
      log.warn({}, 'stopped with work in flight; start Foyer again to apply the restored state');
      process.exit(1);
    }
    log.info({}, 'restarting');
    return serve();
  }
  if (drained) {
    log.info({}, 'stopped');
    return 0;
  }
  // Jobs still running stay so in the store; the next start marks them interrupted and the
  // reconciler finishes their installs (server/jobs/runner.ts). The engine's requests in flight
  // (a pull, a build) hold sockets open that are not waited for.
  log.warn(
    { drainMs: SHUTDOWN_DRAIN_MS },
    'stopped with work in flight (a pull or a build); it carries on at the next start',
  );
  process.exit(0);
}
