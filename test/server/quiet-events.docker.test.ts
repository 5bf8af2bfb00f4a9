/**
 * Supervision stays quiet (issue 12 §1): an app whose health check runs every
 * second makes exec events every second, and none of them may wake the
 * reconciler; a stop by hand is still seen at once and its burst of events
 * (kill, die, stop) is one pass; a network named like an install's wakes that
 * install, one of nobody's wakes nothing. The periodic resync is off, so every
 * Docker call counted was caused by an event.
 */
import assert from 'node:assert/strict';
import { after, before, describe, test } from 'node:test';
import { addInstall, eventually, startTestFoyer, type TestFoyer } from '../support/foyer.js';
import { useTestEngine } from '../support/index.js';

const engine = await useTestEngine();
const id = `quiet${process.pid.toString(36)}`;
let foyer: TestFoyer;
const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));
/** Container lists: one per reconcile pass (observeInstall) — what an event costs. */
const observes = () => foyer.counts.counts.listContainers ?? 0;
const calls = () => Object.values(foyer.counts.counts).reduce((a, b) => a + b, 0);

before(async () => {
  foyer = await startTestFoyer(engine, { resyncMs: 3_600_000 });
  // `web` checks its health every second: an exec_create, exec_start and exec_die each time.
  addInstall(foyer.store, id, 'web');
  foyer.reconciler.enqueue(id);
  await eventually(
    'web running and healthy',
    async () => {
      const { stdout } = await engine.docker([
        'inspect',
        '--format',
        '{{.State.Health.Status}}',
        `${id}-web-1`,
      ]);
      return stdout.trim() === 'healthy' && foyer.reconciler.status(id)?.state === 'running';
    },
    60_000,
  );
  await foyer.reconciler.idle();
  await sleep(1000);
  await foyer.reconciler.idle();
});

after(async () => {
  foyer.store.installs.setDesired(id, 'absent', { purge: true });
  foyer.reconciler.enqueue(id);
  await eventually('removed', () => foyer.store.installs.list().length === 0, 60_000);
  await engine.docker(['network', 'rm', `${id}_stray`, 'nobodys_stray']).catch(() => {});
  await foyer.close();
});

describe('quiet supervision', { timeout: 120_000 }, () => {
  test('ten seconds of health checks every second make no Docker call', async () => {
    foyer.counts.reset();
    await sleep(10_000);
    assert.deepEqual(foyer.counts.counts, {}, 'no call at all while nothing changed');
  });

  test('a stop by hand is seen at once, in a handful of passes, and the app is started again', async () => {
    foyer.counts.reset();
    await engine.docker(['stop', '-t', '1', `${id}-web-1`]);
    await eventually(
      'the app running again',
      async () => {
        const { stdout } = await engine.docker([
          'inspect',
          '--format',
          '{{.State.Running}}',
          `${id}-web-1`,
        ]);
        return stdout.trim() === 'true';
      },
      30_000,
    );
    await foyer.reconciler.idle();
    await sleep(500);
    await foyer.reconciler.idle();
    // kill, die and stop arrive within milliseconds and are one pass, which starts the
    // container; then the check after executing, the die's look once the engine has caught up,
    // the start event and the two health_status changes: a handful, never one per event.
    assert.ok(observes() >= 1 && observes() <= 6, `passes: ${observes()}`);
  });

  test("a network named like the install's wakes it; one of nobody's does not", async () => {
    await sleep(2000);
    await foyer.reconciler.idle();
    foyer.counts.reset();
    await engine.docker(['network', 'create', 'nobodys_stray']);
    await sleep(1000);
    assert.equal(calls(), 0, 'no pass for a network of no install');
    await engine.docker(['network', 'create', `${id}_stray`]);
    await eventually('a pass for the install', () => observes() >= 1, 10_000);
  });
});
