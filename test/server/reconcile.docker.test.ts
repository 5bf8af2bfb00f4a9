/**
 * The reconciler on a real engine, through the test catalogue: installs that
 * run, wait for their dependencies, crash, turn unhealthy, get built from a
 * Dockerfile and pulled from a registry on loopback; settings changes that
 * recreate; the permission gate; uninstall with and without purge. Every
 * assertion reads the end state of the world (the engine, the store, the
 * derived status), never the calls that were made.
 */
import assert from 'node:assert/strict';
import { cpSync, mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, before, describe, test } from 'node:test';
import type { ExecutionEvent } from '../../server/reconcile/execute.js';
import { SupervisionLog } from '../../server/reconcile/supervision.js';
import {
  addFolderInstall,
  addInstall,
  eventually,
  startTestFoyer,
  TEST_CATALOG,
  type TestFoyer,
} from '../support/foyer.js';
import { BUSYBOX_IMAGE, useTestEngine } from '../support/index.js';
import { startRegistry } from '../support/registry.js';

const engine = await useTestEngine();
const run = `r${process.pid.toString(36)}`;
const id = (name: string) => `${run}-${name}`;
let foyer: TestFoyer;
const progress: (ExecutionEvent & { install: string })[] = [];

before(async () => {
  foyer = await startTestFoyer(engine, {
    supervision: new SupervisionLog({
      crashLoopDeaths: 3,
      crashWindowMs: 60_000,
      maxRestarts: 2,
      restartWindowMs: 600_000,
    }),
  });
  foyer.reconciler.on('progress', (event) => progress.push(event));
});

after(async () => {
  for (const install of foyer.store.installs.list())
    foyer.store.installs.setDesired(install.id, 'absent', { purge: true });
  for (const install of foyer.store.installs.list()) foyer.reconciler.enqueue(install.id);
  await eventually(
    'every test install removed',
    () => foyer.store.installs.list().length === 0,
    60_000,
  );
  await foyer.close();
});

const lines = async (args: string[]) =>
  (await engine.docker(args)).stdout.split('\n').filter(Boolean);
const statusOf = (install: string) => foyer.reconciler.status(install);

async function installed(
  install: string,
  app: string,
  settings: Record<string, string> = {},
  accepted: string[] = [],
) {
  addInstall(foyer.store, install, app, settings, accepted);
  foyer.reconciler.enqueue(install);
}

async function until(install: string, state: string, ms = 60_000) {
  return eventually(
    `${install} ${state} (now ${JSON.stringify(statusOf(install))})`,
    () => statusOf(install)?.state === state && statusOf(install),
    ms,
  );
}

async function inspect(container: string) {
  const [json] = JSON.parse((await engine.docker(['inspect', container])).stdout) as {
    Id: string;
    State: { StartedAt: string; Health?: { Status: string } };
    Config: { Labels: Record<string, string> };
    NetworkSettings: { Ports: Record<string, { HostPort: string }[] | null> };
  }[];
  return json!;
}

