/** Jobs survive a daemon restart: one cut off by a crash is marked interrupted, never left running. */
import assert from 'node:assert/strict';
import { EventEmitter } from 'node:events';
import { mkdtempSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { test } from 'node:test';
import { EventHub } from '../../server/events.js';
import { decide } from '../../server/jobs/admission.js';
import { JobRunner } from '../../server/jobs/runner.js';
import type { Reconciler } from '../../server/reconcile/reconciler.js';
import { openStore } from '../../server/store/index.js';
import { type Job, type JobKind, jobRepository } from '../../server/store/jobs.js';

/** Just enough of a reconciler for the runner: status events and a status lookup. */
function fakeReconciler() {
  const emitter = new EventEmitter();
  return Object.assign(emitter, { status: () => undefined }) as unknown as Reconciler &
    EventEmitter;
}

test('a running job found at start is marked interrupted; a new job follows status to its goal', async () => {
  const path = join(mkdtempSync(join(tmpdir(), 'foyer-jobs-')), 'foyer.db');
  let store = openStore(path);
  let jobs = jobRepository(store.db);
  const cut = jobs.create({ id: 'j1', kind: 'install', installId: 'web', actor: 'admin' });
  assert.equal(cut.state, 'running');
  store.close();

  // The daemon starts again.
  store = openStore(path);
  jobs = jobRepository(store.db);
  const reconciler = fakeReconciler();
  const hub = new EventHub();
  const published: unknown[] = [];
  hub.subscribe((e) => published.push(e));
  const runner = new JobRunner({ jobs, reconciler, hub, stableMs: 0 });
  const after = jobs.get('j1');
  assert.equal(after?.state, 'interrupted');
  assert.match(after?.error ?? '', /carries on from the desired state/);

  const job = runner.start('stop', 'web', 'admin', 5);
  assert.equal(runner.runningFor('web')?.id, job.id);
  reconciler.emit('status', { install: 'web', state: 'stopping', services: [] });
  assert.equal(jobs.get(job.id)?.state, 'running');
  reconciler.emit('status', { install: 'web', state: 'stopped', services: [] });
  assert.equal(
    jobs.get(job.id)?.state,
    'running',
    'not before the reconciler settled generation 5',
  );
  reconciler.emit('settled', { install: 'web', generation: 4 });
  reconciler.emit('status', { install: 'web', state: 'stopped', services: [] });
  assert.equal(jobs.get(job.id)?.state, 'running', 'an older generation does not count');
  reconciler.emit('settled', { install: 'web', generation: 5 });
  reconciler.emit('status', { install: 'web', state: 'stopped', services: [] });
  await new Promise((r) => setTimeout(r, 10));
  assert.equal(jobs.get(job.id)?.state, 'succeeded');
  assert.equal(runner.runningFor('web'), undefined);

  const failing = runner.start('install', 'web', 'admin', 6);
  reconciler.emit('status', {
    install: 'web',
    state: 'failed',
    reason: 'needs the permission "x"',
    terminal: true,
    services: [],
  });
  assert.equal(jobs.get(failing.id)?.state, 'failed');
  assert.equal(jobs.get(failing.id)?.error, 'needs the permission "x"');
  assert.ok(published.some((e) => (e as { type: string }).type === 'job'));
  store.close();
});

test("progress on the event stream names each operation but never carries its bodies (they hold the install's secrets)", () => {
  const store = openStore(join(mkdtempSync(join(tmpdir(), 'foyer-jobs-')), 'foyer.db'));
  const reconciler = fakeReconciler();
  const hub = new EventHub();
  const published: unknown[] = [];
  hub.subscribe((e) => published.push(e));
  const runner = new JobRunner({ jobs: jobRepository(store.db), reconciler, hub, stableMs: 0 });
  const job = runner.start('install', 'web', 'admin', 1);
  reconciler.emit('progress', {
    install: 'web',
    kind: 'step',
    index: 2,
    total: 3,
    phase: 'start',
    operation: {
      kind: 'create-container',
      service: 'web',
      name: 'web-web-1',
      body: { Env: ['ADMIN_TOKEN=s3cret-generated-token'] },
    },
  });
  const text = JSON.stringify(published);
  assert.doesNotMatch(text, /s3cret-generated-token/);
  const progress = published.find((e) => (e as { type: string }).type === 'progress') as {
    data: { job: string; operation: Record<string, unknown> };
  };
  assert.equal(progress.data.job, job.id);
  assert.deepEqual(progress.data.operation, {
    kind: 'create-container',
    service: 'web',
    name: 'web-web-1',
  });
  store.close();
});

test('an uninstall supersedes a running job; any other change, or a second uninstall, waits', () => {
  const running = (kind: JobKind) => ({ id: 'j', kind, installId: 'web', state: 'running' }) as Job;
  assert.deepEqual(decide('stop', 'web', undefined), { admit: true });
  const cancel = decide('uninstall', 'web', running('install'));
  assert.ok(cancel.admit && cancel.cancel?.id === 'j');
  for (const kind of ['install', 'start', 'stop', 'restart', 'update', 'reconfigure'] as const) {
    const refused = decide(kind, 'web', running('install'));
    assert.ok(!refused.admit);
    assert.match(refused.reason, /an install job is already running for "web".*uninstall cancels/);
  }
  const second = decide('uninstall', 'web', running('uninstall'));
  assert.ok(!second.admit && !second.reason.includes('cancels'));
});

test('a verification (a scratch install) holds no change up, but a second verification waits', () => {
  const verifying = { id: 'v', kind: 'verify', installId: 'web', state: 'running' } as Job;
  assert.deepEqual(decide('restore', 'web', verifying), { admit: true });
  assert.deepEqual(decide('stop', 'web', verifying), { admit: true });
  const uninstall = decide('uninstall', 'web', verifying);
  assert.ok(uninstall.admit && uninstall.cancel?.id === 'v', 'an uninstall still cancels it');
  assert.ok(!decide('verify', 'web', verifying).admit);
});
