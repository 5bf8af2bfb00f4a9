/**
 * App containers cannot reach the daemon (issue 11 §4): `foyer serve` with
 * the default bind (every address) drops connections from a Foyer-managed
 * app network and from the engine's default bridge, whichever host address
 * the container dials, while the host (loopback and its LAN address) and
 * the local socket are served. A plain server on the host, on every address
 * too, shows the containers could reach the host otherwise.
 */
import assert from 'node:assert/strict';
import { mkdtempSync, rmSync } from 'node:fs';
import { createServer } from 'node:http';
import type { AddressInfo } from 'node:net';
import { networkInterfaces, tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, before, test } from 'node:test';
import { socketRequest } from '../support/api-box.js';
import { type DaemonProcess, eventually, spawnDaemon, TEST_CATALOG } from '../support/foyer.js';
import { BUSYBOX_IMAGE, useTestEngine } from '../support/index.js';

const engine = await useTestEngine();
const dataDir = mkdtempSync(join(tmpdir(), 'foyer-reach-'));
const socketPath = join(dataDir, 'foyer.sock');
let daemon: DaemonProcess;
let port = 0;
// Answers "control" on every address: what a container reaches when nothing refuses it.
const control = createServer((_req, res) => res.end('control'));
let controlPort = 0;
let installId = '';

/** One request through the daemon's unix socket, as the local admin. */
function local(method: string, path: string, body?: object) {
  return socketRequest(socketPath, method, path, body);
}

/** The host's first IPv4 address that is neither loopback nor on a bridge of a Docker engine. */
function lanAddress(): string {
  const found = Object.entries(networkInterfaces())
    .filter(([name]) => !/^(docker|br-|veth|foyer-t)/.test(name))
    .flatMap(([, infos]) => infos ?? [])
    .find((i) => i.family === 'IPv4' && !i.internal);
  assert.ok(found, 'the host has no LAN address');
  return found.address;
}

/** Runs wget in a container (busybox's, under `timeout`: its own -T crashes); its answer or why not. */
async function fromContainer(args: string[], url: string): Promise<string> {
  const script = `timeout 5 wget -q -O - '${url}' 2>&1 && exit 0; echo "refused ($?)"`;
  const { stdout } = await engine.docker([...args, 'sh', '-c', script]);
  return stdout.trim();
}

before(async () => {
  await new Promise<void>((resolve) => control.listen(0, '0.0.0.0', resolve));
  controlPort = (control.address() as AddressInfo).port;
  // spawnDaemon binds to loopback; an empty FOYER_HOST is the default bind tested here.
  daemon = spawnDaemon(engine, dataDir, { FOYER_CATALOG: TEST_CATALOG, FOYER_HOST: '' });
  const shown = await eventually(
    'the daemon to listen',
    () => /Foyer is running at http:\/\/localhost:(\d+)\//.exec(daemon.output())?.[1],
    30_000,
  );
  port = Number(shown);
});

after(async () => {
  if (installId) {
    await local('DELETE', `/api/installs/${installId}?purge=true`).catch(() => undefined);
    await eventually(
      'the install removed',
      async () => (await local('GET', `/api/installs/${installId}`)).status === 404,
      60_000,
    ).catch(() => undefined);
  }
  await daemon?.kill('SIGTERM');
  control.close();
  rmSync(dataDir, { recursive: true, force: true });
});

test('the host is served on loopback and on its LAN address', async () => {
  for (const host of ['127.0.0.1', lanAddress()]) {
    const res = await fetch(`http://${host}:${port}/api/health`);
    assert.equal(res.status, 200, `${host}: ${await res.text()}`);
  }
  assert.equal((await local('GET', '/api/auth/me')).status, 200);
});

test('a container on a Foyer-managed app network cannot reach the API', async () => {
  const created = await local('POST', '/api/installs', {
    app: 'web',
    settings: {},
    acceptPermissions: [],
  });
  assert.equal(created.status, 202, created.body);
  installId = JSON.parse(created.body).install.id;
  const container = await eventually(
    'the app container running',
    async () =>
      (
        await engine.docker([
          ...['ps', '-q', '--filter', `label=foyer.install=${installId}`],
          ...['--filter', 'status=running'],
        ])
      ).stdout.trim() || undefined,
    120_000,
  );
  const inspect = await engine.docker([
    ...['inspect', '-f', '{{range .NetworkSettings.Networks}}{{.Gateway}} {{end}}', container],
  ]);
  const gateway = inspect.stdout.trim().split(/\s+/)[0]!;
  assert.match(gateway, /^\d+\.\d+\.\d+\.\d+$/);
  const exec = ['exec', container];
  for (const host of [gateway, lanAddress()]) {
    assert.equal(await fromContainer(exec, `http://${host}:${controlPort}/`), 'control', host);
    const answer = await fromContainer(exec, `http://${host}:${port}/api/health`);
    const networks = await engine.docker([
      ...['inspect', '-f', '{{json .NetworkSettings.Networks}}', container],
    ]);
    const why = `${answer}; the app's networks: ${networks.stdout}; ${daemon.output().slice(-2000)}`;
    assert.match(answer, /refused/, `the app reached the API at ${host}: ${why}`);
  }
});

test('a container on the default bridge cannot reach the API', async () => {
  const inspect = await engine.docker([
    ...['network', 'inspect', 'bridge', '-f', '{{(index .IPAM.Config 0).Gateway}}'],
  ]);
  const gateway = inspect.stdout.trim();
  const run = ['run', '--rm', BUSYBOX_IMAGE];
  for (const host of [gateway, lanAddress()]) {
    assert.equal(await fromContainer(run, `http://${host}:${controlPort}/`), 'control', host);
    const answer = await fromContainer(run, `http://${host}:${port}/api/health`);
    assert.match(answer, /refused/, `a container reached the API at ${host}: ${answer}`);
  }
  // The daemon still serves the host afterwards.
  assert.equal((await fetch(`http://127.0.0.1:${port}/api/health`)).status, 200);
});
