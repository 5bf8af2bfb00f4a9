// Onto a new box (issue 15 §Restore): box A installs the test `web` app with data in its volume
// and a setting, has an admin, and backs up everything (apps and Foyer's own state) to a local
// target; then its disk "dies" (daemon stopped, its containers and volumes removed). Box B, a
// fresh data dir whose first-run setup is done with another admin, adds the same target with
// the recovery kit's password (a wrong one is refused first, changing nothing) and runs
// `foyer restore --state --apps --wait`: the app runs on B with A's bytes, settings and
// secrets, B lists A's target, and A's admin signs in on B. A state restore on a box that has
// installs is refused without --force.
import assert from 'node:assert/strict';
import { randomBytes } from 'node:crypto';
import { existsSync, mkdirSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, describe, test } from 'node:test';
import { instanceId } from '../../server/paths.js';
import { removeLabelled, runFoyer, runFoyerWithInput, serveFoyer } from '../support/cli.js';
import { type DaemonProcess, eventually, TEST_CATALOG } from '../support/foyer.js';
import { useTestEngine } from '../support/index.js';

const engine = await useTestEngine();
const id = `nb${process.pid.toString(36)}`;
const boxA = mkdtempSync(join(tmpdir(), 'foyer-newbox-a-'));
const boxB = mkdtempSync(join(tmpdir(), 'foyer-newbox-b-'));
const work = mkdtempSync(join(tmpdir(), 'foyer-newbox-work-'));
const repo = join(work, 'repo');
const env = { FOYER_CATALOG: TEST_CATALOG };
const adminA = { username: 'alma', password: 'box a admin password' };
const adminB = { username: 'bert', password: 'box b admin password' };
let daemonA: DaemonProcess | undefined;
let daemonB: DaemonProcess | undefined;
// The edge's storage (certificates, home CA) is a folder of the data dir, not a volume.
const caFile = (box: string) => join(box, 'apps/edge/data/caddy/pki/authorities/local/root.crt');
const ca = randomBytes(64).toString('base64');

async function ok(dataDir: string, ...args: string[]) {
  const run = await runFoyer(dataDir, ...args);
  assert.equal(run.code, 0, `foyer ${args.join(' ')}:\n${run.stdout}\n${run.stderr}`);
  return run;
}

const inApp = async (script: string) =>
  (await engine.docker(['exec', `${id}-web-1`, 'sh', '-c', script])).stdout;

/** The daemon's HTTP address: the newest banner's (a restart prints a new one). */
function url(daemon: DaemonProcess): string {
  const all = [...daemon.output().matchAll(/Foyer is running at (http:\/\/\S+)/g)];
  return all.at(-1)![1]!.replace(/\/$/, '');
}

async function post(daemon: DaemonProcess, path: string, body: unknown) {
  const res = await fetch(`${url(daemon)}${path}`, {
    method: 'POST',
    headers: { 'content-type': 'application/json', origin: url(daemon) },
    body: JSON.stringify(body),
  });
  return res.status;
}

const setup = (daemon: DaemonProcess, dataDir: string, admin: typeof adminA) =>
  post(daemon, '/api/setup', {
    code: readFileSync(join(dataDir, 'setup-code'), 'utf8').trim(),
    ...admin,
  });

const status = async (dataDir: string) =>
  JSON.parse((await ok(dataDir, 'status', id, '--json')).stdout) as {
    settings: Record<string, string>;
    status: { state: string };
  };

after(async () => {
  await runFoyer(boxB, 'uninstall', id, '--purge', '--yes', '--wait');
  await daemonA?.kill('SIGTERM');
  await daemonB?.kill('SIGTERM');
  for (const box of [boxA, boxB]) await removeLabelled(engine, `foyer.instance=${instanceId(box)}`);
  for (const dir of [boxA, boxB, work]) rmSync(dir, { recursive: true, force: true });
});