describe('installs', () => {
  test('a web page with a health check runs, is healthy and serves its page', async () => {
    await installed(id('web'), 'web', { GREETING: 'hello from foyer' });
    const status = await until(id('web'), 'running');
    assert.deepEqual(
      status.services.map((s) => [s.name, s.state, s.health]),
      [['web', 'running', 'healthy']],
    );
    const container = await inspect(`${id('web')}-web-1`);
    assert.equal(container.Config.Labels['foyer.install'], id('web'));
    assert.equal(container.Config.Labels['com.docker.compose.project'], id('web'));
    const port = container.NetworkSettings.Ports['8080/tcp']?.[0]?.HostPort;
    assert.ok(port, 'the port is published on loopback');
    assert.equal(await (await fetch(`http://127.0.0.1:${port}/`)).text(), 'hello from foyer\n');
  });

  test('three services start in dependency order, each after the previous is healthy', async () => {
    await installed(id('trio'), 'trio');
    const status = await until(id('trio'), 'running');
    assert.deepEqual(
      status.services.map((s) => s.name),
      ['db', 'api', 'web'],
    );
    const started = await Promise.all(
      ['db', 'api', 'web'].map(async (s) =>
        Date.parse((await inspect(`${id('trio')}-${s}-1`)).State.StartedAt),
      ),
    );
    assert.ok(started[0]! < started[1]! && started[1]! < started[2]!, `start order ${started}`);
    assert.deepEqual(
      await lines([
        'ps',
        '-a',
        '--filter',
        `label=foyer.install=${id('trio')}`,
        '--format',
        '{{.Names}}',
      ]).then((n) => n.sort()),
      [`${id('trio')}-api-1`, `${id('trio')}-db-1`, `${id('trio')}-web-1`],
    );
  });

  test('a settings change recreates only the service it changes, and data in volumes stays', async () => {
    const trio = id('trio');
    await engine.docker(['exec', `${trio}-db-1`, 'sh', '-c', 'echo keep > /data/proof']);
    const before = await Promise.all(
      ['db', 'api', 'web'].map(async (s) => (await inspect(`${trio}-${s}-1`)).Id),
    );
    foyer.store.installs.update(trio, { settings: { GREETING: 'bonjour' } });
    foyer.reconciler.enqueue(trio);
    await eventually(
      'web recreated',
      async () => (await inspect(`${trio}-web-1`).catch(() => undefined))?.Id !== before[2],
    );
    await until(trio, 'running');
    const after = await Promise.all(
      ['db', 'api', 'web'].map(async (s) => (await inspect(`${trio}-${s}-1`)).Id),
    );
    assert.equal(after[0], before[0], 'db is kept');
    assert.equal(after[1], before[1], 'api is kept');
    assert.equal(
      (await engine.docker(['exec', `${trio}-web-1`, 'cat', '/tmp/greeting'])).stdout,
      'bonjour\n',
    );
    assert.equal(
      (await engine.docker(['exec', `${trio}-db-1`, 'cat', '/data/proof'])).stdout,
      'keep\n',
    );
    assert.deepEqual(
      await lines(['ps', '-a', '--filter', 'name=-next', '--format', '{{.Names}}']),
      [],
    );
  });

  test('a service that crashes at once is reported crash-looping with its exit code', async () => {
    await installed(id('crash'), 'crasher');
    const status = await until(id('crash'), 'crash-looping', 90_000);
    assert.match(
      status.reason ?? '',
      /app: exited \d+ times in the last minute \(last exit code 3\)/,
    );
    assert.ok((status.services[0]?.restarts ?? 0) >= 3);
  });

  test('restarts someone asked for are not crashes; a kill is', async () => {
    const install = id('bounced');
    await installed(install, 'web');
    await until(install, 'running');
    const [container] = await lines(['ps', '-q', '--filter', `label=foyer.install=${install}`]);
    assert.ok(container);
    // Three restarts within a minute: as many deaths as the crash-loop limit, all asked for.
    for (let i = 0; i < 3; i++) await engine.docker(['restart', '-t', '1', container]);
    const settled = await eventually('running again after the restarts', async () => {
      const status = statusOf(install);
      return status?.state === 'running' && status.services[0]?.health === 'healthy' && status;
    });
    assert.equal(settled.services[0]?.restarts, 0, JSON.stringify(settled));
    await engine.docker(['kill', container]);
    const killed = await eventually('the kill counted', () => {
      const restarts = statusOf(install)?.services[0]?.restarts ?? 0;
      return restarts === 1 && statusOf(install);
    });
    assert.notEqual(killed.state, 'crash-looping');
  });

  test('a service that turns unhealthy is restarted by Foyer up to its cap, then reported degraded', async () => {
    await installed(id('sick'), 'sickly', { HEALTHY_FOR: '2' });
    await until(id('sick'), 'running');
    const status = await eventually(
      'two health restarts, then degraded',
      () => {
        const s = statusOf(id('sick'));
        return s?.state === 'degraded' && s.services[0]?.healthRestarts === 2 && s;
      },
      120_000,
    );
    assert.match(status.reason ?? '', /app: its health check fails; Foyer restarted it 2 times/);
  });

  test('an image built from a Dockerfile on debian:bookworm-slim, rebuilt when its args change', async () => {
    const install = id('built');
    await installed(install, 'built');
    await until(install, 'running', 180_000);
    assert.ok(
      progress.some(
        (e) => e.install === install && e.kind === 'image' && e.progress.kind === 'build',
      ),
    );
    assert.equal(
      (await engine.docker(['exec', `${install}-app-1`, 'cat', '/flavour'])).stdout,
      'built with plain\n',
    );
    foyer.store.installs.update(install, { settings: { FLAVOUR: 'spicy' } });
    foyer.reconciler.enqueue(install);
    await eventually(
      'rebuilt and recreated',
      async () => {
        const out = await engine
          .docker(['exec', `${install}-app-1`, 'cat', '/flavour'])
          .catch(() => undefined);
        return out?.stdout === 'built with spicy\n';
      },
      180_000,
    );
  });
});

describe('pull from a registry on loopback', () => {
  test('an image only the registry has is pulled with per-layer progress', async () => {
    const registry = await startRegistry();
    const ref = `${registry.address}/foyer-test/pulled:1`;
    // A layer of its own: once the image is removed here, the engine has none of its content,
    // so the pull downloads it (a tag of an image the engine still has would download nothing).
    const dir = mkdtempSync(join(tmpdir(), 'foyer-pulled-'));
    writeFileSync(join(dir, 'Dockerfile'), `FROM ${BUSYBOX_IMAGE}\nRUN echo ${run} > /made-for\n`);
    await engine.docker(['build', '-q', '-t', ref, dir]);
    await engine.docker(['push', ref]);
    await engine.docker(['rmi', ref]);
    const install = id('pulled');
    await installed(install, 'pulled', { REGISTRY: registry.address });
    await until(install, 'running');
    const pulls = progress.filter(
      (e) => e.install === install && e.kind === 'image' && e.progress.kind === 'pull',
    );
    assert.ok(
      pulls.some((e) => e.kind === 'image' && e.progress.kind === 'pull' && e.progress.layer),
      'per-layer progress',
    );
    assert.deepEqual(await lines(['image', 'ls', ref, '--format', '{{.Repository}}:{{.Tag}}']), [
      ref,
    ]);
  });
});

