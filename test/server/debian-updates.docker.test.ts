// Issue 15, Debian's updates for built images and automatic updates in a window: `foyer serve`
// as a real child process on the test engine, an app built here from debian:bookworm-slim and
// the Debian mirror reached from containers.
//
// The "outdated" image is made on purpose: after install, the built image is replaced (same
// tag, same labels) by one whose dpkg database says busybox is at an older version
// (`<version>~foyertest`, lower in Debian's order), so apt in it sees the mirror's busybox as an
// upgrade — whatever the mirror holds the day the test runs. The check must offer it without
// touching the running app or leaving a container; `foyer update` must rebuild without cache
// and bring the real (newer) busybox in, through the driver. Then automatic updates: on in a
// window around now, a catalogue version whose health check fails is rolled back and not tried
// again; the next version is taken by itself; the activity log names `auto-update`.
import assert from 'node:assert/strict';
import { mkdirSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, before, describe, test } from 'node:test';
import Database from 'better-sqlite3';
import { removeLabelled, runFoyer, serveFoyer } from '../support/cli.js';
import { type DaemonProcess, eventually } from '../support/foyer.js';
import { useTestEngine } from '../support/index.js';

const engine = await useTestEngine();
const id = `du${process.pid.toString(36)}${Date.now().toString(36).slice(-4)}`;
const dataDir = mkdtempSync(join(tmpdir(), 'foyer-debian-data-'));
const catalog = mkdtempSync(join(tmpdir(), 'foyer-debian-catalog-'));
const doctorDir = mkdtempSync(join(tmpdir(), 'foyer-debian-doctor-'));
const appDir = join(catalog, 'patched');
let daemon: DaemonProcess | undefined;

const foyer = (...args: string[]) => runFoyer(dataDir, ...args);
const container = `${id}-web-1`;

const HEALTHY =
  'mkdir -p /tmp/www && echo ok > /tmp/www/ok && exec busybox httpd -f -p 8080 -h /tmp/www';
const BROKEN =
  'echo "patched 2: refusing to serve" >&2; exec busybox httpd -f -p 8080 -h /nonexistent';

/** The app at a version: busybox from Debian's package, serving /ok when healthy. */
function writeApp(version: string, command: string) {
  mkdirSync(appDir, { recursive: true });
  writeFileSync(
    join(appDir, 'Dockerfile'),
    [
      'FROM debian:bookworm-slim',
      // Upgraded too, as Foyer's catalogue does: the base image's packages get Debian's updates.
      'RUN apt-get update \\',
      ' && apt-get upgrade -y \\',
      ' && apt-get install -y --no-install-recommends busybox \\',
      ' && rm -rf /var/lib/apt/lists/*',
      '',
    ].join('\n'),
  );
  writeFileSync(
    join(appDir, 'app.yaml'),
    [
      'id: patched',
      'name: Patched',
      `version: ${version}`,
      'summary: Busybox from Debian, built on the box.',
      'permissions: []',
      'update: { healthTimeout: 40 }',
      '',
    ].join('\n'),
  );
  writeFileSync(
    join(appDir, 'compose.yaml'),
    [
      'services:',
      '  web:',
      '    build: { context: . }',
      `    command: ["sh", "-c", ${JSON.stringify(command)}]`,
      '    healthcheck:',
      '      test: ["CMD", "busybox", "wget", "-q", "-O", "/dev/null", "http://127.0.0.1:8080/ok"]',
      '      interval: 1s',
      '      timeout: 2s',
      '      retries: 2',
      '    stop_grace_period: 1s',
      '',
    ].join('\n'),
  );
}

async function offer(version: string, command: string) {
  writeApp(version, command);
  const run = await foyer('catalog', 'reload');
  assert.equal(run.code, 0, run.stderr);
}

async function inspect(format: string, name = container): Promise<string> {
  return (await engine.docker(['inspect', '--format', format, name])).stdout.trim();
}

async function busyboxVersion(): Promise<string> {
  const { stdout } = await engine.docker([
    'exec',
    container,
    'dpkg-query',
    '-W',
    '-f',
    '${Version}',
    'busybox',
  ]);
  return stdout.trim();
}

function query<T>(sql: string, ...params: unknown[]): T[] {
  const db = new Database(join(dataDir, 'foyer.db'), { readonly: true });
  try {
    return db.prepare(sql).all(...params) as T[];
  } finally {
    db.close();
  }
}

const autoJobs = () =>
  query<{ id: string; state: string; error: string | null }>(
    "SELECT id, state, error FROM jobs WHERE kind = 'update' AND actor = 'auto-update' ORDER BY created_at, rowid",
  );

async function status(): Promise<{
  version: string | null;
  debianUpdates?: { name: string; from: string; to: string }[];
}> {
  const run = await foyer('status', id, '--json');
  assert.equal(run.code, 0, run.stderr);
  return JSON.parse(run.stdout);
}

/** `HH:MM` of now plus `minutes`, local time (the daemon's window is in local time too). */
function clock(minutes: number): string {
  const at = new Date(Date.now() + minutes * 60_000);
  return `${String(at.getHours()).padStart(2, '0')}:${String(at.getMinutes()).padStart(2, '0')}`;
}

async function startDaemon() {
  daemon = await serveFoyer(engine, dataDir, {
    FOYER_CATALOG: catalog,
    FOYER_AUTO_UPDATE_TICK_MS: '1000',
  });
}

before(async () => {
  writeApp('1.0.0', HEALTHY);
  await startDaemon();
});

