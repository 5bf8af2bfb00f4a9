/**
 * Issue 11 §1 on a real engine: every install action fired at an install
 * whose job is running. The refused ones change nothing — store, engine
 * (containers, volumes) and audit log are checked afterwards; an uninstall
 * cancels the install in progress; an uninstall without purge leaves its
 * volumes listed as kept data, which an admin can delete, and a purge
 * leaves nothing. Reusing the id afterwards installs again.
 */
import assert from 'node:assert/strict';
import { after, before, test } from 'node:test';
import type { Daemon } from '../../server/daemon.js';
import { jobRepository } from '../../server/store/jobs.js';
import { type AppDaemon, startAppDaemon } from '../support/app-daemon.js';
import { eventually, TEST_CATALOG } from '../support/foyer.js';
import { useTestEngine } from '../support/index.js';

const engine = await useTestEngine();
let foyer: AppDaemon;
let daemon: Daemon;

before(async () => {
  foyer = await startAppDaemon(engine, {
    catalogDirs: [TEST_CATALOG],
    resyncMs: 1000,
    hostnames: ['127.0.0.1'],
  });
  ({ daemon } = foyer);
});

after(async () => {
  await foyer.removeAll();
  await foyer.close();
});

const call = (method: string, url: string, payload?: object) => foyer.inject(method, url, payload);

const lines = async (args: string[]) =>
  (await engine.docker(args)).stdout.split('\n').filter(Boolean).sort();

/** What the engine holds of an install: container names and volume names. */
const engineOf = async (id: string) => ({
  containers: await lines([
    'ps',
    '-a',
    '--format',
    '{{.Names}}',
    '--filter',
    `label=foyer.install=${id}`,
  ]),
  volumes: await lines(['volume', 'ls', '-q', '--filter', `label=foyer.install=${id}`]),
});

const jobState = (id: string) => jobRepository(daemon.store.db).get(id)?.state;

/** Every audit entry about an install, oldest first. */
const auditOf = (id: string) =>
  daemon.audit
    .list({ limit: 1000 })
    .filter((e) => e.target === id)
    .reverse();

test('every action at an install with a running job: refused ones change nothing, uninstall cancels it', async () => {
  const created = await call('POST', '/api/installs', { app: 'web', id: 'busy' });
  assert.equal(created.statusCode, 202, created.body);
  const installJob = created.json().job.id as string;
  // The job runs until the app has been up for 2 s; the container and its volume exist by then.
  await eventually(
    'the container is up',
    async () => (await engineOf('busy')).containers.length === 1,
    60_000,
  );
  assert.equal(jobState(installJob), 'running');
  const row = daemon.store.installs.get('busy');
  const containerId = JSON.parse((await engine.docker(['inspect', 'busy-web-1'])).stdout)[0].Id;
  const secrets = daemon.store.installs.secrets('busy');

  const refused: [string, string, object?][] = [
    ['PATCH', '/api/installs/busy', { settings: { GREETING: 'changed', PORT: 20999 } }],
    ['POST', '/api/installs/busy/stop'],
    ['POST', '/api/installs/busy/start'],
    ['POST', '/api/installs/busy/restart'],
    ['POST', '/api/installs/busy/update'],
    ['POST', '/api/installs', { app: 'web', id: 'busy' }],
  ];
  const answers = await Promise.all(refused.map(([m, u, p]) => call(m, u, p)));
  for (const [i, res] of answers.entries()) {
    assert.equal(res.statusCode, 409, `${refused[i]![0]} ${refused[i]![1]}: ${res.body}`);
  }
  await daemon.reconciler.idle();
  assert.deepEqual(daemon.store.installs.get('busy'), row, 'the store is unchanged');
  assert.deepEqual(daemon.store.installs.secrets('busy'), secrets);
  const inspect = JSON.parse((await engine.docker(['inspect', 'busy-web-1'])).stdout)[0];
  assert.equal(inspect.Id, containerId, 'not recreated with the new settings');
  assert.equal(inspect.State.Running, true, 'not stopped');
  assert.equal(inspect.RestartCount, 0, 'not restarted');
  assert.ok(!JSON.stringify(inspect.Config.Env).includes('changed'), 'not reconfigured');
  assert.deepEqual(
    auditOf('busy').map((e) => e.action),
    ['install.install'],
  );

  // Uninstall without purge during the install: the install job ends cancelled, the volume stays
  // and is listed as kept data.
  const uninstall = await call('DELETE', '/api/installs/busy');
  assert.equal(uninstall.statusCode, 202, uninstall.body);
  assert.equal(jobState(installJob), 'cancelled');
  const uninstallJob = uninstall.json().job.id as string;
  await eventually('uninstalled', () => jobState(uninstallJob) === 'succeeded', 60_000);
  assert.equal(daemon.store.installs.get('busy'), undefined);
  assert.deepEqual(await engineOf('busy'), { containers: [], volumes: ['busy_www'] });
  const kept = (await call('GET', '/api/kept-data')).json();
  assert.deepEqual(
    kept.map((k: { install: string; app: string; volumes: string[] }) => [
      k.install,
      k.app,
      k.volumes,
    ]),
    [['busy', 'web', ['busy_www']]],
  );
  const audit = auditOf('busy');
  assert.deepEqual(
    audit.map((e) => [e.actor, e.action]),
    [
      ['admin', 'install.install'],
      ['admin', 'install.uninstall'],
    ],
  );
  assert.equal(audit[1]?.detail.cancelled, installJob);
  assert.equal(audit[1]?.detail.address, '127.0.0.1');

  // Deleting the kept data removes the volume, audited.
  const deleted = await call('DELETE', '/api/kept-data/busy');
  assert.equal(deleted.statusCode, 200, deleted.body);
  assert.deepEqual(await engineOf('busy'), { containers: [], volumes: [] });
  assert.deepEqual((await call('GET', '/api/kept-data')).json(), []);
  assert.equal(auditOf('busy').at(-1)?.action, 'install.delete-data');
});

test('an uninstall with purge during an install leaves nothing, and the id can be installed again', async () => {
  const created = await call('POST', '/api/installs', { app: 'web', id: 'brief' });
  assert.equal(created.statusCode, 202, created.body);
  const installJob = created.json().job.id as string;
  const purge = await call('DELETE', '/api/installs/brief?purge=true');
  assert.equal(purge.statusCode, 202, purge.body);
  assert.equal(jobState(installJob), 'cancelled');
  const again = await call('DELETE', '/api/installs/brief?purge=true');
  assert.equal(again.statusCode, 409, 'one uninstall at a time');
  const uninstallJob = purge.json().job.id as string;
  await eventually('purged', () => jobState(uninstallJob) === 'succeeded', 60_000);
  await daemon.reconciler.idle();
  assert.deepEqual(await engineOf('brief'), { containers: [], volumes: [] });
  assert.deepEqual((await call('GET', '/api/kept-data')).json(), []);

  const reused = await call('POST', '/api/installs', { app: 'web', id: 'brief' });
  assert.equal(reused.statusCode, 202, reused.body);
  await eventually('installed again', () => jobState(reused.json().job.id) === 'succeeded', 60_000);
  assert.deepEqual(await engineOf('brief'), {
    containers: ['brief-web-1'],
    volumes: ['brief_www'],
  });
});
