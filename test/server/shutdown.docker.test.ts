// Stopping the daemon (issue 12 §5): `foyer serve` as a real child process gets SIGTERM while an
// install builds its image (a build that outlasts the 10 s drain). It must stop taking work,
// abandon the build, remove its socket and pid files and exit 0 within the bound; the job is
// left running in the store, and the next start marks it interrupted and converges the install.
import assert from 'node:assert/strict';
import { execFile } from 'node:child_process';
import { existsSync, mkdirSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { dirname, join, resolve } from 'node:path';
import { after, test } from 'node:test';
import { fileURLToPath } from 'node:url';
import { SHUTDOWN_DRAIN_MS } from '../../server/daemon.js';
import { openStore } from '../../server/store/index.js';
import { jobRepository } from '../../server/store/jobs.js';
import { type DaemonProcess, eventually, spawnDaemon } from '../support/foyer.js';
import { BUSYBOX_IMAGE, useTestEngine } from '../support/index.js';

const root = resolve(dirname(fileURLToPath(import.meta.url)), '../..');
const engine = await useTestEngine();
const run = `s${process.pid.toString(36)}${Date.now().toString(36).slice(-4)}`;
const dataDir = mkdtempSync(join(tmpdir(), 'foyer-shutdown-'));
const catalog = mkdtempSync(join(tmpdir(), 'foyer-shutdown-catalog-'));
const daemons: DaemonProcess[] = [];

// A build that takes longer than the drain: SIGTERM lands in it and it must be abandoned.
const BUILD_S = Math.ceil(SHUTDOWN_DRAIN_MS / 1000) + 8;
const appDir = join(catalog, 'slowbuild');
mkdirSync(appDir);
writeFileSync(
  join(appDir, 'app.yaml'),
  'id: slowbuild\nname: Slow build\nversion: 1.0.0-1\npermissions: []\n',
);
writeFileSync(
  join(appDir, 'compose.yaml'),
  [
    'services:',
    '  app:',
    '    build: { context: . }',
    '    command: ["sleep", "3600"]',
    '    stop_grace_period: 1s',
    '',
  ].join('\n'),
);
// The run id keeps this build's cache apart from other runs' on a shared engine.
writeFileSync(
  join(appDir, 'Dockerfile'),
  `FROM ${BUSYBOX_IMAGE}\nRUN echo ${run} && sleep ${BUILD_S}\n`,
);

function start(): DaemonProcess {
  const daemon = spawnDaemon(engine, dataDir, { FOYER_CATALOG: catalog, FOYER_RESYNC_MS: '1000' });
  daemons.push(daemon);
  return daemon;
}

function cli(...args: string[]): Promise<{ code: number; stdout: string; stderr: string }> {
  return new Promise((done) => {
    execFile(
      process.execPath,
      [join(root, 'bin/foyer.js'), ...args],
      { env: { ...process.env, FOYER_DATA_DIR: dataDir }, timeout: 120_000 },
      (error, stdout, stderr) =>
        done({ code: error ? ((error as { code?: number }).code ?? 1) : 0, stdout, stderr }),
    );
  });
}

function jobsOf(id: string) {
  const store = openStore(join(dataDir, 'foyer.db'));
  try {
    return jobRepository(store.db).list({ installId: id });
  } finally {
    store.close();
  }
}

after(async () => {
  for (const daemon of daemons) await daemon.kill('SIGKILL');
  const ids = (await engine.docker(['ps', '-aq', '--filter', `label=foyer.install=${run}`])).stdout
    .split('\n')
    .filter(Boolean);
  if (ids.length > 0) await engine.docker(['rm', '-f', ...ids]);
  await engine.docker(['network', 'rm', `${run}_default`]).catch(() => undefined);
  await engine.docker(['image', 'rm', '-f', `${run}-app`]).catch(() => undefined);
  rmSync(dataDir, { recursive: true, force: true });
  rmSync(catalog, { recursive: true, force: true });
});

test('SIGTERM during a build exits 0 within the bound; the next start converges the install', async () => {
  const first = start();
  await eventually('foyer serve', () => first.output().includes('Foyer is running at'), 60_000);
  const installed = await cli('install', 'slowbuild', '--id', run, '--json');
  assert.equal(installed.code, 0, installed.stderr);
  await eventually('the build to start', () => /BuildImage/.test(first.output()), 60_000);
  await new Promise((r) => setTimeout(r, 1000));

  const exited = new Promise<number | null>((r) => first.child.once('exit', (code) => r(code)));
  const stopping = Date.now();
  first.child.kill('SIGTERM');
  const code = await exited;
  const tookMs = Date.now() - stopping;
  assert.equal(code, 0, first.output());
  assert.ok(tookMs <= SHUTDOWN_DRAIN_MS + 3000, `took ${tookMs} ms to stop`);
  assert.match(first.output(), /carries on at the next start/);
  assert.equal(existsSync(join(dataDir, 'foyer.sock')), false);
  assert.equal(existsSync(join(dataDir, 'foyer.pid')), false);
  // The job is left as it was: only the next start may say it was interrupted.
  assert.deepEqual(
    jobsOf(run).map((j) => [j.kind, j.state]),
    [['install', 'running']],
  );

  const second = start();
  await eventually('foyer serve again', () => second.output().includes('Foyer is running at'));
  assert.deepEqual(
    jobsOf(run).map((j) => [j.kind, j.state]),
    [['install', 'interrupted']],
  );
  await eventually(
    'the install to run',
    async () => {
      const { stdout } = await engine.docker([
        'ps',
        '--filter',
        `label=foyer.install=${run}`,
        '--format',
        '{{.Names}} {{.State}}',
      ]);
      return stdout.trim() === `${run}-app-1 running`;
    },
    (BUILD_S + 60) * 1000,
  );
  const removed = await cli('uninstall', run, '--purge', '--yes', '--wait');
  assert.equal(removed.code, 0, removed.stderr + removed.stdout);

  // With nothing in flight, stopping is prompt and says so.
  const exitedAgain = new Promise<number | null>((r) => second.child.once('exit', (c) => r(c)));
  const again = Date.now();
  second.child.kill('SIGTERM');
  assert.equal(await exitedAgain, 0);
  assert.ok(Date.now() - again < 3000, `took ${Date.now() - again} ms to stop`);
  assert.doesNotMatch(second.output(), /carries on at the next start/);
});