after(async () => {
  await daemon?.kill('SIGTERM');
  await removeLabelled(engine, `foyer.install=${id}`);
  const images = await engine
    .docker(['images', '-q', '--filter', `label=foyer.install=${id}`])
    .catch(() => ({ stdout: '' }));
  for (const image of new Set(images.stdout.split('\n').filter(Boolean)))
    await engine.docker(['rmi', '-f', image]).catch(() => {});
  for (const dir of [dataDir, catalog, doctorDir]) rmSync(dir, { recursive: true, force: true });
});

describe("Debian's updates for an image built here", () => {
  let real = '';
  let doctored = '';

  test('an outdated package is offered by the check, which leaves the app alone', async (t) => {
    const install = await foyer('install', 'patched', '--id', id, '--wait');
    assert.equal(install.code, 0, install.stderr + install.stdout);
    real = await busyboxVersion();
    const reference = await inspect('{{.Config.Image}}');

    // The image as it would be had it been built before Debian's newer busybox.
    await daemon?.kill('SIGTERM');
    writeFileSync(
      join(doctorDir, 'Dockerfile'),
      [
        `FROM ${reference}`,
        "RUN sed -i '/^Package: busybox$/,/^$/ s/^Version: \\(.*\\)$/Version: \\1~foyertest/' /var/lib/dpkg/status",
        '',
      ].join('\n'),
    );
    await engine.docker(['build', '-q', '-t', reference, doctorDir]);
    const outdatedImage = await inspect('{{.Id}}', reference);
    await startDaemon();
    await eventually(
      'the app to run the outdated image',
      async () =>
        (await inspect('{{.Image}}')) === outdatedImage &&
        (await inspect('{{.State.Health.Status}}')) === 'healthy',
      120_000,
    );
    doctored = await busyboxVersion();
    assert.equal(doctored, `${real}~foyertest`);
    assert.equal((await status()).debianUpdates, undefined, 'nothing offered before a check');

    const before = await inspect('{{.Id}} {{.State.StartedAt}}');
    const started = Date.now();
    const check = await foyer('update', id, '--check', '--json');
    assert.equal(check.code, 0, check.stderr);
    t.diagnostic(`foyer update --check took ${Date.now() - started} ms (apt-get update included)`);
    const found = JSON.parse(check.stdout) as {
      packages: { name: string; from: string; to: string }[];
      problems: unknown[];
    };
    assert.deepEqual(found.problems, []);
    const busybox = found.packages.find((p) => p.name === 'busybox');
    assert.deepEqual(busybox && { from: busybox.from, to: busybox.to }, {
      from: doctored,
      to: real,
    });
    assert.equal(await inspect('{{.Id}} {{.State.StartedAt}}'), before, 'the app was not touched');
    const left = await engine.docker(['ps', '-aq', '--filter', 'label=foyer.debian-check']);
    assert.equal(left.stdout.trim(), '', 'the check leaves no container');

    // The install view and the update preview say it.
    assert.ok((await status()).debianUpdates?.some((p) => p.name === 'busybox'));
    const preview = await foyer('update', id, '--check');
    assert.match(
      preview.stdout,
      /from Debian for the images built here:\n(.*\n)*\s+busybox \S+~foyertest → /,
    );
  });

  test('foyer update rebuilds without cache: the newer package runs, nothing offered any more', async () => {
    const run = await foyer('update', id, '--wait', '--yes');
    assert.equal(run.code, 0, run.stderr + run.stdout);
    assert.match(run.stdout + run.stderr, /busybox .*~foyertest → /, 'the summary names it');
    const now = await busyboxVersion();
    assert.equal(now, real);
    await engine.docker(['exec', container, 'dpkg', '--compare-versions', now, 'gt', doctored]);
    assert.equal((await status()).debianUpdates, undefined, 'the old check says nothing now');
    const again = await foyer('update', id, '--check', '--json');
    assert.equal(again.code, 0, again.stderr);
    assert.deepEqual(JSON.parse(again.stdout).packages, [], 'a new check finds nothing newer');
  });
});

describe('automatic updates in a window', () => {
  test('a bad window is refused and changes nothing', async () => {
    const run = await foyer('update', id, '--auto', 'on', '--window', '25:00-01:00');
    assert.notEqual(run.code, 0);
    assert.match(run.stderr, /window/);
    const setting = await foyer('update', id, '--auto', 'off', '--json');
    assert.equal(JSON.parse(setting.stdout).window, '03:00-05:00', 'the default window kept');
  });

  test('a failing version is rolled back and not tried again; the next one is taken', async () => {
    const window = `${clock(-1)}-${clock(60)}`;
    const on = await foyer('update', id, '--auto', 'on', '--window', window);
    assert.equal(on.code, 0, on.stderr);
    assert.match(on.stdout, /updates itself between/);

    await offer('2.0.0', BROKEN);
    await eventually(
      'the automatic update to 2.0.0 to roll back',
      () => autoJobs()[0]?.state === 'failed',
      180_000,
    );
    assert.match(autoJobs()[0]?.error ?? '', /rolled back to 1\.0\.0/);
    assert.equal((await status()).version, '1.0.0');
    assert.equal(await inspect('{{.State.Health.Status}}'), 'healthy');
    // Ticks go on every second; the same offer is not tried again.
    await new Promise((r) => setTimeout(r, 5000));
    assert.equal(autoJobs().length, 1, 'not retried for the same version');

    await offer('3.0.0', HEALTHY);
    await eventually(
      'the automatic update to 3.0.0',
      () => autoJobs()[1]?.state === 'succeeded',
      180_000,
    );
    assert.equal((await status()).version, '3.0.0');
    const audit = query<{ action: string }>(
      "SELECT action FROM audit_log WHERE actor = 'auto-update' AND target = ? ORDER BY id",
      id,
    );
    assert.deepEqual(
      audit.map((a) => a.action),
      ['install.update', 'install.update'],
      'the activity log names auto-update',
    );
  });
});
