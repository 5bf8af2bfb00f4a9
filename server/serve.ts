/**
 * `foyer serve`: the daemon. For now it answers a health probe; later issues
 * add the API, the reconciler and the UI. Explicit timeouts and a graceful
 * close on SIGINT/SIGTERM, as fastify/demo's server.ts does.
 */
import Fastify from 'fastify';

/** Builds the daemon's Fastify instance (no listening). */
export function buildApp() {
  const app = Fastify({
    logger: { level: process.env.FOYER_LOG_LEVEL ?? 'info' },
    connectionTimeout: 30_000,
    requestTimeout: 30_000,
    bodyLimit: 1024 * 1024,
  });
  app.get('/api/health', async () => ({ status: 'ok' }));
  return app;
}

/** Listens on FOYER_PORT (default 8420) and runs until SIGINT/SIGTERM; returns the exit code. */
export async function serve(): Promise<number> {
  const app = buildApp();
  const port = Number(process.env.FOYER_PORT ?? 8420);
  const host = process.env.FOYER_HOST ?? '0.0.0.0';
  await app.listen({ port, host });
  process.stdout.write(
    `Foyer is running at http://${host === '0.0.0.0' ? 'localhost' : host}:${port}/\n`,
  );
  await new Promise<void>((resolve) => {
    const stop = () => resolve();
    process.once('SIGINT', stop);
    process.once('SIGTERM', stop);
  });
  await app.close();
  return 0;
}
