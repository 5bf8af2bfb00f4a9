/**
 * Objects Foyer does not own (issue 12 §2): a second Foyer (its own data dir, so its own
 * instance) on the same engine asks for names another Foyer, a Compose project or nobody
 * holds. Each is a terminal error within seconds that names the object, its owner and what to
 * do — never a retry loop — and nothing of the other owner changes.
 */
import assert from 'node:assert/strict';
import { after, before, describe, test } from 'node:test';
import { instanceId } from '../../server/paths.js';
import { addInstall, eventually, startTestFoyer, type TestFoyer } from '../support/foyer.js';
import { useTestEngine } from '../support/index.js';

const engine = await useTestEngine();
const run = `own${process.pid.toString(36)}`;
let first: TestFoyer;
let second: TestFoyer;

const lines = async (args: string[]) =>
  (await engine.docker(args)).stdout.split('\n').filter(Boolean);
const objectsOf = async (instance: string) => [
  ...(await lines(['ps', '-aq', '--filter', `label=foyer.instance=${instance}`])),
  ...(await lines(['network', 'ls', '-q', '--filter', `label=foyer.instance=${instance}`])),
  ...(await lines(['volume', 'ls', '-q', '--filter', `label=foyer.instance=${instance}`])),
];

/** Installs `web` as `id` on the second Foyer and waits for its terminal error. */
async function refused(id: string): Promise<string> {
  const started = Date.now();
  addInstall(second.store, id, 'web');
  second.reconciler.enqueue(id);
  const reason = await eventually(
    `${id} refused for good`,
    () => {
      const status = second.reconciler.status(id);
      return status?.state === 'failed' && status.terminal ? status.reason : undefined;
    },
    20_000,
  );
  assert.ok(Date.now() - started < 15_000, 'within seconds');
  return reason ?? '';
}

before(async () => {
  first = await startTestFoyer(engine);
  second = await startTestFoyer(engine);
});

after(async () => {
  for (const foyer of [first, second]) {
    for (const install of foyer.store.installs.list()) {
      foyer.store.installs.setDesired(install.id, 'absent', { purge: true });
      foyer.reconciler.enqueue(install.id);
    }
  }
  await eventually(
    'installs removed',
    () => first.store.installs.list().length + second.store.installs.list().length === 0,
    60_000,
  );
  await first.close();
  await second.close();
  await engine.docker(['network', 'rm', `${run}-c_default`]).catch(() => {});
  await engine.docker(['volume', 'rm', `${run}-u_www`]).catch(() => {});
});

describe('names held by objects this Foyer does not own', { timeout: 120_000 }, () => {
  test("another Foyer's install of the same id: a terminal error naming it and foyer adopt", async () => {
    const id = `${run}-f`;
    addInstall(first.store, id, 'web');
    first.reconciler.enqueue(id);
    await eventually(
      'the first Foyer runs it',
      () => first.reconciler.status(id)?.state === 'running',
      60_000,
    );
    const theirs = await lines(['ps', '-aq', '--filter', `label=foyer.install=${id}`]);
    const reason = await refused(id);
    assert.match(reason, new RegExp(`network "${id}_default" already exists`));
    assert.match(
      reason,
      new RegExp(`another Foyer \\(foyer\\.instance=${instanceId(first.dataDir)}`),
    );
    assert.match(reason, new RegExp(`foyer adopt ${id}`));
    assert.deepEqual(
      await lines(['ps', '-aq', '--filter', `label=foyer.install=${id}`]),
      theirs,
      "the first Foyer's containers are untouched",
    );
    assert.equal(first.reconciler.status(id)?.state, 'running');
    assert.deepEqual(await objectsOf(instanceId(second.dataDir)), [], 'the second made nothing');
  });

  test('a Compose project holds the network: a terminal error naming the project', async () => {
    const id = `${run}-c`;
    await engine.docker([
      'network',
      'create',
      '--label',
      `com.docker.compose.project=${id}`,
      `${id}_default`,
    ]);
    const reason = await refused(id);
    assert.match(reason, new RegExp(`belongs to the Compose project "${id}"`));
    assert.match(reason, new RegExp(`docker compose -p ${id} down`));
  });

  test('an unlabelled volume holds the name: a terminal error, and its data is not taken', async () => {
    const id = `${run}-u`;
    await engine.docker(['volume', 'create', `${id}_www`]);
    const reason = await refused(id);
    assert.match(reason, new RegExp(`volume "${id}_www" already exists and is not Foyer's`));
    assert.deepEqual(await lines(['ps', '-aq', '--filter', `label=foyer.install=${id}`]), []);
  });
});
