// `foyer adopt` (issue 12 §2), as after a reinstall: Foyer A (`foyer serve`, its own data dir)
// runs the `web` app with data in its volume; Foyer B, a new data dir on the same engine,
// installs the same app under the same id and is refused for good, naming A's objects. While A
// runs, adopt refuses (A's presence lease is fresh) and changes nothing. Once A is gone, adopt
// takes A's objects over — the volume with its data first — and B runs the app with it.
import assert from 'node:assert/strict';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, before, describe, test } from 'node:test';
import { instanceId } from '../../server/paths.js';
import { removeLabelled, runFoyer, serveFoyer } from '../support/cli.js';
import { type DaemonProcess, TEST_CATALOG } from '../support/foyer.js';
import { useTestEngine } from '../support/index.js';

const engine = await useTestEngine();
const id = `adopt${process.pid.toString(36)}`;
const dirA = mkdtempSync(join(tmpdir(), 'foyer-adopt-a-'));
const dirB = mkdtempSync(join(tmpdir(), 'foyer-adopt-b-'));
let a: DaemonProcess | undefined;
let b: DaemonProcess | undefined;

const foyer = runFoyer;
const serve = (dataDir: string) => serveFoyer(engine, dataDir, { FOYER_CATALOG: TEST_CATALOG });

const lines = async (args: string[]) =>
  (await engine.docker(args)).stdout.split('\n').filter(Boolean);
const owned = async (dataDir: string) => ({
  containers: await lines(['ps', '-aq', '--filter', `label=foyer.instance=${instanceId(dataDir)}`]),
  volumes: await lines([
    'volume',
    'ls',
    '-q',
    '--filter',
    `label=foyer.instance=${instanceId(dataDir)}`,
  ]),
});

before(async () => {
  a = await serve(dirA);
  const run = await foyer(dirA, 'install', 'web', '--id', id, '--wait');
  assert.equal(run.code, 0, `${run.stdout}\n${run.stderr}`);
  await engine.docker(['exec', `${id}-web-1`, 'sh', '-c', 'echo precious > /www/keep.txt']);
  b = await serve(dirB);
});

after(async () => {
  await a?.kill('SIGTERM');
  await foyer(dirB, 'uninstall', id, '--purge', '--yes', '--wait');
  await b?.kill('SIGTERM');
  for (const dir of [dirA, dirB]) {
    await removeLabelled(engine, `foyer.instance=${instanceId(dir)}`);
    rmSync(dir, { recursive: true, force: true });
  }
});

describe('adopting the objects of a lost Foyer', { timeout: 6 * 60_000 }, () => {
  test("a second Foyer's install of the same id fails at once, naming the first's objects", async () => {
    const started = Date.now();
    const run = await foyer(dirB, 'install', 'web', '--id', id, '--wait');
    assert.equal(run.code, 1, run.stdout);
    assert.ok(Date.now() - started < 30_000, 'not a retry loop');
    assert.match(
      run.stderr,
      new RegExp(`belongs to another Foyer \\(foyer\\.instance=${instanceId(dirA)}`),
    );
    assert.match(run.stderr, new RegExp(`foyer adopt ${id}`));
  });

  test('while the first Foyer runs, adopt refuses and changes nothing', async () => {
    const before = await owned(dirA);
    const run = await foyer(dirB, 'adopt', id, '--yes', '--wait');
    assert.equal(run.code, 1, run.stdout);
    assert.match(run.stdout, /still running/);
    assert.match(run.stdout, /NOT taken: the Foyer .* still runs/);
    assert.deepEqual(await owned(dirA), before);
    assert.deepEqual(await owned(dirB), { containers: [], volumes: [] });
  });

  test('once the first Foyer is gone, adopt takes its objects over with the data', async () => {
    await a?.kill('SIGTERM');
    a = undefined;
    const preview = await foyer(dirB, 'adopt', id, '--yes', '--wait');
    assert.equal(preview.code, 0, `${preview.stdout}\n${preview.stderr}`);
    assert.match(preview.stdout, new RegExp(`volume ${id}_www \\(other-foyer`));
    const mine = await owned(dirB);
    assert.equal(mine.containers.length, 1, 'B runs the app');
    assert.deepEqual(mine.volumes, [`${id}_www`], 'the volume is B’s now');
    assert.deepEqual(await owned(dirA), { containers: [], volumes: [] }, 'nothing is A’s');
    const { stdout } = await engine.docker(['exec', `${id}-web-1`, 'cat', '/www/keep.txt']);
    assert.equal(stdout.trim(), 'precious', 'the data came along');
    const status = await foyer(dirB, 'status', id, '--json');
    assert.equal(JSON.parse(status.stdout).status.state, 'running');
  });
});
