// Issue 15, "updates that roll back": `foyer serve` as a real child process on the test engine,
// a local catalogue app whose versions come and go, images from a real registry on loopback.
// A version whose health check fails (and which overwrites the data on start) is rolled back:
// the old image, pin and data are back, the failed version's logs are kept. A healthy version
// is kept and its snapshot removed. A daemon killed during the health wait converges.
import assert from 'node:assert/strict';
import {
  existsSync,
  mkdirSync,
  mkdtempSync,
  readdirSync,
  readFileSync,
  rmSync,
  writeFileSync,
} from 'node:fs';
import { request } from 'node:http';
import { tmpdir } from 'node:os';
import { dirname, join, resolve } from 'node:path';
import { after, before, describe, test } from 'node:test';
import { fileURLToPath } from 'node:url';
import Database from 'better-sqlite3';
import { runFoyer, serveFoyer } from '../support/cli.js';
import { type DaemonProcess, eventually } from '../support/foyer.js';
import { useTestEngine } from '../support/index.js';
import { startRegistry } from '../support/registry.js';

const root = resolve(dirname(fileURLToPath(import.meta.url)), '../..');
const _bin = join(root, 'bin/foyer.js');
const engine = await useTestEngine();

const id = `rb${process.pid.toString(36)}${Date.now().toString(36).slice(-4)}`;
const dataDir = mkdtempSync(join(tmpdir(), 'foyer-rollback-data-'));
const catalog = mkdtempSync(join(tmpdir(), 'foyer-rollback-catalog-'));
const appDir = join(catalog, 'vault');
const registry = await startRegistry();
const V1_TAG = `${registry.address}/vault:1`;
const V2_TAG = `${registry.address}/vault:2`;
let daemon: DaemonProcess | undefined;

const foyer = (...args: string[]) => runFoyer(dataDir, ...args);

interface InstallJson {
  version: string | null;
  available?: string;
  status: { state: string } | null;
}

async function status(): Promise<InstallJson> {
  const run = await foyer('status', id, '--json');
  assert.equal(run.code, 0, run.stderr);
  return JSON.parse(run.stdout) as InstallJson;
}

/** Serves /ok from a folder outside the volume: healthy. */
const HEALTHY = 'mkdir -p /tmp/www && echo ok > /tmp/www/ok && exec httpd -f -p 8080 -h /tmp/www';
/** Overwrites the data, says why it is unhappy, and serves no /ok: unhealthy. */
const BROKEN =
  'echo v2 overwrote it > /data/precious; echo "vault 2: the data format changed" >&2; ' +
  'exec httpd -f -p 8080 -h /data';

/** The app at a version: one `web` service, its data in the volume `data`. */
function writeApp(version: string, image: string, command: string, retries = 2) {
  mkdirSync(appDir, { recursive: true });
  writeFileSync(
    join(appDir, 'app.yaml'),
    [
      'id: vault',
      'name: Vault',
      `version: ${version}`,
      'summary: Keeps one precious file in a volume.',
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
      `    image: ${image}`,
      `    command: ["sh", "-c", ${JSON.stringify(command)}]`,
      '    volumes: [data:/data]',
      '    healthcheck:',
      '      test: ["CMD", "wget", "-q", "-O", "/dev/null", "http://127.0.0.1:8080/ok"]',
      '      interval: 1s',
      '      timeout: 2s',
      `      retries: ${retries}`,
      '    stop_grace_period: 1s',
      'volumes:',
      '  data:',
      '',
    ].join('\n'),
  );
}

/** Writes the app at a version and has the daemon read its catalogue again. */
async function offer(version: string, image: string, command: string, retries = 2) {
  writeApp(version, image, command, retries);
  const run = await foyer('catalog', 'reload');
  assert.equal(run.code, 0, run.stderr);
}

async function inspect(format: string): Promise<string> {
  const { stdout } = await engine.docker(['inspect', '--format', format, `${id}-web-1`]);
  return stdout.trim();
}

