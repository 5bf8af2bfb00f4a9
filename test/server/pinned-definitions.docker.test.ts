// Issue 17: an install runs the app definition it was installed with until someone updates it.
// `foyer serve` as a real child process on the test engine, with a temporary local catalogue
// whose one app changes under it (v2: a new command for its one-shot `init`, a new image tag),
// breaks, and goes away, across daemon restarts; the `foyer` CLI as a person runs it. Each step
// checks the engine itself: container ids, the page in the app's volume.
import assert from 'node:assert/strict';
import { mkdirSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, before, describe, test } from 'node:test';
import Database from 'better-sqlite3';
import { MIGRATIONS, migrate } from '../../server/store/migrations.js';
import { removeLabelled, runFoyer, serveFoyer } from '../support/cli.js';
import { type DaemonProcess, eventually } from '../support/foyer.js';
import { useTestEngine } from '../support/index.js';
import { startRegistry } from '../support/registry.js';

const engine = await useTestEngine();

const id = `pin${process.pid.toString(36)}${Date.now().toString(36).slice(-4)}`;
const dataDir = mkdtempSync(join(tmpdir(), 'foyer-pin-data-'));
const catalog = mkdtempSync(join(tmpdir(), 'foyer-pin-catalog-'));
const appDir = join(catalog, 'keeper');
// The app's images come from a real registry on loopback, since an update pulls them anew.
const registry = await startRegistry();
const V1_TAG = `${registry.address}/keeper:1`;
const V2_TAG = `${registry.address}/keeper:2`;
let daemon: DaemonProcess | undefined;

const foyer = (...args: string[]) => runFoyer(dataDir, ...args);

interface InstallJson {
  id: string;
  version: string | null;
  available?: string;
  catalog: string;
  catalogProblems?: { path: string; message: string }[];
  status: { state: string } | null;
}

async function status(): Promise<InstallJson> {
  const run = await foyer('status', id, '--json');
  assert.equal(run.code, 0, run.stderr);
  return JSON.parse(run.stdout) as InstallJson;
}

