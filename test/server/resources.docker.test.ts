/**
 * Issue 12 §4 on a real engine: an install's memory read from its
 * containers' cgroups through the API (with a history point and its disk),
 * the app page's stream of samples, and admission: an app declaring more
 * memory than the host has is refused and changes nothing — not the store,
 * not the engine — and is installed with the override.
 */
import assert from 'node:assert/strict';
import { get } from 'node:http';
import type { AddressInfo } from 'node:net';
import { after, before, test } from 'node:test';
import type { FastifyInstance } from 'fastify';
import type { Daemon } from '../../server/daemon.js';
import { type AppDaemon, startAppDaemon } from '../support/app-daemon.js';
import { eventually, TEST_CATALOG } from '../support/foyer.js';
import { useTestEngine } from '../support/index.js';

const engine = await useTestEngine();
let foyer: AppDaemon;
let daemon: Daemon;
let app: FastifyInstance;

before(async () => {
  foyer = await startAppDaemon(engine, {
    catalogDirs: [TEST_CATALOG],
    resyncMs: 1000,
    hostnames: ['127.0.0.1'],
  });
  ({ daemon, app } = foyer);
});

after(async () => {
  await foyer.removeAll();
  await foyer.close();
});

const asAdmin = (method: string, url: string, payload?: object) =>
  foyer.inject(method, url, payload);

const running = (id: string) => () => daemon.reconciler.status(id)?.state === 'running';

test('a running install has memory from its cgroups, a history point and its disk', async () => {
  const created = await asAdmin('POST', '/api/installs', { app: 'web' });
  assert.equal(created.statusCode, 202, created.body);
  await eventually('web running', running('web'), 60_000);

  const answer = await asAdmin('GET', '/api/installs/web/resources');
  assert.equal(answer.statusCode, 200, answer.body);
  const figures = answer.json();
  assert.ok(figures.memoryBytes > 0, `memory read from the cgroup: ${answer.body}`);
  assert.ok(figures.history.length >= 1, `a history point: ${answer.body}`);
  assert.ok(figures.history[0].memoryBytes > 0);
  assert.ok(figures.diskBytes.images > 0, `the busybox image counted: ${answer.body}`);
  assert.ok(figures.diskBytes.volumes >= 0);

  // A second reading has a CPU figure (the first one may not: it needs two readings).
  await new Promise((done) => setTimeout(done, 5_100));
  const again = (await asAdmin('GET', '/api/installs/web/resources')).json();
  assert.equal(typeof again.cpuPercent, 'number', JSON.stringify(again));
  assert.ok(again.history.length <= 1, 'no second history point within the minute');
});

test('the resources stream sends samples while it is open', async () => {
  await app.listen({ port: 0, host: '127.0.0.1' });
  const { port } = app.server.address() as AddressInfo;
  const first = await new Promise<string>((resolve, reject) => {
    const request = get(
      {
        host: '127.0.0.1',
        port,
        path: '/api/installs/web/resources/events',
        headers: { cookie: foyer.cookie, host: `127.0.0.1:${port}` },
      },
      (res) => {
        let text = '';
        res.on('data', (chunk) => {
          text += String(chunk);
          if (text.includes('event: resources')) {
            request.destroy();
            resolve(text);
          }
        });
      },
    );
    request.on('error', reject);
    setTimeout(() => reject(new Error('no sample within 10 s')), 10_000);
  });
  const data = JSON.parse(/data: (.*)\n/.exec(first)![1]!);
  assert.ok(data.memoryBytes > 0, first);
});

test('an app needing more memory than the host has is refused, changes nothing, and installs with the override', async () => {
  const world = async () => ({
    installs: daemon.store.installs.list().map((i) => i.id),
    containers: (await engine.docker(['ps', '-aq', '--filter', 'label=foyer.install=hungry']))
      .stdout,
    volumes: (await engine.docker(['volume', 'ls', '-q', '--filter', 'label=foyer.install=hungry']))
      .stdout,
  });
  const before = await world();
  const refused = await asAdmin('POST', '/api/installs', { app: 'hungry' });
  assert.equal(refused.statusCode, 409, refused.body);
  assert.equal(refused.json().code, 'FOYER_INSUFFICIENT_RESOURCES');
  assert.match(refused.json().message, /requirements\.memory: the app needs 4 TiB, .* are free/);
  await new Promise((done) => setTimeout(done, 1_500)); // a resync has passed
  assert.deepEqual(await world(), before);

  const accepted = await asAdmin('POST', '/api/installs', {
    app: 'hungry',
    allowInsufficientResources: true,
  });
  assert.equal(accepted.statusCode, 202, accepted.body);
  await eventually('hungry running', running('hungry'), 60_000);
});