describe('restore onto a new box from a target and the recovery kit', {
  timeout: 20 * 60_000,
}, () => {
  let payload = '';
  let token = '';
  let password = '';

  test('box A: an app with data and a setting, an admin, everything backed up', async () => {
    daemonA = await serveFoyer(engine, boxA, env);
    assert.equal(await setup(daemonA, boxA, adminA), 201);
    await ok(boxA, 'install', 'web', '--id', id, '--set', 'GREETING=from box A', '--wait');
    await ok(boxA, 'backup', 'schedule', 'off', '--verify', 'no');
    await inApp('head -c 300000 /dev/urandom > /www/blob.bin && echo precious > /www/keep.txt');
    payload = await inApp('md5sum /www/blob.bin /www/keep.txt');
    token = await inApp('echo "$ADMIN_TOKEN"');
    assert.ok(token.trim().length >= 24);
    mkdirSync(join(caFile(boxA), '..'), { recursive: true });
    writeFileSync(caFile(boxA), ca);
    const added = await ok(boxA, 'backup', 'target', 'add', 'disk', repo);
    password = /Password: +(\S+)/.exec(added.stdout)![1]!;
    assert.match(added.stdout, /foyer restore --state/, 'the kit says how to restore the state');
    await ok(boxA, 'backup', 'run', '--wait');
    const snapshots = JSON.parse((await ok(boxA, 'backup', 'list', '--json')).stdout) as {
      install: string | null;
      state: boolean;
    }[];
    assert.ok(snapshots.some((s) => s.state));
    assert.ok(snapshots.some((s) => s.install === id));
  });

  test('a state restore on a box that has installs is refused without --force, nothing changed', async () => {
    const run = await runFoyer(boxA, 'restore', '--state', '--wait');
    assert.equal(run.code, 1, run.stdout);
    assert.match(run.stderr, new RegExp(`has installs already \\(${id}\\).*--force`));
    assert.equal(existsSync(join(boxA, 'backup', 'incoming-state')), false);
    assert.equal((await status(boxA)).status.state, 'running');
  });

  test('box A dies: its daemon stopped, its containers and volumes gone', async () => {
    await daemonA!.kill('SIGTERM');
    await removeLabelled(engine, `foyer.instance=${instanceId(boxA)}`);
    const left = await engine.docker(['ps', '-aq', '--filter', `name=${id}-`]);
    assert.equal(left.stdout.trim(), '');
  });

  test('box B: a wrong password is refused and changes nothing', async () => {
    daemonB = await serveFoyer(engine, boxB, env);
    assert.equal(await setup(daemonB, boxB, adminB), 201);
    const wrong = await runFoyerWithInput(
      boxB,
      'not the password\n',
      'backup',
      'target',
      'add',
      'disk',
      repo,
      '--password-stdin',
    );
    assert.equal(wrong.code, 1, wrong.stdout);
    assert.match(wrong.stderr, /wrong password/);
    assert.deepEqual(JSON.parse((await ok(boxB, 'backup', 'target', 'list', '--json')).stdout), []);
    const state = await runFoyer(boxB, 'restore', '--state');
    assert.equal(state.code, 1, state.stdout);
    assert.match(state.stderr, /no backup target yet/);
  });

  test('box B: the kit’s password, then restore --state --apps brings back A', async () => {
    const kit = await runFoyerWithInput(
      boxB,
      `${password}\n`,
      'backup',
      'target',
      'add',
      'disk',
      repo,
      '--password-stdin',
    );
    assert.equal(kit.code, 0, kit.stderr);
    const started = Date.now();
    const run = await ok(boxB, 'restore', '--state', '--apps', '--wait');
    process.stderr.write(`state and app restore on box B took ${Date.now() - started} ms\n`);
    assert.match(run.stdout, new RegExp(`installs: ${id}`));
    assert.match(run.stdout, new RegExp(`Restored ${id}`));
    await eventually(
      'the app to run on box B',
      async () => (await status(boxB)).status.state === 'running',
      60_000,
    );
    assert.equal(await inApp('md5sum /www/blob.bin /www/keep.txt'), payload);
    assert.equal(await inApp('echo "$ADMIN_TOKEN"'), token, 'its secrets are A’s');
    assert.equal((await status(boxB)).settings.GREETING, 'from box A');
    const targets = JSON.parse((await ok(boxB, 'backup', 'target', 'list', '--json')).stdout) as {
      name: string;
      repository: string;
    }[];
    assert.deepEqual(
      targets.map((t) => [t.name, t.repository]),
      [['disk', repo]],
    );
    assert.equal(readFileSync(caFile(boxB), 'utf8'), ca, "the edge's storage is A's");
    // Box B now runs on A's store: A's admin signs in, B's first admin is gone.
    assert.equal(await post(daemonB!, '/api/auth/login', adminA), 200);
    assert.equal(await post(daemonB!, '/api/auth/login', adminB), 401);
    // What B's store was is kept aside, and nothing is left staged.
    assert.ok(existsSync(join(boxB, 'backup', 'before-restore', 'foyer.db')));
    assert.equal(existsSync(join(boxB, 'backup', 'incoming-state')), false);
    // Backing up from box B works on the restored store.
    await ok(boxB, 'backup', 'run', id, '--wait');
  });
});
