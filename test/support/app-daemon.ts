// A whole daemon (store, reconciler, jobs, HTTP API) over Foyer's own catalogue on the test
// engine, driven through its API as a person's client would: the catalogue apps' tests install,
// restart and uninstall through it, then talk to the services with real protocol clients.
import assert from 'node:assert/strict';
import { mkdtempSync, readFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { dirname, join, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';
import type { FastifyInstance, LightMyRequestResponse } from 'fastify';
import pino, { type Logger } from 'pino';
import { buildApp } from '../../server/app.js';
import { type Daemon, startDaemon } from '../../server/daemon.js';
import type { DockerAdapter } from '../../server/docker/adapter.js';
import { createLocalServer } from '../../server/local-socket.js';
import { instanceId, socketPath } from '../../server/paths.js';
import type { TestEngine } from './engine.js';
import { eventually } from './foyer.js';

const repoRoot = resolve(dirname(fileURLToPath(import.meta.url)), '../..');
/** Foyer's own catalogue, the one the package ships. */
export const FOYER_CATALOG = join(repoRoot, 'catalog');

const origin = 'http://foyer.test';
const ADMIN = { username: 'admin', password: 'correct horse battery staple' };

// The API's JSON as the tests read it: the route schemas (server/routes/schemas.ts) check it.
// biome-ignore lint/suspicious/noExplicitAny: a reply's shape is asserted by each test
type Json = any;

export interface ApiReply<T = Json> {
  status: number;
  body: T;
}

export interface Job {
  id: string;
  state: string;
  step: string | null;
  error: string | null;
}

export interface AppDaemon {
  readonly daemon: Daemon;
  readonly app: FastifyInstance;
  readonly dataDir: string;
  /** The admin's session cookie (`name=value`), for clients other than `inject`. */
  readonly cookie: string;
  /** One API call as the admin (session cookie, same-origin headers). */
  api<T = Json>(method: string, url: string, payload?: unknown): Promise<ApiReply<T>>;
  /** The same call as `api`, answered with Fastify's whole reply (status, headers, raw body). */
  inject(
    method: string,
    url: string,
    payload?: unknown,
    headers?: Record<string, string>,
  ): Promise<LightMyRequestResponse>;
  /** Waits for a job to end; fails the test with the job's error when it does not succeed. */
  waitJob(jobId: string, ms?: number): Promise<Job>;
  /** POST /api/installs, accepting exactly the app's declared permissions, then waits for the job. */
  install(
    app: string,
    settings: Record<string, unknown>,
    options?: { id?: string; ms?: number },
  ): Promise<Json>;
  /** DELETE /api/installs/:id (with purge or not) and waits until the install is gone. */
  uninstall(id: string, options?: { purge?: boolean; ms?: number }): Promise<void>;
  /** Stops the daemon (containers keep running) and starts a new one on the same data dir. */
  restart(): Promise<void>;
  /** `docker restart` of every container of the install; waits until the install is running again. */
  restartContainers(id: string, ms?: number): Promise<void>;
  /** Waits until every service of the install is running (and healthy where it has a check) and its job ended. */
  waitRunning(id: string, ms?: number): Promise<void>;
  /** The names of the Docker volumes of the install's project. */
  volumes(id: string): Promise<string[]>;
  /** Uninstalls every install with purge and deletes kept data, waiting until they are gone. */
  removeAll(ms?: number): Promise<void>;
  close(): Promise<void>;
}

export interface AppDaemonOptions {
  /** Catalogue folders (Foyer's own by default). */
  catalogDirs?: string[];
  /** The Docker adapter (a counting one, say); the test engine's by default. */
  docker?: DockerAdapter;
  /** The daemon's and the app's logger; silent unless FOYER_TEST_LOG is set. */
  log?: Logger;
  resyncMs?: number;
  /** The names the API answers on, besides foyer.test. */
  hostnames?: string[];
  /** Called with the app before it is ready (hooks that watch every answer). */
  beforeReady?: (app: FastifyInstance) => void;
  /**
   * Also answer on the data dir's local socket, as `foyer serve` does, so the real CLI
   * (`runFoyer(foyer.dataDir, …)`) drives this daemon.
   */
  cli?: boolean;
}

export { freePort } from './ports.js';

/**
 * Asserts that installing `app` with `settings` is refused with 400 FOYER_INVALID_SETTINGS and
 * exactly one problem, at `path`, whose message matches `message`.
 */
export async function assertSettingRefused(
  foyer: AppDaemon,
  app: string,
  settings: Record<string, unknown>,
  path: string,
  message: RegExp,
): Promise<void> {
  const res = await foyer.api('POST', '/api/installs', { app, settings });
  const what = `${JSON.stringify(settings)}: ${JSON.stringify(res.body)}`;
  assert.equal(res.status, 400, what);
  assert.equal(res.body.code, 'FOYER_INVALID_SETTINGS', what);
  assert.deepEqual(
    res.body.problems.map((p: { path: string }) => p.path),
    [path],
    what,
  );
  assert.match(res.body.problems[0].message, message, what);
  assert.ok(res.body.message.startsWith(`${path}: `), what);
}

/** Starts a daemon with a fresh data dir, completes first-run setup and logs the admin in. */
export async function startAppDaemon(
  engine: TestEngine,
  options: AppDaemonOptions = {},
): Promise<AppDaemon> {
  const dataDir = mkdtempSync(join(tmpdir(), 'foyer-apps-'));
  const catalogDirs = options.catalogDirs ?? [FOYER_CATALOG];
  const log = options.log ?? pino({ level: process.env.FOYER_TEST_LOG ? 'debug' : 'silent' });
  let daemon: Daemon;
  let app: FastifyInstance;
  let cookie = '';

  const open = async () => {
    daemon = await startDaemon({
      dataDir,
      catalogDirs,
      ...(options.docker ? { docker: options.docker } : { dockerHost: engine.host }),
      log,
      resyncMs: options.resyncMs ?? 2000,
    });
    app = await buildApp(daemon, {
      loggerInstance: log,
      access: { hostnames: ['foyer.test', ...(options.hostnames ?? [])], trustedProxies: [] },
      ...(options.cli ? { serverFactory: (handler) => createLocalServer(handler) } : {}),
    });
    options.beforeReady?.(app);
    await app.ready();
    if (options.cli) await app.listen({ path: socketPath(dataDir) });
  };
  const inject = (
    method: string,
    url: string,
    payload?: unknown,
    withCookie = true,
    headers: Record<string, string> = {},
  ) =>
    app.inject({
      method: method as 'GET',
      url,
      headers: {
        origin,
        host: 'foyer.test',
        ...(withCookie && cookie ? { cookie } : {}),
        ...headers,
      },
      ...(payload !== undefined ? { payload: payload as object } : {}),
    });
  const login = async () => {
    const res = await inject('POST', '/api/auth/login', ADMIN, false);
    assert.equal(res.statusCode, 200, `login: ${res.body}`);
    cookie = String(res.headers['set-cookie']).split(';')[0]!;
  };

  await open();
  const code = readFileSync(join(dataDir, 'setup-code'), 'utf8').trim();
  const setup = await inject('POST', '/api/setup', { code, ...ADMIN }, false);
  assert.equal(setup.statusCode, 201, `setup: ${setup.body}`);
  cookie = String(setup.headers['set-cookie']).split(';')[0]!;

  const api = async <T = Json>(method: string, url: string, payload?: unknown) => {
    const res = await inject(method, url, payload);
    return { status: res.statusCode, body: (res.body ? res.json() : undefined) as T };
  };

  const waitJob = async (jobId: string, ms = 600_000) => {
    const job = await eventually(
      `job ${jobId}`,
      async () => {
        const { body } = await api<Job>('GET', `/api/jobs/${jobId}`);
        return body.state === 'succeeded' || body.state === 'failed' ? body : undefined;
      },
      ms,
    );
    assert.equal(job.state, 'succeeded', `job ${jobId} ${job.state}: ${job.error}`);
    return job;
  };

  const containers = async (id: string) =>
    (
      await engine.docker([
        'ps',
        '-aq',
        '--filter',
        `label=foyer.install=${id}`,
        '--filter',
        `label=foyer.instance=${instanceId(dataDir)}`,
      ])
    ).stdout
      .split('\n')
      .filter(Boolean);

  const waitRunning = async (id: string, ms = 180_000) => {
    await eventually(
      `${id} running and healthy`,
      async () => {
        const { body } = await api('GET', `/api/installs/${id}`);
        const services: { state: string; health?: string }[] = body?.status?.services ?? [];
        return (
          body?.status?.state === 'running' &&
          services.length > 0 &&
          services.every(
            (s) => s.state === 'running' && (s.health === undefined || s.health === 'healthy'),
          ) &&
          // The job that got it there ends a moment later (the running state must hold): until
          // then the daemon rightly refuses the next change with 409.
          (await jobsEnded(id))
        );
      },
      ms,
    );
  };
  const jobsEnded = async (id: string) => {
    const { body } = await api('GET', `/api/jobs?install=${encodeURIComponent(id)}`);
    return Array.isArray(body) && body.every((job: { state: string }) => job.state !== 'running');
  };

  return {
    get daemon() {
      return daemon;
    },
    get app() {
      return app;
    },
    get cookie() {
      return cookie;
    },
    dataDir,
    api,
    inject: (method, url, payload, headers) => inject(method, url, payload, true, headers),
    waitJob,
    async install(appId, settings, opts = {}) {
      const entry = await api('GET', `/api/apps/${appId}`);
      assert.equal(entry.status, 200, `GET /api/apps/${appId}: ${JSON.stringify(entry.body)}`);
      const res = await api('POST', '/api/installs', {
        app: appId,
        ...(opts.id ? { id: opts.id } : {}),
        settings,
        acceptPermissions: entry.body.permissions.map((p: { permission: string }) => p.permission),
      });
      assert.equal(res.status, 202, `install ${appId}: ${JSON.stringify(res.body)}`);
      await waitJob(res.body.job.id, opts.ms);
      const id = res.body.install.id as string;
      await waitRunning(id, opts.ms);
      return (await api('GET', `/api/installs/${id}`)).body;
    },
    async uninstall(id, opts = {}) {
      const res = await api('DELETE', `/api/installs/${id}${opts.purge ? '?purge=true' : ''}`);
      assert.equal(res.status, 202, `uninstall ${id}: ${JSON.stringify(res.body)}`);
      await eventually(
        `${id} removed`,
        async () => (await api('GET', `/api/installs/${id}`)).status === 404,
        opts.ms ?? 120_000,
      );
    },
    async restart() {
      await app.close();
      await daemon.close();
      await open();
      await login();
    },
    async restartContainers(id, ms) {
      const ids = await containers(id);
      assert.ok(ids.length > 0, `no containers for ${id}`);
      await engine.docker(['restart', '-t', '10', ...ids]);
      await waitRunning(id, ms);
    },
    waitRunning,
    async volumes(id) {
      const out = await engine.docker([
        'volume',
        'ls',
        '-q',
        '--filter',
        `label=foyer.install=${id}`,
        '--filter',
        `label=foyer.instance=${instanceId(dataDir)}`,
      ]);
      return out.stdout.split('\n').filter(Boolean).sort();
    },
    async removeAll(ms = 60_000) {
      for (const install of daemon.store.installs.list()) {
        daemon.store.installs.setDesired(install.id, 'absent', { purge: true });
        daemon.reconciler.enqueue(install.id);
      }
      await eventually('installs removed', () => daemon.store.installs.list().length === 0, ms);
      const kept = await api<{ install: string }[]>('GET', '/api/kept-data');
      for (const { install } of kept.body ?? []) await api('DELETE', `/api/kept-data/${install}`);
    },
    async close() {
      await app.close();
      await daemon.close();
    },
  };
}

/** An audit line as GET /api/audit gives it. */
export interface AuditLine {
  action: string;
  target: string;
  detail: Record<string, unknown>;
}

/** The newest audit line of `action` on `target` with `detail` matching, once there is one. */
export function auditLine(
  foyer: Pick<AppDaemon, 'api'>,
  action: string,
  target: string,
  match: (detail: Record<string, unknown>) => boolean = () => true,
): Promise<AuditLine> {
  return eventually(`an audit line ${action} ${target}`, async () => {
    const audit = await foyer.api<AuditLine[]>('GET', '/api/audit?limit=50');
    return audit.body.find((e) => e.action === action && e.target === target && match(e.detail));
  });
}
