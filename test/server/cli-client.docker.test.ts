// The `foyer` client as a person runs it: `foyer serve` as a real child process on the test
// engine, and the real bin (`node bin/foyer.js …`, compiled code: run `npm run build` first)
// talking to it through the unix socket in the shared data dir. Each step checks the end state
// through the CLI's own --json output and, where it matters, the engine itself.
//
// The install, logs and lifecycle steps use `greeter`, an app written below into an extra
// catalogue folder (so FOYER_CATALOG is exercised too): it takes GREETING as a setting and says
// it in its log in a shape of its own. `web` is still used for the catalogue listing and for a
// refused setting.
import assert from 'node:assert/strict';
import { execFile } from 'node:child_process';
import { mkdirSync, mkdtempSync, readdirSync, rmSync, statSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { delimiter, dirname, join, resolve } from 'node:path';
import { after, before, describe, test } from 'node:test';
import { fileURLToPath } from 'node:url';
import { type DaemonProcess, eventually, spawnDaemon, TEST_CATALOG } from '../support/foyer.js';
import { useTestEngine } from '../support/index.js';
import { freePort } from '../support/ports.js';

const root = resolve(dirname(fileURLToPath(import.meta.url)), '../..');
const bin = join(root, 'bin/foyer.js');
const engine = await useTestEngine();

// Unique per run, so leftovers of a failed run on a shared engine never meet this run's objects.
const id = `cli${process.pid.toString(36)}${Date.now().toString(36).slice(-4)}`;
const dataDir = mkdtempSync(join(tmpdir(), 'foyer-cli-data-'));
const catalog = mkdtempSync(join(tmpdir(), 'foyer-cli-catalog-'));
let daemon: DaemonProcess | undefined;

interface Run {
  code: number;
  stdout: string;
  stderr: string;
}

/** Runs `foyer <args>` against this file's daemon, never a FOYER_URL from the caller's shell. */
function foyer(...args: string[]): Promise<Run> {
  const env: NodeJS.ProcessEnv = { ...process.env, FOYER_DATA_DIR: dataDir };
  delete env.FOYER_URL;
  delete env.FOYER_TOKEN;
  return new Promise((done) => {
    execFile(
      process.execPath,
      [bin, ...args],
      { env, timeout: 180_000 },
      (error, stdout, stderr) => {
        done({ code: error ? ((error as { code?: number }).code ?? 1) : 0, stdout, stderr });
      },
    );
  });
}

interface InstallJson {
  id: string;
  app: string;
  settings: Record<string, string>;
  status: { state: string; services: { name: string; state: string }[] } | null;
}

async function installs(): Promise<InstallJson[]> {
  const run = await foyer('status', '--json');
  assert.equal(run.code, 0, run.stderr);
  return JSON.parse(run.stdout) as InstallJson[];
}

async function containersOf(install: string): Promise<string[]> {
  const { stdout } = await engine.docker([
    'ps',
    '-a',
    '--format',
    '{{.Names}} {{.State}}',
    '--filter',
    `label=foyer.install=${install}`,
  ]);
  return stdout.split('\n').filter((line) => line.trim() !== '');
}

/** The GREETING variable of the install's container, as the engine has it. */
async function greeting(): Promise<string | undefined> {
  const { stdout } = await engine.docker([
    'inspect',
    '--format',
    '{{json .Config.Env}}',
    `${id}-web-1`,
  ]);
  return (JSON.parse(stdout) as string[]).find((v) => v.startsWith('GREETING='));
}

/** dist/ must hold the CLI as the sources say, or this file tests stale code. */
function assertBuilt() {
  const stale = readdirSync(join(root, 'server/cli'))
    .filter((f) => f.endsWith('.ts'))
    .filter((f) => {
      const built = join(root, 'dist/server/cli', f.replace(/\.ts$/, '.js'));
      try {
        return statSync(built).mtimeMs < statSync(join(root, 'server/cli', f)).mtimeMs;
      } catch {
        return true;
      }
    });
  assert.deepEqual(stale, [], 'dist/ is older than server/cli: run `npm run build` first');
}

function writeGreeter() {
  const dir = join(catalog, 'greeter');
  mkdirSync(dir);
  writeFileSync(
    join(dir, 'app.yaml'),
    [
      'id: greeter',
      'name: Greeter',
      'version: 1.0.0-1',
      'summary: The test web page, with its greeting as a setting and in its log.',
      'permissions: []',
      'settings:',
      '  - { key: GREETING, type: string, default: hello, max: 40 }',
      '',
    ].join('\n'),
  );
  writeFileSync(
    join(dir, 'compose.yaml'),
    [
      'services:',
      '  web:',
      '    image: foyer-test/busybox:latest',
      '    command: ["sh", "-c", "echo \\"greeting: $$GREETING\\"; echo \\"$$GREETING\\" > /www/index.html && exec httpd -f -p 8080 -h /www"]',
      '    environment: { GREETING: "${GREETING}" }',
      '    volumes: [www:/www]',
      '    healthcheck:',
      '      test: ["CMD", "wget", "-q", "-O", "/dev/null", "http://127.0.0.1:8080/"]',
      '      interval: 1s',
      '      retries: 3',
      '    stop_grace_period: 1s',
      'volumes:',
      '  www:',
      '',
    ].join('\n'),
  );
}

before(async () => {
  assertBuilt();
  writeGreeter();
  daemon = spawnDaemon(engine, dataDir, { FOYER_CATALOG: [TEST_CATALOG, catalog].join(delimiter) });
  const started = daemon;
  await eventually(
    'foyer serve to start',
    () => {
      if (started.child.exitCode !== null) throw new Error(`serve exited: ${started.output()}`);
      return started.output().includes('Foyer is running at');
    },
    60_000,
  );
});

after(async () => {
  await daemon?.kill('SIGTERM');
  const ids = async (args: string[]) =>
    (await engine.docker(args).catch(() => ({ stdout: '' }))).stdout.split('\n').filter(Boolean);
  // The install whose image cannot be pulled keeps its job (and so its objects) to the end.
  for (const install of [id, `${id}-nopull`]) {
    const label = `label=foyer.install=${install}`;
    const containers = await ids(['ps', '-aq', '--filter', label]);
    if (containers.length > 0) await engine.docker(['rm', '-f', ...containers]).catch(() => {});
    const networks = await ids(['network', 'ls', '-q', '--filter', label]);
    if (networks.length > 0) await engine.docker(['network', 'rm', ...networks]).catch(() => {});
    const volumes = await ids(['volume', 'ls', '-q', '--filter', label]);
    if (volumes.length > 0) await engine.docker(['volume', 'rm', ...volumes]).catch(() => {});
  }
  rmSync(dataDir, { recursive: true, force: true });
  rmSync(catalog, { recursive: true, force: true });
});

describe('foyer client verbs against foyer serve', { timeout: 5 * 60_000 }, () => {
  test('apps lists the catalogue; --json parses', async () => {
    const json = await foyer('apps', '--json');
    assert.equal(json.code, 0, json.stderr);
    const ids = (JSON.parse(json.stdout) as { id: string }[]).map((a) => a.id);
    assert.ok(ids.includes('web') && ids.includes('greeter'), ids.join(', '));
    const table = await foyer('apps');
    assert.match(table.stdout, /^APP\s+VERSION/);
    assert.match(table.stdout, /^web\s+1\.0\.0-1\s/m);
  });

  test('a bad setting exits 1 with a settings.NOPE: line and installs nothing', async () => {
    const run = await foyer('install', 'web', '--id', id, '--set', 'NOPE=1', '--wait');
    assert.equal(run.code, 1, run.stderr);
    assert.match(run.stderr, /^foyer: FOYER_INVALID_SETTINGS: /m);
    assert.match(run.stderr, /^settings\.NOPE: is not a setting of this app$/m);
    assert.equal((await installs()).length, 0);
  });

  test('an app asking for host power is refused without --accept-permissions', async () => {
    const run = await foyer('install', 'powerful', '--id', `${id}-p`);
    assert.equal(run.code, 1);
    assert.match(run.stderr, /the Linux capability NET_ADMIN/);
    assert.match(run.stderr, /--accept-permissions/);
    assert.equal((await installs()).length, 0);
  });

  test('install --wait shows one plain line per step, exits 0, and the install runs', async () => {
    const run = await foyer('install', 'greeter', '--id', id, '--set', 'GREETING=hi', '--wait');
    assert.equal(run.code, 0, `${run.stdout}\n${run.stderr}`);
    assert.match(run.stdout, /^\d+\/\d+ CreateContainer web$/m);
    assert.match(run.stdout, /^\d+\/\d+ StartContainer web$/m);
    assert.match(run.stdout, new RegExp(`^Installed ${id}$`, 'm'));
    assert.doesNotMatch(run.stdout, /[\u0000-\u0009\u000b-\u001f]/, 'no control characters');

    const status = await foyer('status', id, '--json');
    assert.equal(status.code, 0, status.stderr);
    const install = JSON.parse(status.stdout) as InstallJson;
    assert.equal(install.status?.state, 'running');
    assert.deepEqual(install.settings, { GREETING: 'hi' });
    assert.deepEqual(await containersOf(id), [`${id}-web-1 running`]);
    const table = await foyer('status');
    assert.match(
      table.stdout,
      new RegExp(`^${id}\\s+greeter\\s+1\\.0\\.0-1\\s+up to date\\s+running`, 'm'),
    );
  });

  test('logs shows what the container printed', async () => {
    const run = await eventually('the greeting in the logs', async () => {
      const logs = await foyer('logs', id);
      assert.equal(logs.code, 0, logs.stderr);
      return /^web \| greeting: hi$/m.test(logs.stdout) && logs;
    });
    assert.ok(run);
    const json = await foyer('logs', id, '--json', '--tail', '10');
    const lines = json.stdout
      .trim()
      .split('\n')
      .map((l) => JSON.parse(l));
    assert.ok(
      lines.some((l) => l.service === 'web' && l.line === 'greeting: hi'),
      json.stdout,
    );
  });

  test('set --wait returns once the container runs with the new setting', async () => {
    const run = await foyer('set', id, 'GREETING=yo', '--wait');
    assert.equal(run.code, 0, run.stderr);
    assert.match(run.stdout, new RegExp(`^Reconfigured ${id}$`, 'm'));
    assert.equal(await greeting(), 'GREETING=yo');
    assert.equal((await installs()).find((i) => i.id === id)?.status?.state, 'running');
  });

  test('install --wait of an app that crashes at once fails with the reason', async () => {
    const crash = `${id}-crash`;
    const run = await foyer('install', 'crasher', '--id', crash, '--wait');
    assert.equal(run.code, 1, run.stdout);
    assert.match(run.stderr, /exit code 3/);
    const removal = await foyer('uninstall', crash, '--purge', '--wait');
    assert.equal(removal.code, 0, removal.stderr);
  });

  test('install --wait of an image that cannot be pulled says why and gives up after --timeout', async () => {
    // Nothing listens on this port: every pull is refused, and the reconciler keeps retrying.
    const registry = `127.0.0.1:${await freePort()}`;
    const stuck = `${id}-nopull`;
    const started = Date.now();
    const run = await foyer(
      ...['install', 'pulled', '--id', stuck, '--set', `REGISTRY=${registry}`],
      ...['--wait', '--timeout', '3'],
    );
    assert.equal(run.code, 1, `${run.stdout}\n${run.stderr}`);
    assert.ok(Date.now() - started < 60_000, 'gave up long before the job would');
    // The reason shows while waiting, once however often it is retried ...
    const shown = run.stdout.split('\n').filter((l) => l.startsWith('  not progressing: '));
    assert.equal(shown.length, 1, run.stdout);
    assert.ok(shown[0]!.includes(registry), run.stdout);
    // ... and ends the wait, naming the install and what to do next.
    assert.match(
      run.stderr,
      new RegExp(`^foyer: install of ${stuck} is not progressing: .*${registry}`, 'm'),
    );
    assert.match(run.stderr, /still failing after 3 s/);
    assert.match(run.stderr, new RegExp(`foyer uninstall ${stuck}`));
    // The daemon keeps trying: the install is still there, failing, for `foyer status`.
    const status = (await installs()).find((i) => i.id === stuck)?.status;
    assert.ok(status?.state === 'failed' || status?.state === 'installing', status?.state);
  });

  test('a --timeout that is not a number of seconds is a usage error and sends nothing', async () => {
    const run = await foyer('install', 'greeter', '--id', `${id}-t`, '--wait', '--timeout', 'soon');
    assert.equal(run.code, 2);
    assert.match(run.stderr, /--timeout must be a number of seconds/);
    assert.ok(!(await installs()).some((i) => i.id === `${id}-t`));
  });

  test('stop --wait stops it; start --wait runs it again', async () => {
    const stop = await foyer('stop', id, '--wait');
    assert.equal(stop.code, 0, stop.stderr);
    assert.match(stop.stdout, /^\d+\/\d+ StopContainer web$/m);
    assert.equal((await installs()).find((i) => i.id === id)?.status?.state, 'stopped');
    assert.deepEqual(await containersOf(id), [`${id}-web-1 exited`]);
    const start = await foyer('start', id, '--wait', '--json');
    assert.equal(start.code, 0, start.stderr);
    const result = JSON.parse(start.stdout);
    assert.equal(result.job.state, 'succeeded');
    assert.equal(result.install.status.state, 'running');
  });

  test('uninstall --wait removes it from status and from the engine', async () => {
    const run = await foyer('uninstall', id, '--purge', '--wait');
    assert.equal(run.code, 0, run.stderr);
    assert.match(run.stdout, new RegExp(`^Uninstalled ${id}$`, 'm'));
    // Only the install whose image cannot be pulled is left (its job still runs).
    assert.deepEqual(
      (await installs()).map((i) => i.id),
      [`${id}-nopull`],
    );
    assert.deepEqual(await containersOf(id), []);
    const missing = await foyer('status', id);
    assert.equal(missing.code, 1);
    assert.match(missing.stderr, /FOYER_INSTALL_NOT_FOUND/);
  });

  test('an unknown verb exits 2', async () => {
    const run = await foyer('frobnicate');
    assert.equal(run.code, 2);
    assert.match(run.stderr, /unknown command "frobnicate"/);
  });

  test('with the daemon stopped, the client exits 3 and says how to reach it', async () => {
    await daemon?.kill('SIGTERM');
    const run = await foyer('status');
    assert.equal(run.code, 3);
    assert.match(run.stderr, new RegExp(join(dataDir, 'foyer.sock').replaceAll('.', '\\.')));
    assert.match(run.stderr, /foyer serve/);
    assert.match(run.stderr, /FOYER_URL/);
  });
});