/** The app at a version: `init` writes the page once, `web` serves the volume. */
function writeApp(version: 1 | 2) {
  mkdirSync(appDir, { recursive: true });
  writeFileSync(
    join(appDir, 'app.yaml'),
    [
      'id: keeper',
      'name: Keeper',
      `version: ${version}.0.0-1`,
      'summary: A page written once by a one-shot init, served from a volume.',
      'permissions: []',
      '',
    ].join('\n'),
  );
  const page = version === 1 ? 'hello' : 'v2 overwrote hello';
  writeFileSync(
    join(appDir, 'compose.yaml'),
    [
      'services:',
      '  init:',
      `    image: ${V1_TAG}`,
      `    command: ["sh", "-c", "echo '${page}' > /www/index.html"]`,
      '    restart: "no"',
      '    volumes: [www:/www]',
      '  web:',
      `    image: ${version === 1 ? V1_TAG : V2_TAG}`,
      '    command: ["httpd", "-f", "-p", "8080", "-h", "/www"]',
      '    depends_on: { init: { condition: service_completed_successfully } }',
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

/** name → container id of the install's containers. */
async function containers(): Promise<Record<string, string>> {
  const { stdout } = await engine.docker([
    'ps',
    '-a',
    '--format',
    '{{.Names}} {{.ID}}',
    '--filter',
    `label=foyer.install=${id}`,
  ]);
  return Object.fromEntries(
    stdout
      .split('\n')
      .filter(Boolean)
      .map((line) => line.split(' ') as [string, string]),
  );
}

async function page(): Promise<string> {
  const { stdout } = await engine.docker(['exec', `${id}-web-1`, 'cat', '/www/index.html']);
  return stdout.trim();
}

async function startDaemon() {
  daemon = await serveFoyer(engine, dataDir, { FOYER_CATALOG: catalog });
}

async function restartDaemon() {
  await daemon?.kill('SIGTERM');
  await startDaemon();
  // Many resyncs (500 ms each) and the 15 s the issue saw the recreate within.
  await new Promise((r) => setTimeout(r, 16_000));
}

before(async () => {
  // v2's image differs from v1's (a file added), so its id does too: Foyer hashes ids, not tags.
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
  writeApp(1);
  await startDaemon();
});

after(async () => {
  await daemon?.kill('SIGTERM');
  await removeLabelled(engine, `foyer.install=${id}`);
  await engine.docker(['rmi', V1_TAG, V2_TAG]).catch(() => {});
  rmSync(dataDir, { recursive: true, force: true });
  rmSync(catalog, { recursive: true, force: true });
});

/**
 * Rewrites the store as a data dir from before pins (schema 3) would hold it: a database made by
 * migrations 1 to 3 only, with the rows of every table those made, in their columns.
 */
function schemaThreeCopy(path: string): void {
  const old = `${path}.new-schema`;
  rmSync(old, { force: true });
  const current = new Database(path);
  current.pragma('wal_checkpoint(TRUNCATE)');
  current.close();
  writeFileSync(old, readFileSync(path));
  for (const suffix of ['', '-wal', '-shm']) rmSync(`${path}${suffix}`, { force: true });
  const db = new Database(path);
  migrate(
    db,
    MIGRATIONS.filter((m) => m.version <= 3),
  );
  db.exec(`ATTACH DATABASE '${old}' AS old`);
  db.pragma('foreign_keys = OFF');
  const tables = db
    .prepare(
      `SELECT name FROM main.sqlite_master WHERE type = 'table' AND name <> 'schema_migrations'`,
    )
    .all() as { name: string }[];
  for (const { name } of tables) {
    const columns = (db.prepare(`PRAGMA main.table_info(${name})`).all() as { name: string }[])
      .map((c) => `"${c.name}"`)
      .join(', ');
    db.exec(`INSERT INTO main."${name}" (${columns}) SELECT ${columns} FROM old."${name}"`);
  }
  db.exec('DETACH DATABASE old');
  db.close();
  rmSync(old, { force: true });
}

describe('an install runs its pinned definition until it is updated', {
  timeout: 8 * 60_000,
}, () => {
  let installed: Record<string, string> = {};

  test('install v1: the page says hello, status names the version', async () => {
    const run = await foyer('install', 'keeper', '--id', id, '--wait');
    assert.equal(run.code, 0, `${run.stdout}\n${run.stderr}`);
    assert.equal(await page(), 'hello');
    const install = await status();
    assert.equal(install.version, '1.0.0-1');
    assert.equal(install.available, undefined);
    assert.equal(install.catalog, 'listed');
    installed = await containers();
    assert.deepEqual(Object.keys(installed).sort(), [`${id}-init-1`, `${id}-web-1`]);
  });

  test('a data dir from before pins (schema 3) keeps its installs as they were', async () => {
    await daemon?.kill('SIGTERM');
    schemaThreeCopy(join(dataDir, 'foyer.db'));
    rmSync(join(dataDir, 'definitions'), { recursive: true, force: true });
    await startDaemon();
    await new Promise((r) => setTimeout(r, 5_000));
    assert.deepEqual(await containers(), installed, 'no container was recreated');
    assert.equal(await page(), 'hello');
    const install = await status();
    assert.equal(install.version, '1.0.0-1');
    assert.equal(install.status?.state, 'running');
    const db2 = new Database(join(dataDir, 'foyer.db'), { readonly: true });
    const pinned = db2
      .prepare("SELECT count(*) AS n FROM audit_log WHERE action = 'install.pinned' AND target = ?")
      .get(id) as { n: number };
    db2.close();
    assert.equal(pinned.n, 1, 'the migration is in the audit log');
  });

  test('the catalogue moves to v2 and the daemon restarts: nothing changes, v2 is offered', async () => {
    writeApp(2);
    await restartDaemon();
    assert.deepEqual(await containers(), installed, 'same containers');
    assert.equal(await page(), 'hello', 'the data was not overwritten');
    const install = await status();
    assert.equal(install.version, '1.0.0-1');
    assert.equal(install.available, '2.0.0-1');
    const table = await foyer('status');
    assert.match(
      table.stdout,
      new RegExp(`^${id}\\s+keeper\\s+1\\.0\\.0-1\\s+update: 2\\.0\\.0-1`, 'm'),
    );
  });

  test('foyer update shows what changes and moves to v2', async () => {
    const run = await foyer('update', id, '--wait');
    assert.equal(run.code, 0, `${run.stdout}\n${run.stderr}`);
    assert.match(run.stdout, /1\.0\.0-1 → 2\.0\.0-1/);
    assert.ok(run.stdout.includes(`web: ${V1_TAG} → ${V2_TAG}`), run.stdout);
    const install = await status();
    assert.equal(install.version, '2.0.0-1');
    assert.equal(install.available, undefined);
    const { stdout } = await engine.docker([
      'inspect',
      '--format',
      '{{.Config.Image}}',
      `${id}-web-1`,
    ]);
    assert.equal(stdout.trim(), V2_TAG, daemon?.output().slice(-6000));
    // The update asked for the new init: it ran once, as v2 says.
    await eventually(
      'the v2 init to have run',
      async () => (await page()) === 'v2 overwrote hello',
    );
    installed = await containers();
  });

  test('a broken catalogue folder touches nothing and refuses the update with its path', async () => {
    writeFileSync(join(appDir, 'app.yaml'), 'id: keeper\nname: [unclosed\n');
    await restartDaemon();
    assert.deepEqual(await containers(), installed);
    const install = await status();
    assert.equal(install.catalog, 'invalid');
    assert.equal(install.status?.state, 'running');
    assert.ok(
      install.catalogProblems?.some((p) => p.path.startsWith(join(appDir, 'app.yaml'))),
      JSON.stringify(install.catalogProblems),
    );
    const run = await foyer('update', id, '--wait');
    assert.equal(run.code, 1, run.stdout);
    assert.match(run.stderr, /FOYER_INVALID_DEFINITION/);
    assert.ok(run.stderr.includes(join(appDir, 'app.yaml')), run.stderr);
    assert.deepEqual(await containers(), installed);
  });

  test('an app removed from the catalogue keeps running and says so; uninstall works', async () => {
    rmSync(appDir, { recursive: true });
    await restartDaemon();
    assert.deepEqual(await containers(), installed);
    assert.equal(await page(), 'v2 overwrote hello');
    const install = await status();
    assert.equal(install.catalog, 'removed');
    assert.equal(install.version, '2.0.0-1');
    assert.equal(install.status?.state, 'running');
    const table = await foyer('status');
    assert.match(table.stdout, /no longer listed/);
    const run = await foyer('uninstall', id, '--purge', '--yes', '--wait');
    assert.equal(run.code, 0, `${run.stdout}\n${run.stderr}`);
    assert.deepEqual(await containers(), {});
    const { stdout } = await engine.docker([
      'volume',
      'ls',
      '-q',
      '--filter',
      `label=foyer.install=${id}`,
    ]);
    assert.equal(stdout.trim(), '');
  });
});
