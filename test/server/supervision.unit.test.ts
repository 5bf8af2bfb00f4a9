/** The supervision log: deaths in a window make a crash loop; a death someone asked for does not count. */
import assert from 'node:assert/strict';
import { test } from 'node:test';
import { SupervisionLog } from '../../server/reconcile/supervision.js';

const limits = {
  crashLoopDeaths: 3,
  crashWindowMs: 60_000,
  maxRestarts: 2,
  restartWindowMs: 600_000,
};

test('three deaths within the window are a crash loop; older ones fall out of it', () => {
  let now = 0;
  const log = new SupervisionLog(limits, () => now);
  for (const at of [0, 10_000, 20_000]) {
    now = at;
    log.died('app', 3);
  }
  assert.equal(log.crashLooping('app'), true);
  now = 65_000;
  assert.equal(log.recentDeaths('app').length, 2);
  assert.equal(log.crashLooping('app'), false);
});

test('a stop after a death takes that death back: restarts people ask for are not crashes', () => {
  let now = 0;
  const log = new SupervisionLog(limits, () => now);
  for (let i = 0; i < 5; i++) {
    now += 1000;
    log.died('app', 137);
    log.stopped('app');
  }
  assert.deepEqual(log.recentDeaths('app'), []);
  assert.equal(log.crashLooping('app'), false);
  log.died('app', 1);
  assert.deepEqual(log.recentDeaths('app'), [{ at: 5000, exitCode: 1 }]);
  log.stopped('other');
  assert.equal(log.recentDeaths('app').length, 1, 'a stop of another container changes nothing');
});
