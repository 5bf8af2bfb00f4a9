/**
 * Updates that roll back (issue 15): the phase machine, the stage the reconciler is held to in
 * each phase, the health gate's verdicts, and the update rows a restart resumes from.
 */
import assert from 'node:assert/strict';
import { mkdtempSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, test } from 'node:test';
import type { InstallStatus } from '../../server/reconcile/status.js';
import { openStore } from '../../server/store/index.js';
import { jobRepository } from '../../server/store/jobs.js';
import { FINAL_PHASES, type UpdatePhase, updateRepository } from '../../server/store/updates.js';
import { failureMessage } from '../../server/updates/driver.js';
import {
  type HealthInput,
  judgeHealth,
  nextPhase,
  repositoryOf,
  rollbackTag,
  stageOf,
} from '../../server/updates/phases.js';

describe('the phase machine', () => {
  test('the happy path runs preparing → … → succeeded', () => {
    const path: UpdatePhase[] = ['preparing'];
    while (!FINAL_PHASES.has(path.at(-1)!)) path.push(nextPhase(path.at(-1)!, 'done'));
    assert.deepEqual(path, [
      'preparing',
      'pulling',
      'snapshotting',
      'recreating',
      'checking',
      'succeeded',
    ]);
  });

  test('a failure before the end restores, reverts and ends rolled back', () => {
    for (const phase of [
      'preparing',
      'pulling',
      'snapshotting',
      'recreating',
      'checking',
    ] as const) {
      assert.equal(nextPhase(phase, 'failed'), 'restoring', phase);
    }
    assert.equal(nextPhase('restoring', 'done'), 'reverting');
    assert.equal(nextPhase('reverting', 'done'), 'rolled-back');
  });

  test('a rollback that fails itself ends failed, and end phases stay', () => {
    assert.equal(nextPhase('restoring', 'failed'), 'failed');
    assert.equal(nextPhase('reverting', 'failed'), 'failed');
    for (const phase of FINAL_PHASES) assert.equal(nextPhase(phase, 'done'), phase);
  });

  test('the reconciler is held while the update works on the volumes, and fetches images only while pulling', () => {
    assert.equal(stageOf('preparing'), 'hold');
    assert.equal(stageOf('snapshotting'), 'hold');
    assert.equal(stageOf('restoring'), 'hold');
    assert.equal(stageOf('pulling'), 'images');
    for (const phase of [
      'recreating',
      'checking',
      'reverting',
      'succeeded',
      'rolled-back',
    ] as const)
      assert.equal(stageOf(phase), undefined, phase);
    assert.equal(stageOf(undefined), undefined);
  });
});

describe('the health gate', () => {
  const status = (
    state: InstallStatus['state'],
    extra: Partial<InstallStatus> = {},
  ): InstallStatus => ({
    install: 'web',
    state,
    services: [],
    ...extra,
  });
  const base: HealthInput = {
    settled: true,
    status: status('running'),
    runningSince: 0,
    now: 10_000,
    deadline: 120_000,
    stableMs: 2000,
  };

  test('running for the stable time after a settled pass is healthy', () => {
    assert.deepEqual(judgeHealth(base), { kind: 'healthy' });
    assert.deepEqual(judgeHealth({ ...base, runningSince: 9000 }), { kind: 'waiting' });
    assert.deepEqual(judgeHealth({ ...base, settled: false }), { kind: 'waiting' });
  });

  test('a failed health check, a crash loop or a terminal failure ends the wait at once', () => {
    assert.deepEqual(judgeHealth({ ...base, unhealthy: 'web: its health check fails' }), {
      kind: 'failed',
      reason: 'web: its health check fails',
    });
    const looping = status('crash-looping', { reason: 'web: exited 3 times' });
    assert.equal(judgeHealth({ ...base, status: looping }).kind, 'failed');
    // Before a pass of the update's generation, a crash loop may be the old containers'.
    assert.equal(judgeHealth({ ...base, status: looping, settled: false }).kind, 'waiting');
    const terminal = status('failed', { terminal: true, reason: 'bad compose' });
    assert.deepEqual(judgeHealth({ ...base, status: terminal, settled: false }), {
      kind: 'failed',
      reason: 'bad compose',
    });
  });

  test('still starting at the deadline fails with what it was doing', () => {
    const starting = status('starting', { reason: 'web: health check not passed yet' });
    assert.deepEqual(judgeHealth({ ...base, status: starting, runningSince: undefined }), {
      kind: 'waiting',
    });
    const late = judgeHealth({
      ...base,
      status: starting,
      runningSince: undefined,
      now: 120_000,
    });
    assert.equal(late.kind, 'failed');
    assert.match((late as { reason: string }).reason, /time limit.*health check not passed/);
  });
});

test('rollback tags keep the repository, drop tag and digest, and keep a registry port', () => {
  assert.equal(repositoryOf('127.0.0.1:5000/keeper:2'), '127.0.0.1:5000/keeper');
  assert.equal(repositoryOf('127.0.0.1:5000/keeper'), '127.0.0.1:5000/keeper');
  assert.equal(repositoryOf('debian@sha256:abcd'), 'debian');
  assert.equal(rollbackTag('foyer/web-app:latest', 'web'), 'foyer/web-app:foyer-rollback-web');
});

test('an update row keeps what the install was and the phase, across a reopened store', () => {
  const path = join(mkdtempSync(join(tmpdir(), 'foyer-updates-')), 'foyer.db');
  let store = openStore(path);
  jobRepository(store.db).create({ id: 'j1', kind: 'update', installId: 'web', actor: 'admin' });
  const from = {
    appDir: '/catalog/web',
    definition: 'a'.repeat(64),
    previousDefinition: null,
    version: '1.0.0',
    settings: { GREETING: 'hello' },
    secrets: { TOKEN: 's3cret' },
    acceptedPermissions: ['cap_add:NET_ADMIN'],
  };
  let updates = updateRepository(store.db);
  updates.create({ jobId: 'j1', installId: 'web', refresh: false, from, toVersion: '2.0.0' });
  assert.equal(updates.activeFor('web')?.phase, 'preparing');
  const images = [{ service: 'web', reference: 'r/web:1', id: 'sha256:1', rollbackTag: 'r/web:x' }];
  updates.advance('j1', 'pulling', { images });
  updates.advance('j1', 'checking', { deadline: '2030-01-01T00:00:00.000Z' });
  store.close();

  store = openStore(path);
  updates = updateRepository(store.db);
  const [active] = updates.active();
  assert.equal(active?.phase, 'checking');
  assert.deepEqual(active?.from, from);
  assert.deepEqual(active?.images, images);
  assert.equal(active?.deadline, '2030-01-01T00:00:00.000Z');
  // Running update jobs are resumed by the update driver, not marked interrupted.
  assert.equal(jobRepository(store.db).interruptRunning(['update']), 0);

  updates.advance('j1', 'restoring', { reason: 'the new version did not become healthy: web' });
  const done = updates.advance('j1', 'rolled-back', { logs: '/data/update-logs/web/j1' });
  assert.equal(
    done.reason,
    'the new version did not become healthy: web',
    'the first reason stays',
  );
  assert.ok(done.finishedAt);
  assert.equal(updates.activeFor('web'), undefined);
  assert.equal(
    failureMessage(done),
    'the new version did not become healthy: web; rolled back to 1.0.0; the failed version’s logs are kept in /data/update-logs/web/j1',
  );
  store.close();
});
