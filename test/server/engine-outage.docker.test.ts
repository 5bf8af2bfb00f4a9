/**
 * The engine's socket vanishing and coming back: the reconciler neither
 * crashes nor gives up; it reports the engine unreachable, and converges by
 * itself — applying a change made during the outage — once the socket is
 * back. The outage is a unix-socket proxy in front of the test engine that
 * the test closes (dropping every open connection) and reopens.
 */
import assert from 'node:assert/strict';
import { mkdtempSync, rmSync } from 'node:fs';
import { connect, createServer, type Server, type Socket } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, test } from 'node:test';
import { addInstall, eventually, startTestFoyer } from '../support/foyer.js';
import { engineAt, useTestEngine } from '../support/index.js';

const engine = await useTestEngine();
const proxyPath = join(mkdtempSync(join(tmpdir(), 'foyer-proxy-')), 'docker.sock');
const open = new Set<Socket>();
let server: Server | undefined;

function startProxy(): Promise<void> {
  rmSync(proxyPath, { force: true });
  server = createServer((client) => {
    const upstream = connect(engine.socketPath);
    open.add(client).add(upstream);
    client.pipe(upstream).pipe(client);
    const drop = () => {
      client.destroy();
      upstream.destroy();
      open.delete(client);
      open.delete(upstream);
    };
    client.on('error', drop).on('close', drop);
    upstream.on('error', drop).on('close', drop);
  });
  return new Promise((resolve) => server!.listen(proxyPath, resolve));
}

function stopProxy(): Promise<void> {
  for (const socket of open) socket.destroy();
  open.clear();
  return new Promise((resolve) => (server ? server.close(() => resolve()) : resolve()));
}

after(() => stopProxy());

test('the engine vanishing and coming back: no crash, reported unreachable, converges after', async () => {
  await startProxy();
  const foyer = await startTestFoyer(engineAt(`unix://${proxyPath}`));
  const install = `o${process.pid.toString(36)}-web`;
  addInstall(foyer.store, install, 'web', { GREETING: 'before' });
  foyer.reconciler.enqueue(install);
  await eventually('running', () => foyer.reconciler.status(install)?.state === 'running');

  await stopProxy();
  await eventually('engine reported unreachable', () => !foyer.reconciler.reachable, 10_000);
  foyer.store.installs.update(install, { settings: { GREETING: 'after' } });
  foyer.reconciler.enqueue(install);
  await new Promise((r) => setTimeout(r, 2000));
  assert.equal(foyer.reconciler.reachable, false);

  await startProxy();
  await eventually('engine reachable again', () => foyer.reconciler.reachable, 15_000);
  await eventually(
    'the change made during the outage applied',
    async () => {
      const out = await engine
        .docker(['exec', `${install}-web-1`, 'cat', '/www/index.html'])
        .catch(() => undefined);
      return out?.stdout === 'after\n';
    },
    90_000,
  );
  await eventually('running again', () => foyer.reconciler.status(install)?.state === 'running');

  foyer.store.installs.setDesired(install, 'absent', { purge: true });
  foyer.reconciler.enqueue(install);
  await eventually('removed', () => foyer.store.installs.get(install) === undefined, 60_000);
  await foyer.close();
});