describe('the permission gate', () => {
  test('host power an app declares is refused until the admin accepts it, then granted', async () => {
    const install = id('power');
    await installed(install, 'powerful');
    const status = await until(install, 'failed');
    assert.match(
      status.reason ?? '',
      /services\.app\.cap_add\[0\]: needs the permission "cap_add:NET_ADMIN", which the admin has not accepted/,
    );
    assert.match(status.reason ?? '', /services\.app\.sysctls/);
    assert.match(status.reason ?? '', /bind:\/etc\/hostname/);
    assert.deepEqual(
      await lines(['ps', '-a', '--filter', `label=foyer.install=${install}`, '-q']),
      [],
      'nothing created',
    );
    assert.deepEqual(
      await lines(['network', 'ls', '--filter', `label=foyer.install=${install}`, '-q']),
      [],
    );
    const all = [
      'cap_add:NET_ADMIN',
      'sysctl:net.ipv4.ip_unprivileged_port_start',
      'bind:/etc/hostname',
    ];
    foyer.store.installs.update(install, { acceptedPermissions: all.slice(0, 2) });
    foyer.reconciler.enqueue(install);
    const partly = await eventually('refused again', () => {
      const s = statusOf(install);
      return s?.state === 'failed' && !/cap_add/.test(s.reason ?? '') && s;
    });
    assert.match(
      partly.reason ?? '',
      /needs the permission "bind:\/etc\/hostname", which the admin has not accepted/,
    );
    foyer.store.installs.update(install, { acceptedPermissions: all });
    foyer.reconciler.enqueue(install);
    await until(install, 'running');
    assert.equal(
      (await engine.docker(['exec', `${install}-app-1`, 'cat', '/host-hostname'])).stdout.length >
        0,
      true,
    );
  });

  test('host power an app does not declare is refused even when accepted', async () => {
    const catalog = mkdtempSync(join(tmpdir(), 'foyer-catalog-'));
    cpSync(join(TEST_CATALOG, 'powerful'), join(catalog, 'sneaky'), { recursive: true });
    writeFileSync(
      join(catalog, 'sneaky/app.yaml'),
      'id: sneaky\nname: Sneaky\nversion: 1.0.0-1\npermissions: []\n',
    );
    const install = id('sneaky');
    addFolderInstall(foyer.store, install, join(catalog, 'sneaky'), {}, [
      'cap_add:NET_ADMIN',
      'sysctl:net.ipv4.ip_unprivileged_port_start',
      'bind:/etc/hostname',
    ]);
    foyer.reconciler.enqueue(install);
    const status = await until(install, 'failed');
    assert.match(
      status.reason ?? '',
      /needs the permission "cap_add:NET_ADMIN", which the app does not declare/,
    );
    assert.deepEqual(
      await lines(['ps', '-a', '--filter', `label=foyer.install=${install}`, '-q']),
      [],
    );
  });
});

describe('uninstall', () => {
  test('keeps volumes unless purged, and a reinstall sees the old data', async () => {
    const trio = id('trio');
    foyer.store.installs.setDesired(trio, 'absent');
    foyer.reconciler.enqueue(trio);
    await eventually('trio uninstalled', () => foyer.store.installs.get(trio) === undefined);
    assert.deepEqual(
      await lines(['ps', '-a', '--filter', `label=foyer.install=${trio}`, '-q']),
      [],
    );
    assert.deepEqual(
      await lines(['network', 'ls', '--filter', `label=foyer.install=${trio}`, '-q']),
      [],
    );
    assert.deepEqual(
      await lines([
        'volume',
        'ls',
        '--filter',
        `label=foyer.install=${trio}`,
        '--format',
        '{{.Name}}',
      ]),
      [`${trio}_data`],
    );
    await installed(trio, 'trio');
    await until(trio, 'running');
    assert.equal(
      (await engine.docker(['exec', `${trio}-db-1`, 'cat', '/data/proof'])).stdout,
      'keep\n',
    );
    foyer.store.installs.setDesired(trio, 'absent', { purge: true });
    foyer.reconciler.enqueue(trio);
    await eventually('trio purged', () => foyer.store.installs.get(trio) === undefined);
    assert.deepEqual(
      await lines(['volume', 'ls', '--filter', `label=foyer.install=${trio}`, '-q']),
      [],
    );
  });
});
