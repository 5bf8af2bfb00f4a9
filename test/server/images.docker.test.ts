// The images Foyer builds (issue 11 §5): `uninstall --purge` removes the image built for that
// install unless a container outside it uses it, and `foyer images prune` removes the built
// images nothing needs. The real daemon and the real CLI on the test engine, with the test
// catalogue's `built` app (a Dockerfile on debian:bookworm-slim).
import assert from 'node:assert/strict';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { dirname, join, resolve } from 'node:path';
import { after, before, describe, test } from 'node:test';
import { fileURLToPath } from 'node:url';
import { removeLabelled, runFoyer, serveFoyer } from '../support/cli.js';
import { type DaemonProcess, TEST_CATALOG } from '../support/foyer.js';
import { BUSYBOX_IMAGE, useTestEngine } from '../support/index.js';

const _root = resolve(dirname(fileURLToPath(import.meta.url)), '../..');
const engine = await useTestEngine();
const run = `img${process.pid.toString(36)}${Date.now().toString(36).slice(-4)}`;
const [a, b, c] = [`${run}a`, `${run}b`, `${run}c`];
const stray = `${run}-stray`;
const dataDir = mkdtempSync(join(tmpdir(), 'foyer-images-data-'));
let daemon: DaemonProcess | undefined;

const foyer = (...args: string[]) => runFoyer(dataDir, ...args);

/** Ids of the images built for `install`, as the engine lists them. */
async function imagesOf(install: string): Promise<string[]> {
  const { stdout } = await engine.docker([
    ...['images', '-q', '--no-trunc', '--filter', `label=foyer.install=${install}`],
  ]);
  return [...new Set(stdout.split('\n').filter(Boolean))];
}

before(async () => {
  daemon = await serveFoyer(engine, dataDir, { FOYER_CATALOG: TEST_CATALOG });
});

after(async () => {
  await daemon?.kill('SIGTERM');
  await engine.docker(['rm', '-f', stray]).catch(() => {});
  for (const install of [a, b, c]) {
    await removeLabelled(engine, `foyer.install=${install}`);
    for (const image of await imagesOf(install))
      await engine.docker(['rmi', '-f', image]).catch(() => {});
  }
  rmSync(dataDir, { recursive: true, force: true });
});

describe('images Foyer built', { timeout: 10 * 60_000 }, () => {
  test('two installs of a built app each have their own image', async () => {
    for (const install of [a, b]) {
      const done = await foyer('install', 'built', '--id', install, '--wait');
      assert.equal(done.code, 0, `${done.stdout}\n${done.stderr}`);
      assert.equal((await imagesOf(install)).length, 1);
    }
  });

  test('uninstall --purge removes the image built for the install, and no other', async () => {
    const done = await foyer('uninstall', a, '--purge', '--yes', '--wait');
    assert.equal(done.code, 0, `${done.stdout}\n${done.stderr}`);
    assert.match(done.stdout, /RemoveImage/);
    assert.deepEqual(await imagesOf(a), []);
    assert.equal((await imagesOf(b)).length, 1);
  });

  test('an image a container outside the install uses is kept by the purge and by prune', async () => {
    const [image] = await imagesOf(b);
    // A container inherits its image's labels, Foyer's among them: someone else's container
    // says it is not Foyer's, or the reconciler would take it for one of the install's.
    const notFoyers = ['foyer.managed=false', 'foyer.install=', 'foyer.instance='];
    await engine.docker([
      ...['run', '-d', '--name', stray, ...notFoyers.flatMap((l) => ['--label', l])],
      ...[image!, 'sleep', '3600'],
    ]);
    const done = await foyer('uninstall', b, '--purge', '--yes', '--wait');
    assert.equal(done.code, 0, `${done.stdout}\n${done.stderr}`);
    assert.deepEqual(await imagesOf(b), [image]);
    const prune = await foyer('images', 'prune', '--json');
    assert.equal(prune.code, 0, prune.stderr);
    assert.deepEqual(JSON.parse(prune.stdout), { removed: [] });
    assert.deepEqual(await imagesOf(b), [image]);
  });

  test('images prune removes built images no install uses and keeps those of live installs', async () => {
    const live = await foyer('install', 'built', '--id', c, '--wait');
    assert.equal(live.code, 0, `${live.stdout}\n${live.stderr}`);
    await engine.docker(['rm', '-f', stray]);
    const prune = await foyer('images', 'prune');
    assert.equal(prune.code, 0, prune.stderr);
    assert.match(prune.stdout, /^Removed 1 image\.$/m);
    assert.deepEqual(await imagesOf(b), []);
    assert.equal((await imagesOf(c)).length, 1, 'the live install keeps its image');
    // What Foyer did not build is never Foyer's to prune.
    await engine.docker(['image', 'inspect', BUSYBOX_IMAGE]);
  });
});
