// The daemon's HTTP app (`buildApp`) on a real store in a temp dir, with stand-ins for the
// Docker-facing services, for route tests that never touch an engine. Optionally served on a
// unix socket marked local, as `foyer serve` does.
import assert from 'node:assert/strict';
import { mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { request as httpRequest } from 'node:http';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import type { TestContext } from 'node:test';
import type { FastifyInstance, InjectOptions, LightMyRequestResponse } from 'fastify';
import { type AppOptions, buildApp, type FoyerServices } from '../../server/app.js';
import { setupCodePath } from '../../server/auth/setup-code.js';
import { EventHub } from '../../server/events.js';
import { createLocalServer } from '../../server/local-socket.js';
import { auditLog } from '../../server/store/audit.js';
import { openStore, type Store } from '../../server/store/index.js';

export interface ApiBox {
  app: FastifyInstance;
  dataDir: string;
  store: Store;
  /** The first-run setup code. */
  code: string;
  inject(options: InjectOptions): Promise<LightMyRequestResponse>;
  /** One request through the local unix socket (only when booted with `local`). */
  local(method: string, path: string): Promise<{ status: number; body: string }>;
  /** First-run setup of an admin (`admin` unless named); resolves to its session cookie's value. */
  setUp(password: string, username?: string): Promise<string>;
}

/** Boots the app on a fresh data dir; closed when the test ends. */
export async function bootApiBox(
  t: TestContext,
  options: Omit<AppOptions, 'serverFactory'> & { local?: boolean } = {},
): Promise<ApiBox> {
  const { local, ...appOptions } = options;
  const dataDir = mkdtempSync(join(tmpdir(), 'foyer-api-box-'));
  const store = openStore(join(dataDir, 'foyer.db'));
  const services = {
    dataDir,
    store,
    audit: auditLog(store.db),
    hub: new EventHub(),
    reconciler: { reachable: true, status: () => undefined },
    catalog: { list: () => [], get: () => undefined },
    docker: {},
    jobs: {},
  } as unknown as FoyerServices;
  const app = await buildApp(services, {
    logger: false,
    ...appOptions,
    ...(local ? { serverFactory: (handler) => createLocalServer(handler) } : {}),
  });
  await app.ready();
  const socket = join(dataDir, 'foyer.sock');
  if (local) await app.listen({ path: socket });
  t.after(async () => {
    await app.close();
    store.close();
    rmSync(dataDir, { recursive: true, force: true });
  });
  const code = readFileSync(setupCodePath(dataDir), 'utf8').trim();
  return {
    app,
    dataDir,
    store,
    code,
    inject: (request) => app.inject(request),
    local: (method, path) => {
      assert.ok(local, 'boot with { local: true } to use the socket');
      return socketRequest(socket, method, path);
    },
    async setUp(password, username = 'admin') {
      const response = await app.inject({
        method: 'POST',
        url: '/api/setup',
        headers: { host: 'localhost' },
        payload: { code, username, password },
      });
      assert.equal(response.statusCode, 201, response.body);
      const session = response.cookies.find((c) => c.name === 'foyer_session');
      assert.ok(session, 'setup sets a session cookie');
      return session.value;
    },
  };
}

/** One request (a JSON body if given) through a daemon's unix socket (`foyer.sock`: local, no session). */
export function socketRequest(
  socket: string,
  method: string,
  path: string,
  body?: object,
): Promise<{ status: number; body: string }> {
  return new Promise((resolve, reject) => {
    const req = httpRequest({ socketPath: socket, method, path }, (res) => {
      let text = '';
      res.on('data', (chunk) => {
        text += chunk;
      });
      res.on('end', () => resolve({ status: res.statusCode ?? 0, body: text }));
    });
    req.on('error', reject);
    if (body) req.setHeader('content-type', 'application/json');
    req.end(body ? JSON.stringify(body) : undefined);
  });
}
