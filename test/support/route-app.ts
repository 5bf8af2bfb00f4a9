// The daemon's real HTTP app (buildApp) over a real store, the test catalogue and a real job
// runner, with the engine side stood in: a reconciler that only records what it was asked and
// emits what a test tells it, and a Docker adapter that records every call. Route-level tests
// then check that a refused request changed nothing in the store and sent nothing to the engine.
import { EventEmitter } from 'node:events';
import { mkdtempSync, readFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import type { FastifyInstance, InjectOptions, LightMyRequestResponse } from 'fastify';
import { buildApp, type FoyerServices } from '../../server/app.js';
import type { BackupService } from '../../server/backup/service.js';
import { backupStore } from '../../server/backup/store.js';
import { PinnedDefinitions } from '../../server/catalog/pins.js';
import { createCatalog } from '../../server/catalog/service.js';
import { appSource, installSource } from '../../server/daemon.js';
import type { DockerAdapter } from '../../server/docker/adapter.js';
import { EdgeService } from '../../server/edge/service.js';
import { EventHub } from '../../server/events.js';
import { JobRunner } from '../../server/jobs/runner.js';
import type { Reconciler } from '../../server/reconcile/reconciler.js';
import { ResourceMonitor } from '../../server/resources/monitor.js';
import { auditLog } from '../../server/store/audit.js';
import { openStore, type Store } from '../../server/store/index.js';
import { jobRepository } from '../../server/store/jobs.js';
import { updateOffers } from '../../server/store/update-offers.js';
import { updateRepository } from '../../server/store/updates.js';
import { AutoUpdates } from '../../server/updates/auto-updates.js';
import { DebianChecks } from '../../server/updates/debian-check.js';
import { UpdateDriver } from '../../server/updates/driver.js';
import { TEST_CATALOG } from './foyer.js';

export const HOST = 'foyer.test:8420';
export const ORIGIN = `http://${HOST}`;
export const ADMIN_PASSWORD = 'correct horse battery';
export const MEMBER_PASSWORD = 'member password 1';

/** What the stand-in reconciler was asked, and a way to make it report statuses. */
export type FakeReconciler = Reconciler &
  EventEmitter & { asked: string[]; known: Map<string, unknown> };

function fakeReconciler(): FakeReconciler {
  const asked: string[] = [];
  const known = new Map<string, unknown>();
  return Object.assign(new EventEmitter(), {
    asked,
    known,
    reachable: true,
    status: (id: string) => known.get(id),
    enqueue: (id: string) => void asked.push(`enqueue ${id}`),
    requestRestart: (id: string) => void asked.push(`restart ${id}`),
    requestUpdate: (id: string) => void asked.push(`update ${id}`),
  }) as unknown as FakeReconciler;
}

/** Docker calls whose name does not start with one of these change the engine. */
const READS = ['list', 'inspect', 'version', 'logs', 'events', 'ping', 'info', 'diskUsage'];

/** Answers of the stand-in engine that callers read fields of. */
const ANSWERS: Record<string, unknown> = {
  info: { cgroupDriver: 'cgroupfs', cgroupVersion: '2', dockerRootDir: '/nonexistent' },
  diskUsage: { volumes: [], images: [] },
};

function recordingDocker(calls: string[]): DockerAdapter {
  return new Proxy({} as DockerAdapter, {
    get: (_target, name) => {
      // Not a thenable: `await` on the adapter must not call it.
      if (name === 'then') return undefined;
      return (...args: unknown[]) => {
        calls.push(`${String(name)} ${JSON.stringify(args[0] ?? '')}`);
        if (name === 'logs') return (async function* () {})();
        if (typeof name === 'string' && name in ANSWERS) return Promise.resolve(ANSWERS[name]);
        return Promise.resolve(String(name).startsWith('list') ? [] : undefined);
      };
    },
  });
}

export interface RouteApp {
  app: FastifyInstance;
  store: Store;
  dataDir: string;
  reconciler: FakeReconciler;
  /** Every Docker adapter call made, as `name firstArgument`. */
  dockerCalls: string[];
  /** The Docker calls that would change the engine. */
  engineWrites(): string[];
  /** Headers of a same-origin browser request carrying this session. */
  browser(session: string): Record<string, string>;
  /** Signs in and returns the session id. */
  login(username: string, password: string): Promise<string>;
  /** Makes an API token for the signed-in session's user, whose password is asked again. */
  token(session: string, password: string): Promise<string>;
  inject(options: InjectOptions): Promise<LightMyRequestResponse>;
  close(): Promise<void>;
}

/** Boots the app on a fresh data dir, sets up `admin` and adds the member `mia`. */
export async function startRouteApp(): Promise<RouteApp> {
  const dataDir = mkdtempSync(join(tmpdir(), 'foyer-routes-'));
  const store = openStore(join(dataDir, 'foyer.db'));
  const hub = new EventHub();
  const reconciler = fakeReconciler();
  const dockerCalls: string[] = [];
  const docker = recordingDocker(dockerCalls);
  const pins = new PinnedDefinitions(dataDir);
  const audit = auditLog(store.db);
  const jobRows = jobRepository(store.db);
  const jobs = new JobRunner({ jobs: jobRows, reconciler, hub, stableMs: 0 });
  const quiet = { info() {}, warn() {}, error() {} };
  const offers = updateOffers(store.db);
  // Never started here: the checks' and automatic updates' timers belong to the Docker tier.
  const debianChecks = new DebianChecks({
    docker,
    instance: 'route-test',
    offers,
    installs: () => [],
    builtServices: () => [],
    log: quiet,
  });
  const catalog = createCatalog([TEST_CATALOG]);
  const services: FoyerServices = {
    dataDir,
    store,
    // Never started: no sync, no admin socket; the domain routes' checks run for real.
    edge: new EdgeService({
      dataDir,
      store,
      catalog,
      pins,
      reconciler,
      render: { dataDir },
      log: { info() {}, warn() {} },
    }),
    audit,
    hub,
    reconciler,
    catalog,
    resources: new ResourceMonitor({ docker, instance: 'route-test', installs: () => [] }),
    backups: backupStore(store.db),
    // Route tests never run restic; the backup docker tier does.
    backup: {} as BackupService,
    pins,
    docker,
    jobs,
    updates: new UpdateDriver({
      store,
      updates: updateRepository(store.db),
      jobs,
      jobRows,
      audit,
      docker,
      reconciler,
      pins,
      installs: installSource(store, pins),
      loadApp: appSource,
      render: { dataDir },
      log: quiet,
    }),
    offers,
    debianChecks,
    autoUpdates: {} as AutoUpdates,
  };
  services.autoUpdates = new AutoUpdates({
    ctx: services,
    offers,
    checks: debianChecks,
    log: quiet,
  });
  const app = await buildApp(services, {
    logger: false,
    access: { hostnames: ['foyer.test'], trustedProxies: [] },
  });
  await app.ready();
  const inject = (options: InjectOptions) => app.inject(options);
  const browser = (session: string) => ({
    host: HOST,
    origin: ORIGIN,
    cookie: `foyer_session=${session}`,
  });
  const sessionOf = (response: { cookies: { name: string; value: string }[] }) => {
    const cookie = response.cookies.find((c) => c.name === 'foyer_session');
    if (!cookie) throw new Error('no session cookie');
    return cookie.value;
  };
  const code = readFileSync(join(dataDir, 'setup-code'), 'utf8').trim();
  const setup = await inject({
    method: 'POST',
    url: '/api/setup',
    headers: { host: HOST },
    payload: { code, username: 'admin', password: ADMIN_PASSWORD },
  });
  if (setup.statusCode !== 201) throw new Error(`setup: ${setup.body}`);
  const admin = sessionOf(setup);
  const member = await inject({
    method: 'POST',
    url: '/api/users',
    headers: browser(admin),
    payload: { username: 'mia', password: MEMBER_PASSWORD, role: 'member' },
  });
  if (member.statusCode !== 201) throw new Error(`add member: ${member.body}`);
  return {
    app,
    store,
    dataDir,
    reconciler,
    dockerCalls,
    engineWrites: () => dockerCalls.filter((call) => !READS.some((read) => call.startsWith(read))),
    browser,
    inject,
    login: async (username, password) => {
      const response = await inject({
        method: 'POST',
        url: '/api/auth/login',
        headers: { host: HOST },
        payload: { username, password },
      });
      if (response.statusCode !== 200) throw new Error(`login ${username}: ${response.body}`);
      return sessionOf(response);
    },
    token: async (session, password) => {
      const response = await inject({
        method: 'POST',
        url: '/api/tokens',
        headers: browser(session),
        payload: { name: 'test', password },
      });
      if (response.statusCode !== 201) throw new Error(`token: ${response.body}`);
      return response.json().token as string;
    },
    close: async () => {
      await app.close();
      store.close();
    },
  };
}