async function precious(): Promise<string> {
  const { stdout } = await engine.docker(['exec', `${id}-web-1`, 'cat', '/data/precious']);
  return stdout.trim();
}

async function rollbackTags(): Promise<string[]> {
  const { stdout } = await engine.docker(['image', 'ls', '--format', '{{.Repository}}:{{.Tag}}']);
  return stdout.split('\n').filter((t) => t.includes('foyer-rollback'));
}

/** GET on the daemon's local socket (the local admin), as JSON. */
function api(path: string): Promise<unknown> {
  return new Promise((done, fail) => {
    const req = request({ socketPath: join(dataDir, 'foyer.sock'), path }, (res) => {
      let body = '';
      res.on('data', (chunk: Buffer) => {
        body += chunk;
      });
      res.on('end', () => done(JSON.parse(body)));
    });
    req.on('error', fail);
    req.end();
  });
}

function lastUpdateJob(): { state: string; error: string | null } {
  const db = new Database(join(dataDir, 'foyer.db'), { readonly: true });
  try {
    return db
      .prepare(
        "SELECT state, error FROM jobs WHERE kind = 'update' ORDER BY created_at DESC, rowid DESC LIMIT 1",
      )
      .get() as { state: string; error: string | null };
  } finally {
    db.close();
  }
}

function updatePhase(): string | undefined {
  const db = new Database(join(dataDir, 'foyer.db'), { readonly: true });
  try {
    const row = db
      .prepare('SELECT phase FROM updates ORDER BY created_at DESC, rowid DESC LIMIT 1')
      .get() as { phase: string } | undefined;
    return row?.phase;
  } finally {
    db.close();
  }
}

async function startDaemon() {
  daemon = await serveFoyer(engine, dataDir, { FOYER_CATALOG: catalog });
}

before(async () => {
  // v2's image differs from v1's (a file added), so its id does too.
  const maker = `${id}-image`;
  await engine.docker([
    'run',
    '--name',
    maker,
    'foyer-test/busybox:latest',
    'sh',
    '-c',
    'echo 2 > /v',
  ]);
  await engine.docker(['commit', maker, V2_TAG]);
  await engine.docker(['rm', maker]);
  await engine.docker(['tag', 'foyer-test/busybox:latest', V1_TAG]);
  for (const tag of [V1_TAG, V2_TAG]) {
    await engine.docker(['push', tag]);
    await engine.docker(['rmi', tag]);
  }
  writeApp('1.0.0', V1_TAG, HEALTHY);
  await startDaemon();
});

after(async () => {
  await daemon?.kill('SIGTERM');
  const label = `label=foyer.install=${id}`;
  const ids = async (args: string[]) =>
    (await engine.docker(args).catch(() => ({ stdout: '' }))).stdout.split('\n').filter(Boolean);
  const left = await ids(['ps', '-aq', '--filter', label]);
  if (left.length > 0) await engine.docker(['rm', '-f', ...left]).catch(() => {});
  const networks = await ids(['network', 'ls', '-q', '--filter', label]);
  if (networks.length > 0) await engine.docker(['network', 'rm', ...networks]).catch(() => {});
  const volumes = await ids(['volume', 'ls', '-q', '--filter', label]);
  if (volumes.length > 0) await engine.docker(['volume', 'rm', ...volumes]).catch(() => {});
  for (const tag of [V1_TAG, V2_TAG, ...(await rollbackTags())])
    await engine.docker(['rmi', tag]).catch(() => {});
  rmSync(dataDir, { recursive: true, force: true });
  rmSync(catalog, { recursive: true, force: true });
});

