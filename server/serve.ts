/**
 * `foyer serve`: the daemon. The HTTP server answers a health probe (the API
 * and the UI arrive with later issues) while the reconciler keeps the
 * installs converged. Explicit timeouts and a graceful close on
 * SIGINT/SIGTERM, as fastify/demo's server.ts does.
 */
import Fastify from 'fastify';
import { type Daemon, defaultDataDir, startDaemon } from './daemon.js';

/** Builds the daemon's Fastify instance (no listening). */
export function buildApp(daemon?: Daemon) {
  const app = Fastify({
    logger: { level: process.env.FOYER_LOG_LEVEL ?? 'info' },
    connectionTimeout: 30_000,
    requestTimeout: 30_000,
    bodyLimit: 1024 * 1024,
  });
  app.get('/api/health', async () => ({
    status: 'ok',
    engine: daemon === undefined || daemon.reconciler.reachable ? 'reachable' : 'unreachable',
  }));
  return app;
}

/** Runs the daemon on FOYER_PORT (default 8420) until SIGINT/SIGTERM; returns the exit code. */
export async function serve(): Promise<number> {
  const dataDir = defaultDataDir();
  const resyncMs = process.env.FOYER_RESYNC_MS ? Number(process.env.FOYER_RESYNC_MS) : undefined;
  const logger = Fastify({ logger: { level: process.env.FOYER_LOG_LEVEL ?? 'info' } }).log;
  const daemon = await startDaemon({ dataDir, resyncMs, log: logger });
  const app = buildApp(daemon);
  const port = Number(process.env.FOYER_PORT ?? 8420);
  const host = process.env.FOYER_HOST ?? '0.0.0.0';
  await app.listen({ port, host });
  process.stdout.write(
    `Foyer is running at http://${host === '0.0.0.0' ? 'localhost' : host}:${port}/\n`,
  );
  await new Promise<void>((resolve) => {
    process.once('SIGINT', () => resolve());
    process.once('SIGTERM', () => resolve());
  });
  await app.close();
  await daemon.close();
  return 0;
}
