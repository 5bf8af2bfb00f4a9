/**
 * Issue 12 §4 on a real engine: an install's memory read from its
 * containers' cgroups through the API (with a history point and its disk),
 * the app page's stream of samples, and admission: an app declaring more
 * memory than the host has is refused and changes nothing — not the store,
 * not the engine — and is installed with the override.
 */
import assert from 'node:assert/strict';
import { mkdtempSync, readFileSync } from 'node:fs';
import { get } from 'node:http';
import type { AddressInfo } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, before, test } from 'node:test';
import type { FastifyInstance } from 'fastify';
import pino from 'pino';
import { buildApp } from '../../server/app.js';
import { type Daemon, startDaemon } from '../../server/daemon.js';
import { connectDocker } from '../../server/docker/dockerode-adapter.js';
import { eventually, TEST_CATALOG } from '../support/foyer.js';
import { useTestEngine } from '../support/index.js';

const engine = await useTestEngine();
let daemon: Daemon;
let app: FastifyInstance;
let cookie = '';
const origin = 'http://foyer.test';

before(async () => {
  const dataDir = mkdtempSync(join(tmpdir(), 'foyer-resources-'));
  const log = pino({ level: 'warn' });
  daemon = await startDaemon({
    dataDir,
    catalogDirs: [TEST_CATALOG],
    docker: await connectDocker(engine.host),
    log,
    resyncMs: 1000,
  });
  app = await buildApp(daemon, {
    loggerInstance: log,
    access: { hostnames: ['foyer.test', '127.0.0.1'], trustedProxies: [] },
  });
  await app.ready();
  const code = readFileSync(join(dataDir, 'setup-code'), 'utf8').trim();
  const setup = await app.inject({
    method: 'POST',
    url: '/api/setup',
    headers: { origin, host: 'foyer.test' },
    payload: { code, username: 'admin', password: 'correct horse battery' },
  });
  assert.equal(setup.statusCode, 201, setup.body);
  cookie = String(setup.headers['set-cookie']).split(';')[0]!;
});

after(async () => {
  for (const install of daemon.store.installs.list()) {
    daemon.store.installs.setDesired(install.id, 'absent', { purge: true });
    daemon.reconciler.enqueue(install.id);
  }
  await eventually('installs removed', () => daemon.store.installs.list().length === 0, 60_000);
  await app.close();
  await daemon.close();
});

const asAdmin = (method: string, url: string, payload?: object) =>
  app.inject({
    method: method as 'GET',
    url,
    headers: { cookie, origin, host: 'foyer.test' },
    ...(payload ? { payload } : {}),
  });

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
        headers: { cookie, host: `127.0.0.1:${port}` },
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