describe('an update whose new version is not healthy is rolled back', {
  timeout: 12 * 60_000,
}, () => {
  let v1Image = '';
  let v1Definition = '';

  const definition = () => {
    const db = new Database(join(dataDir, 'foyer.db'), { readonly: true });
    try {
      return (
        db.prepare('SELECT definition FROM installs WHERE id = ?').get(id) as {
          definition: string;
        }
      ).definition;
    } finally {
      db.close();
    }
  };

  test('install v1 and put something precious in its volume', async () => {
    const run = await foyer('install', 'vault', '--id', id, '--wait');
    assert.equal(run.code, 0, `${run.stdout}\n${run.stderr}`);
    await engine.docker(['exec', `${id}-web-1`, 'sh', '-c', 'echo precious > /data/precious']);
    v1Image = await inspect('{{.Image}}');
    v1Definition = definition();
  });

  test('v2 overwrites the data and fails its health check: the update fails, v1 and its data are back', async () => {
    await offer('2.0.0', V2_TAG, BROKEN);
    const started = Date.now();
    const run = await foyer('update', id, '--wait');
    assert.equal(run.code, 1, `${run.stdout}\n${run.stderr}`);
    assert.match(run.stderr, /did not become healthy/);
    assert.match(run.stderr, /rolled back to 1\.0\.0/);
    const job = lastUpdateJob();
    assert.equal(job.state, 'failed');
    assert.match(job.error ?? '', /web: its health check fails.*rolled back to 1\.0\.0/);

    assert.equal(await inspect('{{.Image}}'), v1Image, 'the same image as before the update');
    assert.equal(await inspect('{{.Config.Image}}'), V1_TAG);
    assert.equal(definition(), v1Definition, 'the old definition is pinned again');
    await eventually(
      'v1 to be healthy',
      async () => (await inspect('{{.State.Health.Status}}')) === 'healthy',
    );
    assert.equal(await precious(), 'precious', 'the data is as it was before the update');
    const install = await status();
    assert.equal(install.version, '1.0.0');
    assert.equal(install.available, '2.0.0');
    assert.equal(install.status?.state, 'running');

    // The failed version's last log lines are kept in the data dir, and named in the job's error.
    const logsDir = /logs are kept in (\S+)/.exec(job.error ?? '')?.[1] ?? '';
    assert.ok(logsDir.startsWith(join(dataDir, 'update-logs', id)), job.error ?? '');
    assert.match(
      readFileSync(join(logsDir, 'web.log'), 'utf8'),
      /vault 2: the data format changed/,
    );
    // The API lists the update with why it rolled back and the failed version's last lines.
    const [listed] = (await api(`/api/installs/${id}/updates`)) as {
      phase: string;
      from: string;
      to: string;
      reason: string;
      logs: Record<string, string[]>;
    }[];
    assert.equal(listed?.phase, 'rolled-back');
    assert.deepEqual([listed?.from, listed?.to], ['2.0.0', '1.0.0'].reverse());
    assert.match(listed?.reason ?? '', /did not become healthy/);
    assert.ok(listed?.logs.web?.some((l) => l.includes('the data format changed')));
    // Nothing left behind: no rollback tag, no snapshot.
    assert.deepEqual(await rollbackTags(), []);
    assert.deepEqual(readdirSync(join(dataDir, 'snapshots', id)), []);
    console.log(
      `# failed update back to v1, healthy: ${((Date.now() - started) / 1000).toFixed(1)} s in all`,
    );
  });

  test('a healthy v3 is kept, and its snapshot removed', async () => {
    await offer('3.0.0', V2_TAG, HEALTHY);
    const run = await foyer('update', id, '--wait');
    assert.equal(run.code, 0, `${run.stdout}\n${run.stderr}`);
    assert.equal(lastUpdateJob().state, 'succeeded');
    const install = await status();
    assert.equal(install.version, '3.0.0');
    assert.equal(install.available, undefined);
    assert.equal(await inspect('{{.Config.Image}}'), V2_TAG);
    assert.equal(await precious(), 'precious');
    assert.deepEqual(await rollbackTags(), []);
    assert.deepEqual(readdirSync(join(dataDir, 'snapshots', id)), []);
  });

  test('a daemon killed while it waits for the new version converges: rolled back, data intact', async () => {
    const v3Image = await inspect('{{.Image}}');
    // v4 fails slowly (20 failed checks), so the kill lands in the health wait.
    await offer('4.0.0', V1_TAG, BROKEN, 20);
    const run = await foyer('update', id);
    assert.equal(run.code, 0, `${run.stdout}\n${run.stderr}`);
    await eventually('the update to wait for health', () => updatePhase() === 'checking', 120_000);
    await daemon?.kill('SIGKILL');
    assert.equal(existsSync(join(dataDir, 'snapshots', id)), true);
    await startDaemon();
    await eventually('the update job to end', () => lastUpdateJob().state !== 'running', 180_000);
    assert.equal(updatePhase(), 'rolled-back', daemon?.output().slice(-4000));
    const job = lastUpdateJob();
    assert.equal(job.state, 'failed');
    assert.match(job.error ?? '', /rolled back to 3\.0\.0/);
    await eventually(
      'v3 to be healthy',
      async () => (await inspect('{{.State.Health.Status}}')) === 'healthy',
      60_000,
    );
    assert.equal(await inspect('{{.Image}}'), v3Image);
    assert.equal(await precious(), 'precious');
    assert.equal((await status()).version, '3.0.0');
    assert.deepEqual(await rollbackTags(), []);
  });

  test('a refresh that pulls a broken image under the same tag keeps the old image and goes back to it', async () => {
    const v3Image = await inspect('{{.Image}}');
    // The registry's image under v3's tag is replaced by one where the service cannot start
    // (its /tmp is a file). BusyBox's shell runs applets itself, so a broken httpd would not do.
    const maker = `${id}-broken`;
    await engine.docker([
      'run',
      '--name',
      maker,
      'foyer-test/busybox:latest',
      'sh',
      '-c',
      'rm -rf /tmp && echo "not a folder" > /tmp',
    ]);
    await engine.docker(['commit', maker, V2_TAG]);
    await engine.docker(['rm', maker]);
    await engine.docker(['push', V2_TAG]);
    await engine.docker(['tag', v3Image, V2_TAG]);
    // The catalogue offers v3 again, the definition the install runs: an update refreshes.
    await offer('3.0.0', V2_TAG, HEALTHY);
    const run = await foyer('update', id, '--wait');
    assert.equal(run.code, 1, `${run.stdout}\n${run.stderr}`);
    assert.match(run.stdout, /refreshes its images/);
    assert.match(run.stderr, /rolled back to 3\.0\.0/);
    assert.equal(await inspect('{{.Image}}'), v3Image, 'the image from before the refresh');
    const { stdout } = await engine.docker(['image', 'inspect', '--format', '{{.Id}}', V2_TAG]);
    assert.equal(stdout.trim(), v3Image, 'its tag points at it again');
    await eventually(
      'v3 to be healthy',
      async () => (await inspect('{{.State.Health.Status}}')) === 'healthy',
    );
    assert.equal(await precious(), 'precious');
    assert.deepEqual(await rollbackTags(), []);
  });

  test('a daemon killed while a good new version starts keeps that version', async () => {
    // Healthy, but only after a few seconds: the kill lands in the health wait.
    await offer('5.0.0', V1_TAG, `sleep 4; ${HEALTHY}`, 10);
    const run = await foyer('update', id);
    assert.equal(run.code, 0, `${run.stdout}\n${run.stderr}`);
    await eventually('the update to wait for health', () => updatePhase() === 'checking', 120_000);
    await daemon?.kill('SIGKILL');
    await startDaemon();
    await eventually('the update job to end', () => lastUpdateJob().state !== 'running', 180_000);
    assert.equal(lastUpdateJob().state, 'succeeded', lastUpdateJob().error ?? '');
    assert.equal(updatePhase(), 'succeeded');
    assert.equal((await status()).version, '5.0.0');
    assert.equal(await inspect('{{.Config.Image}}'), V1_TAG);
    assert.equal(await precious(), 'precious');
    assert.deepEqual(readdirSync(join(dataDir, 'snapshots', id)), []);
    assert.deepEqual(await rollbackTags(), []);
  });
});
